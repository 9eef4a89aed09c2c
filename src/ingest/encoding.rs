//! Text encodings seen in partner extracts: UTF-8, UTF-8 with a BOM, and Windows-1252 from Excel "CSV"
//! exports (which carry no BOM, so it is inferred when the bytes are not valid UTF-8).

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// UTF-16 (little or big endian) with a byte-order mark, as some Windows tools save "Unicode text".
    #[serde(rename = "utf-16")]
    Utf16,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Utf16 => "utf-16",
        }
    }
}

/// Decode raw file bytes to UTF-8 bytes, dropping any BOM.
pub fn decode(bytes: Vec<u8>) -> (Vec<u8>, TextEncoding) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(&bytes) {
        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
            return (text.into_owned().into_bytes(), TextEncoding::Utf16);
        }
    }
    if bytes.starts_with(BOM) {
        let mut b = bytes;
        b.drain(..BOM.len());
        if std::str::from_utf8(&b).is_ok() {
            return (b, TextEncoding::Utf8Bom);
        }
        // A BOM followed by invalid UTF-8: decode leniently as UTF-8 would hide data; fall through.
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&b);
        return (text.into_owned().into_bytes(), TextEncoding::Windows1252);
    }
    if std::str::from_utf8(&bytes).is_ok() {
        return (bytes, TextEncoding::Utf8);
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    (text.into_owned().into_bytes(), TextEncoding::Windows1252)
}

/// Guess the delimiter from the header line: the most frequent of comma, semicolon and tab outside quotes.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in bytes.iter().take_while(|&&b| b != b'\n') {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    delims[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_bom_utf8_and_windows_1252() {
        let (b, e) = decode(b"\xEF\xBB\xBFa,b\n".to_vec());
        assert_eq!((b.as_slice(), e), (&b"a,b\n"[..], TextEncoding::Utf8Bom));
        let (b, e) = decode("Café,£5\n".as_bytes().to_vec());
        assert_eq!(e, TextEncoding::Utf8);
        assert_eq!(String::from_utf8(b).expect("utf8"), "Café,£5\n");
        let (b, e) = decode(b"Caf\xE9,\xA35\n".to_vec());
        assert_eq!(e, TextEncoding::Windows1252);
        assert_eq!(String::from_utf8(b).expect("utf8"), "Café,£5\n");
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_named_as_such() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "a,b\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (b, e) = decode(bytes);
        assert_eq!((b.as_slice(), e), (&b"a,b\n"[..], TextEncoding::Utf16));
    }

    #[test]
    fn sniffs_delimiters_ignoring_quoted_ones() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d"), b',');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }
}
