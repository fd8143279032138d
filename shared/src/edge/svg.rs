//! `GET /v1/chart`: the history drawn as an SVG image, `image/svg+xml; charset=utf-8`. Errors are
//! never images: they stay in the JSON envelope.
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

use std::fmt::{self, Write};

use lambda_http::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use lambda_http::{Body, Response};

use crate::domain::clock::iso8601_millis;
use crate::domain::{Pct, Period, Symbol};
use crate::maths::history::HistoryPoint;

pub const CONTENT_TYPE_SVG: &str = "image/svg+xml; charset=utf-8";

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

/// The system font stack: nothing to download, so the image renders inside an `<img>`.
const FONTS: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/// At most this many time labels: they stay apart even at a phone's type size.
const MAX_TIME_TICKS: i64 = 7;
/// Tick labels closer than this to the left edge are left out (they would run into "UTC").
const LEFT_LABEL_CLEARANCE: f64 = 50.0;
/// Gap-axis labels closer than this (vertically) to an earlier one are left out.
const GAP_LABEL_SPACING: f64 = 24.0;

/// An SVG answer: its file name (for a browser's "save image") and its text.
#[derive(Debug)]
pub struct Svg {
    pub filename: String,
    pub body: String,
}

impl Svg {
    /// HTTP 200 with the image, shown inline. The policy forbids everything but the image's own
    /// inline style, should anyone open it as a document.
    pub fn response(self) -> Response<Body> {
        let mut response = Response::new(Body::Text(self.body));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            CONTENT_TYPE_SVG.parse().expect("static header"),
        );
        headers.insert(
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'"
                .parse()
                .expect("static header"),
        );
        // File names are built from validated symbols and periods: no quoting issues.
        if let Ok(value) = format!("inline; filename=\"{}\"", self.filename).parse() {
            headers.insert(CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// One line of the chart: the history field it draws, its legend label and its value.
struct Series {
    field: &'static str,
    label: &'static str,
    value: fn(&HistoryPoint) -> Pct,
}

const COHORTS: [Series; 3] = [
    Series {
        field: "retail_crowd",
        label: "Retail crowd",
        value: |p| p.retail_crowd_long_pct,
    },
    Series {
        field: "top_traders_by_accounts",
        label: "Top traders by accounts",
        value: |p| p.top_traders_by_accounts_long_pct,
    },
    Series {
        field: "top_traders_by_position",
        label: "Top traders by position",
        value: |p| p.top_traders_by_position_long_pct,
    },
];

const GAP: Series = Series {
    field: "long_pct_gap",
    label: "Gap: position − retail",
    value: |p| p.long_pct_gap,
};

const STYLE: &str = "\
text{fill:#212529;stroke:none}\
.title{font-size:22px;font-weight:700}\
.subtitle{font-size:14px;fill:#495057}\
.legend text{font-size:15px}\
.legend .value{fill:#495057}\
.heading{font-size:14px;font-weight:600;fill:#343a40}\
.axis text{font-size:13px;fill:#495057}\
.zone-label{font-size:12px;paint-order:stroke;stroke:#fff;stroke-opacity:.8;stroke-width:3px;stroke-linejoin:round}\
.grid{stroke:#e9ecef;stroke-width:1}\
.grid.mid,.zero{stroke:#adb5bd;stroke-width:1}\
.frame{fill:none;stroke:#ced4da;stroke-width:1}\
.band{fill:#e9ecef}\
.zone-long{fill:#d55e00;fill-opacity:.07}\
.zone-short{fill:#009e73;fill-opacity:.08}\
.zone-long-label{fill:#a04600}\
.zone-short-label{fill:#00704f}\
.threshold{stroke:#868e96;stroke-width:1;stroke-dasharray:5 4}\
.line,.swatch{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}\
.lone{stroke:none}\
.retail_crowd{stroke:#d55e00;fill:#d55e00}\
.top_traders_by_accounts{stroke:#3fa7e0;fill:#3fa7e0}\
.top_traders_by_accounts .line,.top_traders_by_accounts .swatch{stroke-dasharray:7 5}\
.top_traders_by_position{stroke:#0060a0;fill:#0060a0}\
.top_traders_by_position .line,.top_traders_by_position .swatch{stroke-width:3}\
.long_pct_gap{stroke:#212529;fill:#212529}\
.legend .swatch-band{fill:#e9ecef;stroke:#868e96;stroke-dasharray:3 2}\
.empty{font-size:16px;fill:#868e96}\
.simulated{font-size:13px;font-weight:700;fill:#c92a2a;paint-order:stroke;stroke:#fff;stroke-opacity:.8;stroke-width:3px}\
@media (max-width:560px){\
.title{font-size:32px}\
.subtitle{font-size:21px}\
.legend text{font-size:24px}\
.legend .value,.detail{display:none}\
.heading{font-size:21px}\
.axis text{font-size:22px}\
.zone-label{font-size:19px}\
.empty{font-size:24px}\
.simulated{font-size:20px}\
.line,.swatch{stroke-width:4}\
.top_traders_by_position .line,.top_traders_by_position .swatch{stroke-width:5}\
}";

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
    // Writing into a String cannot fail.
    let _ = draw(&mut body, symbol, period, threshold, source, points);
    Svg {
        filename: format!("{symbol}-{period}-chart.svg"),
        body,
    }
}

/// A linear map from values `v0..v1` to positions `p0..p1`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scale {
    v0: f64,
    v1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn at(self, v: f64) -> f64 {
        self.p0 + (v - self.v0) / (self.v1 - self.v0) * (self.p1 - self.p0)
    }
}

/// A coordinate or value as written in the SVG: one decimal at most, `-0` never.
struct Num(f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0 + 0.0;
        let text = format!("{rounded:.1}");
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

/// The time scale: first point to last (one point alone sits in the middle of a window of two
/// periods); `None` without points.
fn time_scale(points: &[HistoryPoint], period: Period) -> Option<Scale> {
    let (first, last) = (points.first()?.timestamp, points.last()?.timestamp);
    let (t0, t1) = if first == last {
        (first - period.millis(), last + period.millis())
    } else {
        (first, last)
    };
    Some(Scale {
        v0: t0 as f64,
        v1: t1 as f64,
        p0: PLOT_LEFT,
        p1: PLOT_RIGHT,
    })
}

const LONG_SCALE: Scale = Scale {
    v0: 0.0,
    v1: 100.0,
    p0: LONG_BOTTOM,
    p1: LONG_TOP,
};

/// Round half-ranges for the gap panel.
const GAP_RANGES: [f64; 13] = [
    5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0, 150.0,
];

/// R: the smallest round number beyond both the largest |gap| (with a little room) and 1.5 × T
/// (so the band never fills the panel).
fn gap_range(points: &[HistoryPoint], threshold: Pct) -> f64 {
    let largest = points
        .iter()
        .map(|p| p.long_pct_gap.to_f64().abs())
        .fold(0.0, f64::max);
    let need = (largest * 1.08).max(threshold.to_f64() * 1.5);
    GAP_RANGES
        .into_iter()
        .find(|&r| r >= need)
        .unwrap_or_else(|| (need / 50.0).ceil() * 50.0)
}

fn gap_scale(range: f64) -> Scale {
    Scale {
        v0: -range,
        v1: range,
        p0: GAP_BOTTOM,
        p1: GAP_TOP,
    }
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Time-label spacings, each a whole number of the one before's units, aligned to UTC.
const TIME_STEPS: [i64; 19] = [
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    4 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    56 * DAY,
    91 * DAY,
    182 * DAY,
    364 * DAY,
];

/// The time labels between `t0` and `t1`: multiples (since the epoch, UTC) of the smallest step
/// that gives at most [`MAX_TIME_TICKS`] of them.
fn time_ticks(t0: i64, t1: i64) -> (i64, Vec<i64>) {
    let count = |step: i64| t1.div_euclid(step) - (t0 + step - 1).div_euclid(step) + 1;
    let step = TIME_STEPS
        .into_iter()
        .find(|&s| count(s) <= MAX_TIME_TICKS)
        .unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let first = (t0 + step - 1).div_euclid(step) * step;
    let ticks = (0..count(step).max(0)).map(|i| first + i * step).collect();
    (step, ticks)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC instant's parts as labels: `("2026-08-02", "13:00", "2 Aug", "2026")`.
fn utc_labels(ms: i64) -> (String, String, String, String) {
    let iso = iso8601_millis(ms);
    let part = |r: std::ops::Range<usize>| iso.get(r).unwrap_or("").to_string();
    let month: usize = part(5..7).parse().unwrap_or(1);
    let day: u32 = part(8..10).parse().unwrap_or(1);
    let month = MONTHS.get(month.wrapping_sub(1)).copied().unwrap_or("");
    (
        part(0..10),
        part(11..16),
        format!("{day} {month}"),
        part(0..4),
    )
}

/// `2026-08-02 13:00`, UTC.
fn utc_minute(ms: i64) -> String {
    let (date, time, _, _) = utc_labels(ms);
    format!("{date} {time}")
}

/// Each time label's text and, under it, its date (or year) where that changes: the first label
/// always has one. Daily steps label the date, the year under it; shorter steps the time of day.
fn tick_labels(ticks: &[i64], step: i64) -> Vec<(String, Option<String>)> {
    let mut previous: Option<String> = None;
    ticks
        .iter()
        .map(|&t| {
            let (_, time, date, year) = utc_labels(t);
            let (main, context) = if step % DAY == 0 {
                (date, year)
            } else {
                (time, date)
            };
            let sub = (previous.as_deref() != Some(context.as_str())).then(|| context.clone());
            previous = Some(context);
            (main, sub)
        })
        .collect()
}

/// A percentage without trailing zeros: `8`, `7.5`, `65.75`.
fn plain(p: Pct) -> String {
    let text = p.to_string();
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.replace('-', "−")
}

/// With its sign, a true minus: `+8`, `−10.21`, `0`.
fn signed(p: Pct) -> String {
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

fn draw(
    out: &mut String,
    symbol: &Symbol,
    period: Period,
    threshold: Pct,
    source: &str,
    points: &[HistoryPoint],
) -> fmt::Result {
    let symbol = escape(symbol.as_str());
    let period_text = escape(period.as_str());
    let t = escape(&plain(threshold));
    let time = time_scale(points, period);
    let range = gap_range(points, threshold);
    let gap = gap_scale(range);
    let count = points.len();
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) if a.timestamp != b.timestamp => format!(
            "{} – {} UTC",
            utc_minute(a.timestamp),
            utc_minute(b.timestamp)
        ),
        (Some(a), _) => format!("{} UTC", utc_minute(a.timestamp)),
        _ => "no bucket with all three cohorts".to_string(),
    };
    let buckets = if count == 1 { "bucket" } else { "buckets" };
    let title = format!("{symbol} · {period_text} · long % by cohort");
    let subtitle = format!("{count} {buckets} · {}", escape(&span));

    write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"100%\" \
         font-family=\"{FONTS}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         data-symbol=\"{symbol}\" data-period=\"{period_text}\" data-threshold=\"{t}\" \
         data-count=\"{count}\" data-source=\"{}\"",
        Num(WIDTH),
        Num(HEIGHT),
        escape(source)
    )?;
    if let Some(time) = time {
        write!(
            out,
            " data-t0=\"{}\" data-t1=\"{}\" data-x0=\"{}\" data-x1=\"{}\"",
            time.v0 as i64,
            time.v1 as i64,
            Num(time.p0),
            Num(time.p1)
        )?;
    }
    out.push_str(">\n");
    writeln!(
        out,
        "<title id=\"chart-title\">{title}</title>\n<desc id=\"chart-desc\">{subtitle}. Top: the \
         share of each cohort that is long, in %. Bottom: the gap, top traders by position minus \
         the retail crowd, in percentage points; the shaded band is the neutral zone within \
         ±{t} pp. Source: {}. Not financial advice.</desc>\n<style>{STYLE}</style>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text id=\"title\" class=\"title\" x=\"16\" y=\"38\">{title}</text>\n\
         <text id=\"subtitle\" class=\"subtitle\" x=\"16\" y=\"66\">{subtitle}</text>",
        escape(source)
    )?;
    legend(out, points.last())?;

    // Top panel: long % of each cohort.
    writeln!(
        out,
        "<g id=\"panel-long\" class=\"panel\" data-unit=\"%\" data-v0=\"{}\" data-v1=\"{}\" \
         data-y0=\"{}\" data-y1=\"{}\">",
        Num(LONG_SCALE.v0),
        Num(LONG_SCALE.v1),
        Num(LONG_SCALE.p0),
        Num(LONG_SCALE.p1)
    )?;
    out.push_str("<g class=\"axis axis-long\">\n");
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = Num(LONG_SCALE.at(v));
        let class = if v == 50.0 { "grid mid" } else { "grid" };
        writeln!(
            out,
            "<line class=\"{class}\" x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text x=\"{}\" y=\"{y}\" dy=\"0.35em\" text-anchor=\"end\">{}%</text>",
            Num(PLOT_LEFT),
            Num(PLOT_RIGHT),
            Num(PLOT_LEFT - 8.0),
            Num(v)
        )?;
    }
    out.push_str("</g>\n");
    vertical_grid(out, time, LONG_TOP, LONG_BOTTOM)?;
    frame(out, LONG_TOP, LONG_BOTTOM)?;
    if let Some(time) = time {
        for cohort in &COHORTS {
            series(out, cohort, time, LONG_SCALE, points, period)?;
        }
    } else {
        writeln!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">No bucket with all \
             three cohorts in this window</text>",
            Num((PLOT_LEFT + PLOT_RIGHT) / 2.0),
            Num(LONG_SCALE.at(50.0) - 8.0)
        )?;
    }
    if source.starts_with("local_standin") {
        writeln!(
            out,
            "<text id=\"simulated\" class=\"simulated\" x=\"{}\" y=\"{}\" dy=\"1em\" \
             text-anchor=\"end\">SIMULATED DATA<tspan class=\"detail\"> (local stand-in)</tspan></text>",
            Num(PLOT_RIGHT - 8.0),
            Num(LONG_TOP + 6.0)
        )?;
    }
    out.push_str("</g>\n");

    // Bottom panel: the gap, the neutral band and the two signal zones.
    let (y_top_t, y_bottom_t) = (gap.at(threshold.to_f64()), gap.at(-threshold.to_f64()));
    writeln!(
        out,
        "<text class=\"heading\" x=\"16\" y=\"{}\">Gap (pp)<tspan class=\"detail\"> = top traders \
         by position − retail crowd</tspan> · band ±{t} = neutral</text>",
        Num(GAP_TOP - 16.0)
    )?;
    writeln!(
        out,
        "<g id=\"panel-gap\" class=\"panel\" data-unit=\"pp\" data-v0=\"{}\" data-v1=\"{}\" \
         data-y0=\"{}\" data-y1=\"{}\" data-threshold=\"{t}\">",
        Num(gap.v0),
        Num(gap.v1),
        Num(gap.p0),
        Num(gap.p1)
    )?;
    let (x, w) = (Num(PLOT_LEFT), Num(PLOT_RIGHT - PLOT_LEFT));
    writeln!(
        out,
        "<rect class=\"zone-short\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>\n\
         <rect class=\"band\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>\n\
         <rect class=\"zone-long\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>",
        Num(GAP_TOP),
        Num(y_top_t - GAP_TOP),
        Num(y_top_t),
        Num(y_bottom_t - y_top_t),
        Num(y_bottom_t),
        Num(GAP_BOTTOM - y_bottom_t)
    )?;
    out.push_str("<g class=\"axis axis-gap\">\n");
    let r_half = range / 2.0;
    let mut placed: Vec<f64> = Vec::new();
    for (v, kind) in [
        (0.0, "zero"),
        (range, "edge"),
        (-range, "edge"),
        (threshold.to_f64(), "threshold"),
        (-threshold.to_f64(), "threshold"),
        (r_half, "grid"),
        (-r_half, "grid"),
    ] {
        let y = gap.at(v);
        match kind {
            "zero" => writeln!(
                out,
                "<line class=\"zero\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                Num(PLOT_LEFT),
                Num(PLOT_RIGHT),
                Num(y),
                Num(y)
            )?,
            "threshold" => writeln!(
                out,
                "<line class=\"threshold\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                Num(PLOT_LEFT),
                Num(PLOT_RIGHT),
                Num(y),
                Num(y)
            )?,
            _ => {}
        }
        if placed.iter().any(|p| (p - y).abs() < GAP_LABEL_SPACING) {
            continue;
        }
        placed.push(y);
        if kind == "grid" {
            writeln!(
                out,
                "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                Num(PLOT_LEFT),
                Num(PLOT_RIGHT),
                Num(y),
                Num(y)
            )?;
        }
        let label = signed(Pct::from_units((v * 100.0).round() as i64));
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" dy=\"0.35em\" text-anchor=\"end\">{}</text>",
            Num(PLOT_LEFT - 8.0),
            Num(y),
            escape(&label)
        )?;
    }
    out.push_str("</g>\n");
    vertical_grid(out, time, GAP_TOP, GAP_BOTTOM)?;
    frame(out, GAP_TOP, GAP_BOTTOM)?;
    let mut line = Vec::new();
    if let Some(time) = time {
        series(out, &GAP, time, gap, points, period)?;
        line = points
            .iter()
            .map(|p| (time.at(p.timestamp as f64), gap.at(p.long_pct_gap.to_f64())))
            .collect();
    }
    zone_labels(out, &line, y_top_t, y_bottom_t, &t)?;
    out.push_str("</g>\n");

    time_axis(out, time)?;
    out.push_str("</svg>\n");
    Ok(())
}

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
fn zone_labels(
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

/// Two rows of two: the three cohorts and the gap, each with its newest value (dropped on a phone).
fn legend(out: &mut String, newest: Option<&HistoryPoint>) -> fmt::Result {
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

/// The plot area's outline.
fn frame(out: &mut String, top: f64, bottom: f64) -> fmt::Result {
    writeln!(
        out,
        "<rect class=\"frame\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        Num(PLOT_LEFT),
        Num(top),
        Num(PLOT_RIGHT - PLOT_LEFT),
        Num(bottom - top)
    )
}

/// A vertical grid line at each time label, from `top` to `bottom`.
fn vertical_grid(out: &mut String, time: Option<Scale>, top: f64, bottom: f64) -> fmt::Result {
    let Some(time) = time else { return Ok(()) };
    let (_, ticks) = time_ticks(time.v0 as i64, time.v1 as i64);
    for t in ticks {
        let x = Num(time.at(t as f64));
        writeln!(
            out,
            "<line class=\"grid\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/>",
            Num(top),
            Num(bottom)
        )?;
    }
    Ok(())
}

/// The time labels under the bottom panel, UTC.
fn time_axis(out: &mut String, time: Option<Scale>) -> fmt::Result {
    // Offsets in em below the panel: they grow with the phone's larger type.
    let top = Num(GAP_BOTTOM + 8.0);
    writeln!(
        out,
        "<g id=\"axis-time\" class=\"axis axis-time\">\n<text x=\"{}\" y=\"{top}\" \
         dy=\"1em\" text-anchor=\"end\">UTC</text>",
        Num(PLOT_LEFT - 8.0),
    )?;
    if let Some(time) = time {
        let (step, ticks) = time_ticks(time.v0 as i64, time.v1 as i64);
        let shown: Vec<i64> = ticks
            .into_iter()
            .filter(|&t| time.at(t as f64) >= PLOT_LEFT + LEFT_LABEL_CLEARANCE)
            .collect();
        for (&t, (main, sub)) in shown.iter().zip(tick_labels(&shown, step)) {
            let x = Num(time.at(t as f64));
            write!(
                out,
                "<g class=\"tick\" data-t=\"{t}\"><line class=\"zero\" x1=\"{x}\" x2=\"{x}\" \
                 y1=\"{}\" y2=\"{}\"/><text x=\"{x}\" y=\"{top}\" dy=\"1em\" \
                 text-anchor=\"middle\">{}</text>",
                Num(GAP_BOTTOM),
                Num(GAP_BOTTOM + 6.0),
                escape(&main)
            )?;
            if let Some(sub) = sub {
                write!(
                    out,
                    "<text class=\"sub\" x=\"{x}\" y=\"{top}\" dy=\"2.2em\" \
                     text-anchor=\"middle\">{}</text>",
                    escape(&sub)
                )?;
            }
            out.push_str("</g>\n");
        }
    }
    out.push_str("</g>\n");
    Ok(())
}

/// One series: a polyline per run of consecutive buckets, and a dot for a run of one (a line of
/// one vertex draws nothing).
fn series(
    out: &mut String,
    series: &Series,
    time: Scale,
    y: Scale,
    points: &[HistoryPoint],
    period: Period,
) -> fmt::Result {
    writeln!(
        out,
        "<g class=\"series {f}\" id=\"series-{f}\" data-series=\"{f}\">",
        f = series.field
    )?;
    let step = period.millis();
    for run in points.chunk_by(|a, b| b.timestamp - a.timestamp <= step) {
        out.push_str("<polyline class=\"line\" points=\"");
        for (i, p) in run.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write!(
                out,
                "{},{}",
                Num(time.at(p.timestamp as f64)),
                Num(y.at((series.value)(p).to_f64()))
            )?;
        }
        out.push_str("\"/>\n");
        if let [p] = run {
            writeln!(
                out,
                "<circle class=\"lone\" cx=\"{}\" cy=\"{}\" r=\"3\"/>",
                Num(time.at(p.timestamp as f64)),
                Num(y.at((series.value)(p).to_f64()))
            )?;
        }
    }
    out.push_str("</g>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
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
    fn text_is_xml_escaped_and_the_document_well_formed() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;"
        );
        assert_eq!(escape("± − ·"), "± − ·");
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
    fn times_are_utc_and_labels_change_date_where_the_date_changes() {
        assert_eq!(
            utc_labels(AUG_2 + 13 * HOUR + 5 * MINUTE),
            (
                "2026-08-02".to_string(),
                "13:05".to_string(),
                "2 Aug".to_string(),
                "2026".to_string()
            )
        );
        // 96 hourly buckets ending 2026-08-02 13:00: the labels are the four UTC midnights.
        let (t0, t1) = (AUG_2 + 13 * HOUR - 95 * HOUR, AUG_2 + 13 * HOUR);
        let (step, ticks) = time_ticks(t0, t1);
        assert_eq!(step, DAY);
        assert_eq!(
            ticks,
            [AUG_2 - 3 * DAY, AUG_2 - 2 * DAY, AUG_2 - DAY, AUG_2]
        );
        let labels = tick_labels(&ticks, step);
        assert_eq!(labels[0], ("30 Jul".to_string(), Some("2026".to_string())));
        assert_eq!(labels[3], ("2 Aug".to_string(), None));
        // 96 five-minute buckets: every two hours, the date under the first label and at midnight.
        let (t0, t1) = (AUG_2 - 3 * HOUR, AUG_2 - 3 * HOUR + 95 * 5 * MINUTE);
        let (step, ticks) = time_ticks(t0, t1);
        assert_eq!(step, 2 * HOUR);
        let labels = tick_labels(&ticks, step);
        let texts: Vec<(&str, Option<&str>)> = labels
            .iter()
            .map(|(m, s)| (m.as_str(), s.as_deref()))
            .collect();
        assert_eq!(
            texts,
            [
                ("22:00", Some("1 Aug")),
                ("00:00", Some("2 Aug")),
                ("02:00", None),
                ("04:00", None)
            ]
        );
        let svg = render(&[
            point(AUG_2 - 3 * HOUR, 5000, 5000, 5000),
            point(AUG_2 + 13 * HOUR, 5000, 5000, 5000),
        ]);
        assert!(svg.contains("2 buckets · 2026-08-01 21:00 – 2026-08-02 13:00 UTC"));
    }

    #[test]
    fn the_gap_range_clears_the_largest_gap_and_the_band() {
        let gaps = |units: &[i64]| -> Vec<HistoryPoint> {
            units
                .iter()
                .map(|&g| point(AUG_2, 5000, 5000, 5000 + g))
                .collect()
        };
        let t = Pct::from_units(800);
        assert_eq!(gap_range(&gaps(&[100, -200]), t), 15.0);
        assert_eq!(gap_range(&gaps(&[-1021, 300]), t), 15.0);
        assert_eq!(gap_range(&gaps(&[1400]), t), 20.0);
        assert_eq!(gap_range(&gaps(&[-4700]), t), 60.0);
        assert_eq!(gap_range(&gaps(&[]), Pct::from_units(10_000)), 150.0);
        assert_eq!(gap_range(&gaps(&[100]), Pct::from_units(200)), 5.0);
    }

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

    #[test]
    fn the_response_is_an_inline_svg_image() {
        let svg = chart(&btc(), Period::H1, Pct::from_units(800), BINANCE, &[]);
        assert_eq!(svg.filename, "BTCUSDT-1h-chart.svg");
        let r = svg.response();
        assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml; charset=utf-8");
        assert_eq!(
            r.headers()[CONTENT_DISPOSITION],
            "inline; filename=\"BTCUSDT-1h-chart.svg\""
        );
    }
}
