//! `GET /v1/chart`'s picture: the history drawn as an SVG image, a value (file name and text) the
//! edge sends as `image/svg+xml`. Errors are never images: they stay in the JSON envelope.
//!
//! The image stands alone inside an `<img>` tag: no script, no external font or reference, only
//! the system font stack; every text is XML-escaped. It scales to its container (`viewBox`,
//! `width="100%"`); below 560 px wide (a phone) a media query enlarges the type, thickens the lines
//! and drops the legend's values and the long heading, so the text stays about 10 px on screen.
//!
//! Geometry, in user units of the `0 0 800 630` viewBox (also written on the elements, so a reader
//! of the SVG can map any vertex back to its value without this file):
//! - time, shared by both panels: the first point at x = [`PLOT_LEFT`], the last at
//!   [`PLOT_RIGHT`] (one point alone: in the middle); `data-t0`/`data-t1`/`data-x0`/`data-x1` on
//!   the root element;
//! - top panel `#panel-long`: each cohort's long %, 0 at y = [`LONG_BOTTOM`], 100 at [`LONG_TOP`];
//! - bottom panel `#panel-gap`: `long_pct_gap` in pp, symmetric: −R at [`GAP_BOTTOM`], +R at
//!   [`GAP_TOP`], R a round number beyond both the largest |gap| and 1.5 × the threshold T, with
//!   the neutral band (−T, +T) shaded;
//! - each panel carries `data-v0`/`data-v1` (values) and `data-y0`/`data-y1` (their y):
//!   y = y0 + (v − v0) / (v1 − v0) × (y1 − y0).
//!
//! Each series is a `<g class="series …" id="series-<field>" data-series="<field>">` holding one
//! `<polyline>` per run of consecutive buckets (a missing bucket breaks the line rather than being
//! bridged), so its vertices are exactly the history's points, oldest first.
//!
//! The root also says `data-symbol`, `data-period`, `data-threshold`, `data-count` and
//! `data-source` (the answer's `source`); data from a local stand-in is marked SIMULATED DATA in
//! the top panel.

mod draw;
mod legend;
mod scale;
mod series;
mod style;
mod text;
mod time;
mod zones;

use crate::domain::{Pct, Period, Symbol};
use crate::maths::history::HistoryPoint;

pub use text::escape;

pub const WIDTH: f64 = 800.0;
pub const HEIGHT: f64 = 630.0;
/// The time axis, shared by both panels.
pub const PLOT_LEFT: f64 = 72.0;
pub const PLOT_RIGHT: f64 = 752.0;
/// Top panel: long % from 0 (bottom) to 100 (top).
pub const LONG_TOP: f64 = 154.0;
pub const LONG_BOTTOM: f64 = 354.0;
/// Bottom panel: the gap from −R (bottom) to +R (top).
pub const GAP_TOP: f64 = 404.0;
pub const GAP_BOTTOM: f64 = 564.0;

/// An SVG answer: its file name (for a browser's "save image") and its text.
#[derive(Debug)]
pub struct Svg {
    pub filename: String,
    pub body: String,
}

/// The chart of `points` (as `/v1/history` gives them: oldest first, one per bucket) for
/// `symbol` at `period`, with the neutral band at ±`threshold`. `source` is the answer's `source`
/// (as `/v1/history` says it): data from a local stand-in is marked SIMULATED on the picture.
pub fn chart(
    symbol: &Symbol,
    period: Period,
    threshold: Pct,
    source: &str,
    points: &[HistoryPoint],
) -> Svg {
    let mut body = String::with_capacity(6_000 + points.len() * 80);
    let chart = draw::Chart {
        symbol,
        period,
        threshold,
        source,
        points,
    };
    // Writing into a String cannot fail.
    let _ = chart.draw(&mut body);
    Svg {
        filename: format!("{symbol}-{period}-chart.svg"),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::scale::HOUR;
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const AUG_2: i64 = 1_785_628_800_000;

    fn point(timestamp: i64, retail: i64, accounts: i64, position: i64) -> HistoryPoint {
        HistoryPoint {
            timestamp,
            long_pct_gap: Pct::from_units(position - retail),
            retail_crowd_long_pct: Pct::from_units(retail),
            retail_crowd_ls_ratio: None,
            top_traders_by_accounts_long_pct: Pct::from_units(accounts),
            top_traders_by_accounts_ls_ratio: None,
            top_traders_by_position_long_pct: Pct::from_units(position),
            top_traders_by_position_ls_ratio: None,
        }
    }

    fn btc() -> Symbol {
        Symbol::from_coin("BTC").unwrap()
    }

    fn render(points: &[HistoryPoint]) -> String {
        chart(&btc(), Period::H1, Pct::from_units(800), BINANCE, points).body
    }

    const BINANCE: &str = "binance_usdm_futures";

    /// The `points` attribute of each polyline of the series `field`.
    fn polylines(svg: &str, field: &str) -> Vec<String> {
        let start = svg
            .find(&format!("id=\"series-{field}\""))
            .expect("the series");
        let group = &svg[start..start + svg[start..].find("</g>").unwrap()];
        group
            .split("points=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .collect()
    }

    #[test]
    fn known_values_land_on_hand_computed_coordinates() {
        // Three hourly points: the first at x = 72, the last at 752, the middle at 412.
        // Long panel: y = 354 - 2 × long %, so 50% → 254, 65.75% → 222.5, 0% → 354, 100% → 154.
        // Gap: largest |gap| 10.21 → R = 15 (≥ 1.08 × 10.21 and ≥ 1.5 × 8); y = 484 - gap × 16/3,
        // so 0 → 484, -10.21 → 538.45 → 538.5 (one decimal), +6 → 452.
        let points = [
            point(AUG_2, 5000, 10000, 5000),
            point(AUG_2 + HOUR, 6575, 0, 5554),
            point(AUG_2 + 2 * HOUR, 5000, 5000, 5600),
        ];
        let svg = render(&points);
        assert_eq!(
            polylines(&svg, "retail_crowd"),
            ["72,254 412,222.5 752,254"]
        );
        assert_eq!(
            polylines(&svg, "top_traders_by_accounts"),
            ["72,154 412,354 752,254"]
        );
        assert_eq!(
            polylines(&svg, "long_pct_gap"),
            ["72,484 412,538.5 752,452"]
        );
        assert!(svg.contains(
            "id=\"panel-long\" class=\"panel\" data-unit=\"%\" data-v0=\"0\" data-v1=\"100\" \
             data-y0=\"354\" data-y1=\"154\""
        ));
        assert!(svg.contains("data-v0=\"-15\" data-v1=\"15\" data-y0=\"564\" data-y1=\"404\""));
        assert!(svg.contains(&format!(
            "data-t0=\"{AUG_2}\" data-t1=\"{}\" data-x0=\"72\" data-x1=\"752\"",
            AUG_2 + 2 * HOUR
        )));
        // The neutral band spans ±8: y from 484 - 8 × 16/3 = 441.3 to 526.7.
        assert!(svg
            .contains("<rect class=\"band\" x=\"72\" y=\"441.3\" width=\"680\" height=\"85.3\"/>"));
    }

    #[test]
    fn every_point_is_one_vertex_and_a_missing_bucket_breaks_the_line() {
        let points: Vec<HistoryPoint> = (0..37)
            .filter(|i| *i != 30)
            .map(|i| point(AUG_2 + i * HOUR, 6000, 5500, 5000))
            .collect();
        let svg = render(&points);
        for field in [
            "retail_crowd",
            "top_traders_by_accounts",
            "top_traders_by_position",
            "long_pct_gap",
        ] {
            let runs = polylines(&svg, field);
            let vertices: Vec<usize> = runs.iter().map(|r| r.split(' ').count()).collect();
            assert_eq!(vertices, [30, 6], "{field}");
        }
        assert!(svg.contains("data-count=\"36\""));
        assert!(!svg.contains("class=\"lone\""));
        // A run of one bucket gets a dot as well as its one-vertex line.
        let lone = [
            point(AUG_2, 6000, 5500, 5000),
            point(AUG_2 + 2 * HOUR, 6000, 5500, 5000),
            point(AUG_2 + 3 * HOUR, 6000, 5500, 5000),
        ];
        let svg = render(&lone);
        assert_eq!(
            polylines(&svg, "retail_crowd"),
            ["72,234", "525.3,234 752,234"]
        );
        assert_eq!(svg.matches("class=\"lone\"").count(), 4);
    }

    #[test]
    fn one_point_sits_in_the_middle_and_no_point_draws_an_empty_chart() {
        let svg = render(&[point(AUG_2, 5000, 5000, 5000)]);
        assert_eq!(polylines(&svg, "retail_crowd"), ["412,254"]);
        assert!(svg.contains("1 bucket · 2026-08-02 00:00 UTC"));
        let svg = render(&[]);
        assert!(svg.contains("data-count=\"0\""));
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains("No bucket with all three cohorts in this window"));
    }

    /// Well-formed XML whose every `&` in text and attribute values starts one of XML's five
    /// entities: the number of elements, or what is wrong.
    fn check_xml(svg: &str) -> Result<usize, String> {
        use xmlparser::{ElementEnd, Token, Tokenizer};
        let escaped = |text: &str| {
            text.match_indices('&').all(|(i, _)| {
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| text[i..].starts_with(e))
            })
        };
        let (mut open, mut elements) = (Vec::new(), 0);
        for token in Tokenizer::from(svg) {
            match token.map_err(|e| e.to_string())? {
                Token::ElementStart { local, .. } => {
                    open.push(local.as_str());
                    elements += 1;
                }
                Token::ElementEnd { end, .. } => match end {
                    ElementEnd::Open => {}
                    ElementEnd::Empty => {
                        open.pop();
                    }
                    ElementEnd::Close(_, local) => {
                        if open.pop() != Some(local.as_str()) {
                            return Err(format!("</{}> closes nothing open", local.as_str()));
                        }
                    }
                },
                Token::Attribute { value, .. } if !escaped(value.as_str()) => {
                    return Err(format!("unescaped attribute {}", value.as_str()));
                }
                Token::Text { text } if !escaped(text.as_str()) => {
                    return Err(format!("unescaped text {}", text.as_str()));
                }
                _ => {}
            }
        }
        if open.is_empty() {
            Ok(elements)
        } else {
            Err(format!("unclosed {open:?}"))
        }
    }

    #[test]
    fn the_document_is_well_formed_with_its_text_escaped() {
        assert!(check_xml("<a>Tom & Jerry</a>").is_err());
        assert!(check_xml("<a><b></a>").is_err());
        let points: Vec<HistoryPoint> = (0..500)
            .map(|i| point(AUG_2 + i * HOUR, 4000 + i * 7, 6000 - i * 5, 5000 + i))
            .collect();
        for points in [&points[..], &points[..1], &[]] {
            let svg = render(points);
            let elements = check_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(elements > 40, "{elements}");
        }
    }

    #[test]
    fn the_subtitle_says_the_span_in_utc() {
        let svg = render(&[
            point(AUG_2 - 3 * HOUR, 5000, 5000, 5000),
            point(AUG_2 + 13 * HOUR, 5000, 5000, 5000),
        ]);
        assert!(svg.contains("2 buckets · 2026-08-01 21:00 – 2026-08-02 13:00 UTC"));
    }

    #[test]
    fn data_from_the_stand_in_is_marked_simulated_on_the_picture() {
        let one = [point(AUG_2, 5000, 5000, 5000)];
        assert!(!render(&one).contains("SIMULATED"));
        let standin =
            "local_standin: SIMULATED data from a local Binance stand-in, NOT live market data";
        let svg = chart(&btc(), Period::H1, Pct::from_units(800), standin, &one).body;
        assert!(
            svg.contains(">SIMULATED DATA<tspan class=\"detail\"> (local stand-in)</tspan></text>")
        );
        assert!(svg.contains(&format!("data-source=\"{standin}\"")));
    }
}
