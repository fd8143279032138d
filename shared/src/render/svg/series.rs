//! The four series the chart draws (three cohorts' long % and the gap), and how one is drawn.

use std::fmt::{self, Write};

use super::scale::Scale;
use super::text::Num;
use crate::domain::{Pct, Period};
use crate::maths::history::HistoryPoint;

/// One line of the chart: the history field it draws, its legend label and its value.
pub(super) struct Series {
    pub(super) field: &'static str,
    pub(super) label: &'static str,
    pub(super) value: fn(&HistoryPoint) -> Pct,
}

pub(super) const COHORTS: [Series; 3] = [
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

pub(super) const GAP: Series = Series {
    field: "long_pct_gap",
    label: "Gap: position − retail",
    value: |p| p.long_pct_gap,
};

/// One series: a polyline per run of consecutive buckets, and a dot for a run of one (a line of
/// one vertex draws nothing).
pub(super) fn series(
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
