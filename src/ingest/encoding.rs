//! Text encodings seen in partner extracts: UTF-8, UTF-8 with a BOM, Windows-1252 from Excel "CSV" exports
//! (which carry no BOM, so it is inferred when the bytes are not valid UTF-8), files that mix the two line by
//! line (rows appended by different tools), and UTF-16 with or without a byte-order mark.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Lines of UTF-8 and lines of Windows-1252 in one file: each line decoded as what it is.
    #[serde(rename = "utf-8+windows-1252")]
    Mixed,
    /// UTF-16 (little or big endian), as some Windows tools save "Unicode text".
    #[serde(rename = "utf-16")]
    Utf16,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Mixed => "utf-8+windows-1252",
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
    /// Lines that are not valid UTF-8 (read as Windows-1252), and lines of valid UTF-8 beyond ASCII.
    pub windows_1252_lines: u64,
    pub utf8_lines: u64,
}

impl Detected {
    /// A sentence for the manifest when the encoding was not a plain, marked one.
    pub fn note(&self) -> Option<String> {
        match self.encoding {
            TextEncoding::Mixed => Some(format!(
                "{} line(s) are UTF-8 and {} line(s) Windows-1252: each line was decoded as what it is",
                self.utf8_lines, self.windows_1252_lines
            )),
            TextEncoding::Utf16 if self.bom_len == 0 => Some(format!(
                "UTF-16 {} without a byte-order mark, recognised by its zero bytes",
                if self.big_endian { "big-endian" } else { "little-endian" }
            )),
            _ => None,
        }
    }
}

/// Sorts lines into valid UTF-8 (beyond ASCII) and not UTF-8, fed a line's bytes in pieces.
#[derive(Default)]
struct LineClassifier {
    /// An incomplete UTF-8 sequence at the end of the last piece (at most three bytes).
    carry: Vec<u8>,
    invalid: bool,
    non_ascii: bool,
    invalid_lines: u64,
    utf8_lines: u64,
}

impl LineClassifier {
    /// `piece` holds no line break (a line break never falls inside a UTF-8 sequence).
    fn feed(&mut self, piece: &[u8]) {
        if self.invalid || (self.carry.is_empty() && piece.is_ascii()) {
            return;
        }
        self.non_ascii = true;
        let joined;
        let bytes = if self.carry.is_empty() {
            piece
        } else {
            joined = [self.carry.as_slice(), piece].concat();
            joined.as_slice()
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.carry.clear(),
            Err(e) if e.error_len().is_none() => self.carry = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => {
                self.invalid = true;
                self.carry.clear();
            }
        }
    }

    fn end_line(&mut self) {
        if self.invalid || !self.carry.is_empty() {
            self.invalid_lines += 1;
        } else if self.non_ascii {
            self.utf8_lines += 1;
        }
        self.carry.clear();
        self.invalid = false;
        self.non_ascii = false;
    }

    fn feed_text(&mut self, mut chunk: &[u8]) {
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            self.feed(&chunk[..i]);
            self.end_line();
            chunk = &chunk[i + 1..];
        }
        self.feed(chunk);
    }
}

/// UTF-16 without a byte-order mark, from the zero bytes of its first characters: text in the Latin
/// alphabet has a zero in every other byte, where CSV text in a byte encoding has none.
fn utf16_without_bom(head: &[u8]) -> Option<bool> {
    let n = head.len().min(4096) / 2 * 2;
    if n < 8 {
        return None;
    }
    let pairs = (n / 2) as f64;
    let zeros_even = head[..n].iter().step_by(2).filter(|&&b| b == 0).count() as f64;
    let zeros_odd = head[1..n].iter().step_by(2).filter(|&&b| b == 0).count() as f64;
    if zeros_odd >= 0.9 * pairs && zeros_even <= 0.1 * pairs {
        Some(false) // little-endian: "a\0b\0"
    } else if zeros_even >= 0.9 * pairs && zeros_odd <= 0.1 * pairs {
        Some(true)
    } else {
        None
    }
}

/// Detect the encoding: a UTF-16 BOM, or the zero-byte pattern of UTF-16, means UTF-16; otherwise UTF-8 (with
/// or without BOM) if every line is valid UTF-8, Windows-1252 if no line beyond ASCII is, and mixed (decoded
/// line by line) when both kinds of line occur.
pub fn detect(mut r: impl std::io::Read) -> std::io::Result<Detected> {
    const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut buf = vec![0u8; 1 << 20];
    let mut det = Detected {
        encoding: TextEncoding::Utf8,
        bom_len: 0,
        big_endian: false,
        blank: true,
        windows_1252_lines: 0,
        utf8_lines: 0,
    };
    // The first bytes decide a BOM or UTF-16: read on until there are enough of them.
    let mut head: Vec<u8> = Vec::new();
    while head.len() < 4096 {
        let m = r.read(&mut buf)?;
        if m == 0 {
            break;
        }
        head.extend_from_slice(&buf[..m]);
    }
    let utf16 = match encoding_rs::Encoding::for_bom(&head) {
        Some((enc, bom_len)) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => {
            Some((bom_len, enc == encoding_rs::UTF_16BE))
        }
        Some(_) => None,
        None => utf16_without_bom(&head).map(|be| (0, be)),
    };
    if let Some((bom_len, big_endian)) = utf16 {
        let is_blank = |bytes: &[u8]| bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0);
        let mut blank = is_blank(&head[bom_len..]);
        while blank {
            let m = r.read(&mut buf)?;
            if m == 0 {
                break;
            }
            blank = is_blank(&buf[..m]);
        }
        return Ok(Detected { encoding: TextEncoding::Utf16, bom_len, big_endian, blank, ..det });
    }
    if head.starts_with(UTF8_BOM) {
        det.bom_len = UTF8_BOM.len();
        det.encoding = TextEncoding::Utf8Bom;
    }
    let mut lines = LineClassifier::default();
    let mut chunk: &[u8] = &head[det.bom_len..];
    let mut first = true;
    loop {
        if !first {
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            chunk = &buf[..n];
        }
        first = false;
        if det.blank {
            det.blank = chunk.iter().all(|b| b.is_ascii_whitespace());
        }
        lines.feed_text(chunk);
    }
    lines.end_line();
    det.windows_1252_lines = lines.invalid_lines;
    det.utf8_lines = lines.utf8_lines;
    if det.windows_1252_lines > 0 {
        det.encoding = if det.utf8_lines > 0 { TextEncoding::Mixed } else { TextEncoding::Windows1252 };
    }
    Ok(det)
}

/// Decodes line by line: a line that is valid UTF-8 passes as it is, any other is read as Windows-1252.
/// Hand-written because the decoding crates decode a stream in one encoding.
struct PerLineDecoder<R> {
    inner: R,
    line: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: std::io::BufRead> std::io::Read for PerLineDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            self.line.clear();
            if self.inner.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(0);
            }
            match std::str::from_utf8(&self.line) {
                Ok(_) => std::mem::swap(&mut self.out, &mut self.line),
                Err(_) => {
                    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&self.line);
                    self.out.extend_from_slice(text.as_bytes());
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
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
        TextEncoding::Mixed => Box::new(PerLineDecoder { inner: f, line: Vec::new(), out: Vec::new(), pos: 0 }),
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
        assert_eq!(detect(std::io::Cursor::new(&big)).expect("detect").encoding, TextEncoding::Mixed);
        let cp1252 = b"Caf\xE9,a\n".repeat(200_000); // > 1 MiB: lines straddle reads
        assert_eq!(detect(std::io::Cursor::new(&cp1252)).expect("detect").encoding, TextEncoding::Windows1252);
        assert!(detect(std::io::Cursor::new(b"\xEF\xBB\xBF \r\n\t".to_vec())).expect("detect").blank);
        assert!(!detect(std::io::Cursor::new(b"a".to_vec())).expect("detect").blank);
    }

    #[test]
    fn a_file_mixing_utf8_and_windows_1252_lines_is_decoded_line_by_line() {
        let mut bytes = "name,place\n".as_bytes().to_vec();
        bytes.extend_from_slice("Café,£5\n".as_bytes());
        bytes.extend_from_slice(b"Caf\xE9,\xA35\r\n");
        bytes.extend_from_slice("Zoë,x".as_bytes());
        let det = detect(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!((det.encoding, det.utf8_lines, det.windows_1252_lines), (TextEncoding::Mixed, 2, 1));
        assert!(det.note().unwrap().contains("2 line(s) are UTF-8 and 1 line(s) Windows-1252"));
        let (b, _) = decode(bytes);
        assert_eq!(String::from_utf8(b).unwrap(), "name,place\nCafé,£5\nCafé,£5\r\nZoë,x");
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_recognised_by_its_zero_bytes() {
        for big_endian in [false, true] {
            let mut bytes = Vec::new();
            for u in "crime_ref,date\nC1,01/02/2025\n".encode_utf16() {
                bytes.extend_from_slice(&if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            let det = detect(std::io::Cursor::new(&bytes)).unwrap();
            assert_eq!((det.encoding, det.bom_len, det.big_endian), (TextEncoding::Utf16, 0, big_endian));
            assert!(det.note().unwrap().contains("without a byte-order mark"));
            assert_eq!(decode(bytes).0, b"crime_ref,date\nC1,01/02/2025\n");
        }
        // Plain text is never taken for UTF-16.
        assert_eq!(detect(std::io::Cursor::new(b"a,b\n1,2\n".to_vec())).unwrap().encoding, TextEncoding::Utf8);
    }

    #[test]
    fn sniffs_delimiters_ignoring_quoted_ones() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d"), b',');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }
}
