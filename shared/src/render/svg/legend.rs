//! The legend under the title: two rows of two, the three cohorts and the gap, each with its
//! newest value (dropped on a phone).

use std::fmt::{self, Write};

use super::series::{COHORTS, GAP};
use super::text::{escape, plain, signed, Num};
use crate::maths::history::HistoryPoint;

/// Two rows of two: the three cohorts and the gap, each with its newest value (dropped on a phone).
pub(super) fn legend(out: &mut String, newest: Option<&HistoryPoint>) -> fmt::Result {
    out.push_str("<g id=\"legend\" class=\"legend\">\n");
    let entries = COHORTS.iter().chain([&GAP]);
    for (i, s) in entries.enumerate() {
        let (x, y) = (16.0 + 392.0 * (i % 2) as f64, 100.0 + 32.0 * (i / 2) as f64);
        let value = newest.map(|p| {
            let v = (s.value)(p);
            if s.field == GAP.field {
                format!(" {} pp", signed(v))
            } else {
                format!(" {}%", plain(v))
            }
        });
        write!(
            out,
            "<g class=\"legend-item {field}\" data-series=\"{field}\">",
            field = s.field
        )?;
        if s.field == GAP.field {
            // The gap's swatch sits on a patch of the neutral band.
            write!(
                out,
                "<rect class=\"swatch-band\" x=\"{}\" y=\"{}\" width=\"28\" height=\"12\"/>",
                Num(x),
                Num(y - 11.0)
            )?;
        }
        write!(
            out,
            "<line class=\"swatch\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}",
            Num(x),
            Num(x + 28.0),
            Num(y - 5.0),
            Num(y - 5.0),
            Num(x + 36.0),
            Num(y),
            escape(s.label)
        )?;
        if let Some(value) = value {
            write!(out, "<tspan class=\"value\">{}</tspan>", escape(&value))?;
        }
        out.push_str("</text></g>\n");
    }
    out.push_str("</g>\n");
    Ok(())
}
