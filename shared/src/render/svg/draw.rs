//! The drawing, top to bottom: the root element and headings, the legend, the long % panel, the
//! gap panel, the time axis. Each part writes its elements into the SVG text.

use std::fmt::{self, Write};

use super::legend::legend;
use super::scale::{gap_range, gap_scale, time_scale, time_ticks, Scale, LONG_SCALE};
use super::series::{series, COHORTS, GAP};
use super::style::{FONTS, STYLE};
use super::text::{escape, plain, signed, Num};
use super::time::{tick_labels, utc_minute};
use super::zones::zone_labels;
use super::{GAP_BOTTOM, GAP_TOP, HEIGHT, LONG_BOTTOM, LONG_TOP, PLOT_LEFT, PLOT_RIGHT, WIDTH};
use crate::domain::{Pct, Period, Symbol};
use crate::maths::history::HistoryPoint;

/// Tick labels closer than this to the left edge are left out (they would run into "UTC").
const LEFT_LABEL_CLEARANCE: f64 = 50.0;
/// Gap-axis labels closer than this (vertically) to an earlier one are left out.
const GAP_LABEL_SPACING: f64 = 24.0;

/// What every part of the drawing reads.
pub(super) struct Chart<'a> {
    pub(super) symbol: &'a Symbol,
    pub(super) period: Period,
    pub(super) threshold: Pct,
    /// The answer's `source`: a local stand-in's data is marked SIMULATED.
    pub(super) source: &'a str,
    pub(super) points: &'a [HistoryPoint],
}

impl Chart<'_> {
    pub(super) fn draw(&self, out: &mut String) -> fmt::Result {
        // The threshold as written: `8`, `7.5`.
        let t = escape(&plain(self.threshold));
        let time = time_scale(self.points, self.period);
        let gap = gap_scale(gap_range(self.points, self.threshold));
        self.headings(out, &t, time)?;
        legend(out, self.points.last())?;
        self.long_panel(out, time)?;
        self.gap_panel(out, &t, time, gap)?;
        time_axis(out, time)?;
        out.push_str("</svg>\n");
        Ok(())
    }

    /// The root element with the data a reader maps vertices back with, the title and the
    /// accessible description, the stylesheet, the background, the title and subtitle.
    fn headings(&self, out: &mut String, t: &str, time: Option<Scale>) -> fmt::Result {
        let symbol = escape(self.symbol.as_str());
        let period_text = escape(self.period.as_str());
        let count = self.points.len();
        let span = match (self.points.first(), self.points.last()) {
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
            escape(self.source)
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
            escape(self.source)
        )
    }

    /// Top panel: long % of each cohort.
    fn long_panel(&self, out: &mut String, time: Option<Scale>) -> fmt::Result {
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
                series(out, cohort, time, LONG_SCALE, self.points, self.period)?;
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
        if self.source.starts_with("local_standin") {
            writeln!(
                out,
                "<text id=\"simulated\" class=\"simulated\" x=\"{}\" y=\"{}\" dy=\"1em\" \
                 text-anchor=\"end\">SIMULATED DATA<tspan class=\"detail\"> (local stand-in)</tspan></text>",
                Num(PLOT_RIGHT - 8.0),
                Num(LONG_TOP + 6.0)
            )?;
        }
        out.push_str("</g>\n");
        Ok(())
    }

    /// Bottom panel: the gap, the neutral band and the two signal zones.
    fn gap_panel(&self, out: &mut String, t: &str, time: Option<Scale>, gap: Scale) -> fmt::Result {
        let threshold = self.threshold.to_f64();
        let (y_top_t, y_bottom_t) = (gap.at(threshold), gap.at(-threshold));
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
        gap_axis(out, gap, threshold)?;
        vertical_grid(out, time, GAP_TOP, GAP_BOTTOM)?;
        frame(out, GAP_TOP, GAP_BOTTOM)?;
        let mut line = Vec::new();
        if let Some(time) = time {
            series(out, &GAP, time, gap, self.points, self.period)?;
            line = self
                .points
                .iter()
                .map(|p| (time.at(p.timestamp as f64), gap.at(p.long_pct_gap.to_f64())))
                .collect();
        }
        zone_labels(out, &line, y_top_t, y_bottom_t, t)?;
        out.push_str("</g>\n");
        Ok(())
    }
}

/// The gap panel's value axis: zero, ±R, ±T and ±R/2, each label left out when it would crowd
/// an earlier one.
fn gap_axis(out: &mut String, gap: Scale, threshold: f64) -> fmt::Result {
    let range = gap.v1;
    out.push_str("<g class=\"axis axis-gap\">\n");
    let r_half = range / 2.0;
    let mut placed: Vec<f64> = Vec::new();
    for (v, kind) in [
        (0.0, "zero"),
        (range, "edge"),
        (-range, "edge"),
        (threshold, "threshold"),
        (-threshold, "threshold"),
        (r_half, "grid"),
        (-r_half, "grid"),
    ] {
        let y = gap.at(v);
        if kind == "zero" || kind == "threshold" {
            writeln!(
                out,
                "<line class=\"{kind}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                Num(PLOT_LEFT),
                Num(PLOT_RIGHT),
                Num(y),
                Num(y)
            )?;
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
