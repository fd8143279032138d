//! Numbers and words as the SVG writes them: coordinates to one decimal, percentages without
//! trailing zeros and with a true minus, XML-escaped text.

use std::fmt;

use crate::domain::Pct;

/// A coordinate or value as written in the SVG: one decimal at most, `-0` never.
pub(super) struct Num(pub(super) f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0 + 0.0;
        let text = format!("{rounded:.1}");
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

/// A percentage without trailing zeros: `8`, `7.5`, `65.75`.
pub(super) fn plain(p: Pct) -> String {
    let text = p.to_string();
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.replace('-', "−")
}

/// With its sign, a true minus: `+8`, `−10.21`, `0`.
pub(super) fn signed(p: Pct) -> String {
    if p.units() > 0 {
        format!("+{}", plain(p))
    } else {
        plain(p)
    }
}

/// XML-escaped text, for element content and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_values_print_without_trailing_zeros_and_with_a_true_minus() {
        assert_eq!(plain(Pct::from_units(800)), "8");
        assert_eq!(plain(Pct::from_units(750)), "7.5");
        assert_eq!(signed(Pct::from_units(-1021)), "−10.21");
        assert_eq!(signed(Pct::from_units(520)), "+5.2");
        assert_eq!(signed(Pct::from_units(0)), "0");
        assert_eq!(Num(-0.04).to_string(), "0");
        assert_eq!(Num(538.453).to_string(), "538.5");
    }

    #[test]
    fn text_is_xml_escaped() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;"
        );
        assert_eq!(escape("± − ·"), "± − ·");
    }
}
