//! Keyed pseudonyms for person identifiers: HMAC-SHA256 under the analyst's key, so the same person links
//! across sources and years but cannot be re-identified without the key (which is never written out).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The fixed key `sna demo` uses on synthetic data. Public by design: never use it for real data.
pub const DEMO_KEY: &str = "sna-DEMO-KEY-public-not-secret-synthetic-data-only";

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// A pseudonym is this letter followed by `PSEUDONYM_HEX_DIGITS` lowercase hex digits.
const PSEUDONYM_PREFIX: char = 'P';
/// 24 hex digits: the first 96 bits of the HMAC.
const PSEUDONYM_HEX_DIGITS: usize = 24;

#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl Pseudonymiser {
    pub fn new(key: &[u8]) -> Result<Pseudonymiser, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!("the pseudonym key is {} bytes; use at least {MIN_KEY_BYTES}", key.len()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| e.to_string())?;
        Ok(Pseudonymiser { mac })
    }

    /// `P` + 24 hex digits (96 bits) of HMAC-SHA256 over the trimmed, upper-cased id.
    pub fn pseudonym(&self, raw_id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(crate::dictionary::fold_case(raw_id, true).as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(1 + PSEUDONYM_HEX_DIGITS);
        out.push(PSEUDONYM_PREFIX);
        out.push_str(&hex::encode(&digest[..PSEUDONYM_HEX_DIGITS / 2]));
        out
    }
}

/// The number a pseudonym spells, when `id` is exactly a pseudonym as `Pseudonymiser::pseudonym` writes it
/// (the prefix and 24 lowercase hex digits), so that two different strings never give the same number. Lets
/// the analysis compare millions of pseudonyms as integers.
pub fn pseudonym_value(id: &str) -> Option<u128> {
    let digits = id.strip_prefix(PSEUDONYM_PREFIX)?.as_bytes();
    if digits.len() != PSEUDONYM_HEX_DIGITS {
        return None;
    }
    let mut v: u128 = 0;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        v = v << 4 | u128::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_read_back_exactly_as_numbers() {
        let p = Pseudonymiser::new(b"a-key-of-sixteen-bytes").expect("key");
        let (a, b) = (p.pseudonym("V123"), p.pseudonym("V124"));
        let (va, vb) = (pseudonym_value(&a).expect("a pseudonym"), pseudonym_value(&b).expect("a pseudonym"));
        assert_ne!(va, vb);
        assert_eq!(format!("P{va:024x}"), a, "the number spells the pseudonym");
        assert_eq!(pseudonym_value("P000000000000000000000000a"), None, "25 digits");
        assert_eq!(pseudonym_value("P00000000000000000000000a"), Some(10));
        assert_eq!(pseudonym_value("P0000000000000000000000FF"), None, "upper case is another string");
        assert_eq!(pseudonym_value("Q0000000000000000000000ff"), None);
    }

    #[test]
    fn stable_linking_and_key_dependent() {
        let a = Pseudonymiser::new(b"a-key-of-sixteen-bytes").expect("key");
        let b = Pseudonymiser::new(b"another-key-entirely!!").expect("key");
        assert_eq!(a.pseudonym("PER-001"), a.pseudonym(" per-001 "));
        assert_ne!(a.pseudonym("PER-001"), a.pseudonym("PER-002"));
        assert_ne!(a.pseudonym("PER-001"), b.pseudonym("PER-001"));
        assert_eq!(a.pseudonym("x").len(), 25);
        assert!(!a.pseudonym("PER-001").contains("PER"));
        assert!(Pseudonymiser::new(b"short").is_err());
    }

    #[test]
    fn matches_an_independent_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" (keys here must be
        // >= 16 bytes, so check the underlying MAC directly).
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
