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

/// How a file is encoded, found by one streaming pass over it (never held whole in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub encoding: TextEncoding,
    /// Bytes of byte-order mark to skip.
    pub bom_len: usize,
    /// UTF-16 big endian (only meaningful for `Utf16`).
    pub big_endian: bool,
    /// Nothing but whitespace (and a BOM): no header row.
    pub blank: bool,
}

/// Detect the encoding: a UTF-16 BOM means UTF-16; otherwise UTF-8 (with or without BOM) if every byte
/// after the BOM is valid UTF-8, else Windows-1252 (Excel's "CSV" on Windows, which carries no BOM).
pub fn detect(mut r: impl std::io::Read) -> std::io::Result<Detected> {
    const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut buf = vec![0u8; 1 << 20];
    // `carry` holds an incomplete UTF-8 sequence split across two reads.
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    let mut det = Detected { encoding: TextEncoding::Utf8, bom_len: 0, big_endian: false, blank: true };
    let mut valid = true;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut chunk: &[u8] = &buf[..n];
        if first {
            first = false;
            // A BOM can only be judged on its first bytes; read on until there are at least three.
            let mut head = chunk.to_vec();
            while head.len() < 3 {
                let m = r.read(&mut buf)?;
                if m == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..m]);
            }
            if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(&head) {
                if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    let rest = &head[bom_len..];
                    let mut blank = rest.iter().all(|b| b.is_ascii_whitespace() || *b == 0);
                    if blank {
                        loop {
                            let m = r.read(&mut buf)?;
                            if m == 0 || !buf[..m].iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
                                blank = m == 0;
                                break;
                            }
                        }
                    }
                    return Ok(Detected { encoding: TextEncoding::Utf16, bom_len, big_endian: enc == encoding_rs::UTF_16BE, blank });
                }
            }
            if head.starts_with(UTF8_BOM) {
                det.bom_len = UTF8_BOM.len();
                det.encoding = TextEncoding::Utf8Bom;
            }
            carry = head;
            carry.drain(..det.bom_len);
            chunk = &[];
        }
        if det.blank {
            det.blank = carry.iter().chain(chunk).all(|b| b.is_ascii_whitespace());
        }
        if !valid {
            continue;
        }
        carry.extend_from_slice(chunk);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                // Incomplete sequence at the end: keep it for the next read.
                let tail = carry.split_off(e.valid_up_to());
                carry = tail;
            }
            Err(_) => valid = false,
        }
    }
    if det.blank && !carry.is_empty() {
        det.blank = carry.iter().all(|b| b.is_ascii_whitespace());
    }
    if !carry.is_empty() && std::str::from_utf8(&carry).is_err() {
        valid = false;
    }
    if !valid {
        det.encoding = TextEncoding::Windows1252;
    }
    Ok(det)
}

/// The file's text as a UTF-8 byte stream (BOM dropped), decoded on the fly.
pub fn open_decoded(path: &std::path::Path, det: &Detected) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(det.bom_len as u64))?;
    let f = std::io::BufReader::with_capacity(1 << 16, f);
    let decoder = |enc: &'static encoding_rs::Encoding, f| -> Box<dyn Read + Send> {
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(enc)).bom_sniffing(false).build(f))
    };
    Ok(match det.encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => Box::new(f),
        TextEncoding::Windows1252 => decoder(encoding_rs::WINDOWS_1252, f),
        TextEncoding::Utf16 if det.big_endian => decoder(encoding_rs::UTF_16BE, f),
        TextEncoding::Utf16 => decoder(encoding_rs::UTF_16LE, f),
    })
}

/// Whole-buffer decoding (tests and small inputs): the same rules as [`detect`] + [`open_decoded`].
#[cfg(test)]
pub fn decode(bytes: Vec<u8>) -> (Vec<u8>, TextEncoding) {
    use std::io::Read;
    let det = detect(std::io::Cursor::new(&bytes)).expect("in-memory read");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f");
    std::fs::write(&path, &bytes).expect("write");
    let mut out = Vec::new();
    open_decoded(&path, &det).expect("open").read_to_end(&mut out).expect("decode");
    (out, det.encoding)
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
    fn invalid_utf8_far_into_a_file_or_split_across_reads_is_judged_right() {
        let mut big = "é,a\n".repeat(400_000).into_bytes(); // > 1 MiB, multi-byte chars straddle reads
        assert_eq!(detect(std::io::Cursor::new(&big)).expect("detect").encoding, TextEncoding::Utf8);
        big.extend_from_slice(b"Caf\xE9\n");
        assert_eq!(detect(std::io::Cursor::new(&big)).expect("detect").encoding, TextEncoding::Windows1252);
        assert!(detect(std::io::Cursor::new(b"\xEF\xBB\xBF \r\n\t".to_vec())).expect("detect").blank);
        assert!(!detect(std::io::Cursor::new(b"a".to_vec())).expect("detect").blank);
    }

    #[test]
    fn sniffs_delimiters_ignoring_quoted_ones() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d"), b',');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }
}
