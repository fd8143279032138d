//! Time: the clock, UTC timestamps as we print them, and how long an answer stays right (until
//! the next bucket of its period can appear upstream). Pure arithmetic but for [`now_ms`]; the
//! edge turns [`max_age_secs`] into `Cache-Control: public, max-age=N` on successful answers so
//! that clients and an API Gateway cache never re-ask when nothing can have changed, and the memo
//! keeps an upstream answer exactly as long.

use std::time::{SystemTime, UNIX_EPOCH};

use super::period::Period;

/// The wall clock, epoch milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// How long after a bucket's boundary Binance publishes it ("a few seconds"; the stand-in uses
/// the same). An assumption, not a contract: a bucket published later than this is what
/// [`MAX_AGE_CAP_SECS`] bounds.
pub const PUBLICATION_LAG_MS: i64 = 5_000;

/// The longest we let anyone cache an answer. Without a cap, a 1d answer given just after its
/// expected publication (while Binance was still late with the new bucket) would be cached for a
/// whole day; five minutes bounds that staleness to the shortest period, and is also how often a
/// warm instance re-reads its configuration (`config::settings::REFRESH_EVERY`), so a changed threshold
/// reaches every caller within the same bound.
pub const MAX_AGE_CAP_SECS: u32 = 300;

/// The timestamp of the newest bucket of `period` that can have appeared upstream by `now_ms`.
pub fn newest_visible_bucket(period: Period, now_ms: i64) -> i64 {
    let period_ms = period.millis();
    (now_ms - PUBLICATION_LAG_MS).div_euclid(period_ms) * period_ms
}

/// When the bucket after [`newest_visible_bucket`] can appear: its boundary plus the lag.
pub fn next_bucket_appears(period: Period, now_ms: i64) -> i64 {
    newest_visible_bucket(period, now_ms) + period.millis() + PUBLICATION_LAG_MS
}

/// Seconds until the next bucket of `period` can appear at `now_ms` (epoch ms): the next
/// boundary plus the publication lag, rounded up so the cache expires only once the new bucket
/// can be there; at least 1, at most [`MAX_AGE_CAP_SECS`].
pub fn max_age_secs(period: Period, now_ms: i64) -> u32 {
    let next_appears = next_bucket_appears(period, now_ms);
    // Always > 0 ms; rounded up to whole seconds.
    let secs = (next_appears - now_ms + 999) / 1000;
    secs.clamp(1, i64::from(MAX_AGE_CAP_SECS)) as u32
}

/// `2026-06-12T10:35:27.594Z`: UTC, millisecond precision.
pub fn iso8601_millis(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const S: i64 = 1000;
    const MIN: i64 = 60 * S;
    const HOUR: i64 = 60 * MIN;

    fn at(h: i64, m: i64, s: i64, ms: i64) -> i64 {
        DAY + h * HOUR + m * MIN + s * S + ms
    }

    #[test]
    fn a_minute_before_the_hour_a_1h_answer_keeps_until_the_boundary_plus_the_lag() {
        assert_eq!(max_age_secs(Period::H1, at(12, 59, 0, 0)), 65);
        assert_eq!(max_age_secs(Period::H1, at(12, 59, 58, 0)), 7);
    }

    #[test]
    fn right_after_a_boundary_but_before_the_lag_only_the_lag_remainder_is_given() {
        assert_eq!(max_age_secs(Period::H1, at(13, 0, 0, 0)), 5);
        assert_eq!(max_age_secs(Period::H1, at(13, 0, 2, 0)), 3);
        assert_eq!(max_age_secs(Period::M5, at(13, 0, 4, 999)), 1);
        assert_eq!(max_age_secs(Period::D1, at(0, 0, 3, 0)), 2);
    }

    #[test]
    fn partial_seconds_round_up_so_the_cache_never_expires_before_the_new_bucket() {
        assert_eq!(max_age_secs(Period::H1, at(12, 59, 0, 1)), 65);
        assert_eq!(max_age_secs(Period::H1, at(12, 59, 0, 999)), 65);
        assert_eq!(max_age_secs(Period::H1, at(12, 59, 1, 0)), 64);
    }

    #[test]
    fn short_periods_give_the_exact_remainder() {
        // 12:57:30 → the 13:00 bucket appears at 13:00:05.
        assert_eq!(max_age_secs(Period::M5, at(12, 57, 30, 0)), 155);
        assert_eq!(
            max_age_secs(Period::M15, at(12, 50, 0, 0)),
            MAX_AGE_CAP_SECS
        );
        assert_eq!(max_age_secs(Period::M15, at(12, 56, 0, 0)), 245);
    }

    #[test]
    fn once_a_bucket_has_appeared_the_next_is_a_whole_period_away_so_the_cap_applies() {
        assert_eq!(max_age_secs(Period::M5, at(13, 0, 5, 0)), 300);
        assert_eq!(max_age_secs(Period::H1, at(13, 0, 5, 0)), MAX_AGE_CAP_SECS);
        assert_eq!(max_age_secs(Period::H4, at(13, 0, 50, 0)), MAX_AGE_CAP_SECS);
    }

    #[test]
    fn at_1d_only_the_last_minutes_before_midnight_give_less_than_the_cap() {
        assert_eq!(max_age_secs(Period::D1, at(13, 0, 50, 0)), MAX_AGE_CAP_SECS);
        assert_eq!(max_age_secs(Period::D1, at(23, 55, 5, 0)), MAX_AGE_CAP_SECS);
        assert_eq!(max_age_secs(Period::D1, at(23, 59, 0, 0)), 65);
        assert_eq!(max_age_secs(Period::D1, at(23, 59, 59, 500)), 6);
    }

    #[test]
    fn every_period_at_every_second_of_a_day_is_within_1_and_the_cap() {
        for p in Period::ALL {
            for s in (0..86_400).step_by(7) {
                let n = max_age_secs(p, DAY + s * S + 123);
                assert!((1..=MAX_AGE_CAP_SECS).contains(&n), "{p} at +{s}s: {n}");
            }
        }
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds_and_z() {
        assert_eq!(
            iso8601_millis(1_781_260_527_594),
            "2026-06-12T10:35:27.594Z"
        );
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
