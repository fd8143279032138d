//! The two signal zones' labels in the gap panel, placed where the gap line crosses them least.

use std::fmt::{self, Write};

use super::text::{escape, Num};
use super::{GAP_BOTTOM, GAP_TOP, PLOT_LEFT, PLOT_RIGHT};

/// A zone's label: the signal it stands for, with its meaning (dropped on a phone).
const ZONE_LABELS: [(&str, &str, &str, &str); 2] = [
    (
        "zone-short-label",
        "≥ +",
        ": crowd over short",
        " (contrarian bullish)",
    ),
    (
        "zone-long-label",
        "≤ −",
        ": crowd over long",
        " (contrarian bearish)",
    ),
];

/// Each signal zone's label, at the plot's right or left end, next to its threshold line or at
/// the zone's outer edge: the first of those four spots that the gap line crosses least. Drawn
/// over the line with a translucent halo, so a crossing line still shows through.
pub(super) fn zone_labels(
    out: &mut String,
    line: &[(f64, f64)],
    y_top_t: f64,
    y_bottom_t: f64,
    t: &str,
) -> fmt::Result {
    // The label's box, as wide as the longer of its desktop and phone forms (about 0.6 em a
    // character) and as tall as the phone's type.
    let (desktop, phone) = (12.0, 19.0);
    for (i, (class, sign, words, meaning)) in ZONE_LABELS.into_iter().enumerate() {
        let chars = |text: &str| text.chars().count() as f64;
        let short = chars(sign) + chars(t) + chars(words);
        let width = (0.6 * desktop * (short + chars(meaning))).max(0.6 * phone * short);
        // (top of the box, baseline, dy): next to the threshold line, then at the outer edge.
        let rows = if i == 0 {
            [
                (y_top_t - 5.0 - phone, y_top_t - 5.0, ""),
                (GAP_TOP + 3.0, GAP_TOP + 3.0, "0.9em"),
            ]
        } else {
            [
                (y_bottom_t + 4.0, y_bottom_t + 4.0, "0.9em"),
                (GAP_BOTTOM - 5.0 - phone, GAP_BOTTOM - 5.0, ""),
            ]
        };
        let spots = rows.into_iter().flat_map(|(top, baseline, dy)| {
            [
                (PLOT_RIGHT - 6.0 - width, PLOT_RIGHT - 6.0, "end"),
                (PLOT_LEFT + 6.0, PLOT_LEFT + 6.0 + width, "start"),
            ]
            .map(|(x0, x1, anchor)| {
                (
                    crossings(line, (x0, x1, top, top + phone)),
                    x0,
                    x1,
                    baseline,
                    dy,
                    anchor,
                )
            })
        });
        let Some((_, x0, x1, baseline, dy, anchor)) = spots.min_by_key(|spot| spot.0) else {
            continue;
        };
        let x = if anchor == "end" { x1 } else { x0 };
        let dy = if dy.is_empty() {
            String::new()
        } else {
            format!(" dy=\"{dy}\"")
        };
        writeln!(
            out,
            "<text class=\"zone-label {class}\" x=\"{}\" y=\"{}\"{dy} text-anchor=\"{anchor}\">\
             {}{t}{}<tspan class=\"detail\">{}</tspan></text>",
            Num(x),
            Num(baseline),
            escape(sign),
            escape(words),
            escape(meaning)
        )?;
    }
    Ok(())
}

/// How many segments of `line` pass through the box `(x0, x1, y0, y1)`.
fn crossings(line: &[(f64, f64)], (x0, x1, y0, y1): (f64, f64, f64, f64)) -> usize {
    let inside = |&(ax, ay): &(f64, f64), &(bx, by): &(f64, f64)| {
        let (lo, hi) = (ax.max(x0), bx.min(x1));
        if lo > hi {
            return false;
        }
        let at = |x: f64| {
            if bx > ax {
                ay + (x - ax) / (bx - ax) * (by - ay)
            } else {
                ay
            }
        };
        let (ya, yb) = (at(lo), at(hi));
        ya.max(yb) >= y0 && ya.min(yb) <= y1
    };
    match line {
        [only] => usize::from(inside(only, only)),
        _ => line.windows(2).filter(|w| inside(&w[0], &w[1])).count(),
    }
}
