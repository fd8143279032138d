//! Time as the picture writes it, UTC, computed from epoch milliseconds: the subtitle's span and
//! the time axis's labels.

use super::scale::DAY;
use crate::domain::clock::civil_from_days;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC instant to the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Utc {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
}

impl Utc {
    pub(super) fn at(ms: i64) -> Utc {
        let (days, ms_of_day) = (ms.div_euclid(DAY), ms.rem_euclid(DAY));
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: ms_of_day / 3_600_000,
            minute: ms_of_day / 60_000 % 60,
        }
    }

    /// `2026-08-02`.
    fn date(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `13:05`.
    fn time(self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }

    /// `2 Aug`.
    fn day_month(self) -> String {
        let month = MONTHS[(self.month - 1) as usize];
        format!("{} {month}", self.day)
    }

    /// `2026`.
    fn year(self) -> String {
        format!("{:04}", self.year)
    }
}

/// `2026-08-02 13:00`, UTC.
pub(super) fn utc_minute(ms: i64) -> String {
    let at = Utc::at(ms);
    format!("{} {}", at.date(), at.time())
}

/// Each time label's text and, under it, its date (or year) where that changes: the first label
/// always has one. Daily steps label the date, the year under it; shorter steps the time of day.
pub(super) fn tick_labels(ticks: &[i64], step: i64) -> Vec<(String, Option<String>)> {
    let mut previous: Option<String> = None;
    ticks
        .iter()
        .map(|&t| {
            let at = Utc::at(t);
            let (main, context) = if step % DAY == 0 {
                (at.day_month(), at.year())
            } else {
                (at.time(), at.day_month())
            };
            let sub = (previous.as_deref() != Some(context.as_str())).then(|| context.clone());
            previous = Some(context);
            (main, sub)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::scale::{time_ticks, HOUR, MINUTE};
    use super::*;
    use crate::domain::clock::iso8601_millis;

    /// 2026-08-02 00:00:00 UTC.
    const AUG_2: i64 = 1_785_628_800_000;

    #[test]
    fn an_instant_s_parts_are_those_of_its_iso_8601_text() {
        let at = Utc::at(AUG_2 + 13 * HOUR + 5 * MINUTE + 59_999);
        assert_eq!(
            (at.date(), at.time(), at.day_month(), at.year()),
            (
                "2026-08-02".into(),
                "13:05".into(),
                "2 Aug".into(),
                "2026".into()
            )
        );
        // Every minute of four years (a leap day among them) and a few before the epoch: the
        // same date and time as the ISO 8601 text of the instant.
        let from = AUG_2 - 2 * 366 * DAY;
        for ms in (from..from + 4 * 366 * DAY)
            .step_by(61 * MINUTE as usize + 13)
            .chain([-1, 0, -DAY - 1])
        {
            let iso = iso8601_millis(ms);
            assert_eq!(
                utc_minute(ms),
                format!("{} {}", &iso[..10], &iso[11..16]),
                "{ms}"
            );
        }
    }

    #[test]
    fn labels_change_date_where_the_date_changes() {
        // 96 hourly buckets ending 2026-08-02 13:00: the four UTC midnights, the year once.
        let (step, ticks) = time_ticks(AUG_2 - 82 * HOUR, AUG_2 + 13 * HOUR);
        let labels = tick_labels(&ticks, step);
        assert_eq!(labels[0], ("30 Jul".to_string(), Some("2026".to_string())));
        assert_eq!(labels[3], ("2 Aug".to_string(), None));
        // 96 five-minute buckets: every two hours, the date under the first label and at midnight.
        let (step, ticks) = time_ticks(AUG_2 - 3 * HOUR, AUG_2 - 3 * HOUR + 95 * 5 * MINUTE);
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
    }
}
