//! Numbers as reports and messages print them, in one place so every stage groups digits the same way.

/// 12345 -> "12,345"
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A whole number held as a float, rounded and grouped: -1234.6 -> "-1,235" (never "-0").
pub fn thousands_f64(x: f64) -> String {
    let grouped = thousands(x.abs().round() as u64);
    if x < 0.0 && grouped.chars().any(|c| c != '0' && c != ',') { format!("-{grouped}") } else { grouped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_in_threes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands_f64(-1234.6), "-1,235");
        assert_eq!(thousands_f64(-0.2), "0");
        assert_eq!(thousands_f64(45_000_000.0), "45,000,000");
    }
}
