//! The aggregated Sentiment Divergence Score (SDS) across venues: pure, exact integer maths.
//!
//! Input per venue: its position gap per bucket (top traders by position long % minus all
//! accounts long %, each already rounded to 2 decimals, so a gap is exact to the cent of a
//! point) and its open interest in USD per bucket (cents; none for a venue that publishes no
//! history in USD). Formulas, every rounding half away from zero to the places shown:
//!
//! - **T** = the newest bucket every venue able to give a gap has reached: the least, over
//!   venues with a gap, of each venue's newest gap timestamp.
//! - **At a bucket t**, over the venues with a gap *at* t (a venue missing t is left out of t:
//!   no gap-filling, nothing carried forward):
//!   - `sds_pp` = Σ oiᵢ·gapᵢ / Σ oiᵢ (2 dp), oiᵢ = the venue's open interest at t, else its newest
//!     reading in [t − period, t) ("at or just before"); a venue with neither is left out of this
//!     mean (weight `None`); `None` when no venue has a weight;
//!   - weights oiᵢ / Σ oi shown to 4 decimals, summing to exactly 1 (largest remainder: each
//!     floored, the missing ten-thousandths to the largest remainders, ties to the earlier venue);
//!   - `sds_equal_weight_pp` = the plain mean of the gaps (2 dp);
//!   - `sds_median_pp` = the median of the gaps; with an even count the mean of the two middle
//!     values (2 dp).
//! - **Series**: one point per bucket t = T − k·period, k = limit − 1 … 0, oldest first, with
//!   `sds_pp: None` and `venues_used: 0` where no venue has a gap.
//! - **Smoothed**: the mean of `sds_pp` over the buckets of (T − 12 h, T] that have one (2 dp);
//!   `sustained` when |mean| ≥ the level (default 10 pp); at 12h and 1d no 12-hour mean exists.

use serde::Serialize;

use crate::domain::{Fixed, Pct, Period, Venue};

/// The smoothing window.
pub const WINDOW_HOURS: u32 = 12;
const WINDOW_MS: i64 = WINDOW_HOURS as i64 * 3_600_000;

/// One venue's gaps and open interest, each sorted oldest first, one entry per timestamp.
#[derive(Clone, Copy, Debug)]
pub struct VenueGaps<'a> {
    pub venue: Venue,
    pub gaps: &'a [(i64, Pct)],
    pub open_interest_usd: &'a [(i64, Fixed<2>)],
}

impl VenueGaps<'_> {
    fn gap_at(&self, t: i64) -> Option<Pct> {
        self.gaps
            .binary_search_by_key(&t, |(ts, _)| *ts)
            .ok()
            .map(|i| self.gaps[i].1)
    }
}

/// The venue's open interest at `t`, else its newest reading in [t − period, t).
pub fn open_interest_at(
    open_interest: &[(i64, Fixed<2>)],
    period: Period,
    t: i64,
) -> Option<Fixed<2>> {
    let at_or_before = open_interest.partition_point(|(ts, _)| *ts <= t);
    let (ts, usd) = *open_interest.get(at_or_before.checked_sub(1)?)?;
    (ts >= t - period.millis()).then_some(usd)
}

/// Buckets of `period` in the 12-hour window (0 at 12h and 1d: no window shorter than a
/// bucket).
pub fn window_buckets(period: Period) -> u16 {
    if period.millis() >= WINDOW_MS {
        0
    } else {
        (WINDOW_MS / period.millis()) as u16
    }
}

/// T: the newest bucket every venue with a gap has reached; `None` when no venue has one.
pub fn newest_common_bucket(venues: &[VenueGaps<'_>]) -> Option<i64> {
    venues
        .iter()
        .filter_map(|v| v.gaps.last().map(|(ts, _)| *ts))
        .min()
}

/// The aggregate at one bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate {
    pub timestamp: i64,
    pub sds_pp: Option<Pct>,
    pub sds_equal_weight_pp: Pct,
    pub sds_median_pp: Pct,
    pub venues_used: u32,
    /// One entry per venue with a gap at `timestamp`, in venue order: its weight in `sds_pp`,
    /// `None` when it has no open interest to weigh it by.
    pub weights: Vec<(Venue, Option<Fixed<4>>)>,
}

/// The aggregate at `t`; `None` when no venue has a gap at `t`.
pub fn at(venues: &[VenueGaps<'_>], period: Period, t: i64) -> Option<Aggregate> {
    let mut present: Vec<(Venue, Pct, Option<Fixed<2>>)> = venues
        .iter()
        .filter_map(|v| {
            let gap = v.gap_at(t)?;
            Some((
                v.venue,
                gap,
                open_interest_at(v.open_interest_usd, period, t),
            ))
        })
        .collect();
    if present.is_empty() {
        return None;
    }
    present.sort_by_key(|(venue, _, _)| *venue);
    let gaps: Vec<i64> = present.iter().map(|(_, g, _)| g.units()).collect();
    let weighted: Vec<(i128, i128)> = present
        .iter()
        .filter_map(|(_, g, oi)| Some((i128::from((*oi)?.units()), i128::from(g.units()))))
        .filter(|(oi, _)| *oi > 0)
        .collect();
    let total_oi: i128 = weighted.iter().map(|(oi, _)| oi).sum();
    let sds_pp = (total_oi > 0).then(|| {
        let sum: i128 = weighted.iter().map(|(oi, g)| oi * g).sum();
        Pct::from_units(div_round(sum, total_oi) as i64)
    });
    let shares = weights(
        &present
            .iter()
            .map(|(_, _, oi)| oi.map(|o| i128::from(o.units())).filter(|o| *o > 0))
            .collect::<Vec<_>>(),
    );
    Some(Aggregate {
        timestamp: t,
        sds_pp,
        sds_equal_weight_pp: mean(&gaps),
        sds_median_pp: median(&gaps),
        venues_used: present.len() as u32,
        weights: present
            .iter()
            .map(|(venue, _, _)| *venue)
            .zip(shares)
            .collect(),
    })
}

/// One point of the aggregate series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    pub timestamp: i64,
    pub sds_pp: Option<Pct>,
    pub venues_used: u32,
}

/// `limit` points, oldest first, ending at `t`.
pub fn series(venues: &[VenueGaps<'_>], period: Period, t: i64, limit: usize) -> Vec<SeriesPoint> {
    (0..limit as i64)
        .rev()
        .map(|k| {
            let ts = t - k * period.millis();
            match at(venues, period, ts) {
                Some(a) => SeriesPoint {
                    timestamp: ts,
                    sds_pp: a.sds_pp,
                    venues_used: a.venues_used,
                },
                None => SeriesPoint {
                    timestamp: ts,
                    sds_pp: None,
                    venues_used: 0,
                },
            }
        })
        .collect()
}

/// Which side smart money leans to when the smoothed SDS is sustained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    SmartMoneyMoreLong,
    SmartMoneyMoreShort,
}

/// The 12-hour mean of the SDS at T.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SdsSmoothed {
    pub window_hours: u32,
    /// Buckets averaged (those of the window with an `sds_pp`); the contract calls it
    /// `window_buckets` (in `/v1/signal` that name is the window's size, see the glossary).
    #[serde(rename = "window_buckets")]
    pub buckets_used: u32,
    pub sds_pp: Option<Pct>,
    pub sustained: bool,
    pub side: Option<Side>,
    /// Why `sds_pp` is `null`, or that fewer buckets than the window holds were averaged;
    /// `null` when the whole window was.
    pub reason: Option<String>,
}

/// The mean `sds_pp` over the buckets of (t − 12 h, t], sustained at ±`level`.
pub fn smoothed(venues: &[VenueGaps<'_>], period: Period, t: i64, level: Pct) -> SdsSmoothed {
    let none = |reason: String| SdsSmoothed {
        window_hours: WINDOW_HOURS,
        buckets_used: 0,
        sds_pp: None,
        sustained: false,
        side: None,
        reason: Some(reason),
    };
    let expected = window_buckets(period);
    if expected == 0 {
        return none(format!(
            "a {WINDOW_HOURS}-hour mean needs buckets shorter than {WINDOW_HOURS} hours; read \
             the aggregate itself at {period}"
        ));
    }
    let values: Vec<i64> = series(venues, period, t, usize::from(expected))
        .iter()
        .filter_map(|p| p.sds_pp.map(Pct::units))
        .collect();
    if values.is_empty() {
        return none(format!(
            "no bucket of the last {WINDOW_HOURS} hours has an open-interest-weighted aggregate"
        ));
    }
    let mean = mean(&values);
    let sustained = mean.units().abs() >= level.units();
    let side = match mean.units().signum() {
        1 if sustained => Some(Side::SmartMoneyMoreLong),
        -1 if sustained => Some(Side::SmartMoneyMoreShort),
        _ => None,
    };
    let reason = (values.len() < usize::from(expected)).then(|| {
        format!(
            "averaged the {} of {expected} buckets in the last {WINDOW_HOURS} hours that have an \
             aggregate",
            values.len()
        )
    });
    SdsSmoothed {
        window_hours: WINDOW_HOURS,
        buckets_used: values.len() as u32,
        sds_pp: Some(mean),
        sustained,
        side,
        reason,
    }
}

/// n / d rounded half away from zero (d > 0).
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

/// The mean of values in hundredths, rounded half away from zero (values non-empty).
fn mean(values: &[i64]) -> Pct {
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    Pct::from_units(div_round(sum, values.len() as i128) as i64)
}

/// The median of values in hundredths; with an even count the mean of the two middle values,
/// rounded half away from zero (values non-empty).
fn median(values: &[i64]) -> Pct {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n % 2 == 1 {
        Pct::from_units(sorted[n / 2])
    } else {
        mean(&sorted[n / 2 - 1..=n / 2])
    }
}

/// Each positive amount's share to 4 decimals, summing to exactly 1.0000 over the amounts given
/// (largest remainder, ties to the earlier); `None` stays `None`.
fn weights(amounts: &[Option<i128>]) -> Vec<Option<Fixed<4>>> {
    const ONE: i128 = 10_000;
    let total: i128 = amounts.iter().flatten().sum();
    if total <= 0 {
        return amounts.iter().map(|_| None).collect();
    }
    let mut floors: Vec<Option<(i128, i128)>> = amounts
        .iter()
        .map(|a| a.map(|a| (a * ONE / total, a * ONE % total)))
        .collect();
    let mut missing = ONE - floors.iter().flatten().map(|(f, _)| f).sum::<i128>();
    let mut order: Vec<usize> = (0..floors.len()).filter(|i| floors[*i].is_some()).collect();
    // Largest remainder first; the stable sort keeps the earlier venue first on a tie.
    order.sort_by_key(|i| std::cmp::Reverse(floors[*i].map_or(0, |(_, r)| r)));
    for i in order {
        if missing == 0 {
            break;
        }
        if let Some((f, _)) = &mut floors[i] {
            *f += 1;
            missing -= 1;
        }
    }
    floors
        .into_iter()
        .map(|f| f.map(|(f, _)| Fixed::from_units(f as i64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const T: i64 = 1_785_675_600_000; // a whole hour

    fn pct(units: i64) -> Pct {
        Pct::from_units(units)
    }

    fn usd(dollars: i64) -> Fixed<2> {
        Fixed::from_units(dollars * 100)
    }

    #[test]
    fn t_is_the_newest_bucket_every_venue_with_a_gap_has_reached() {
        let a = [(T - H, pct(100)), (T, pct(200))];
        let b = [(T - 2 * H, pct(100)), (T - H, pct(300))];
        let venues = [
            VenueGaps {
                venue: Venue::Binance,
                gaps: &a,
                open_interest_usd: &[],
            },
            VenueGaps {
                venue: Venue::Okx,
                gaps: &b,
                open_interest_usd: &[],
            },
            // Bybit has no gap at all: it does not hold T back.
            VenueGaps {
                venue: Venue::Bybit,
                gaps: &[],
                open_interest_usd: &[],
            },
        ];
        assert_eq!(newest_common_bucket(&venues), Some(T - H));
        assert_eq!(newest_common_bucket(&venues[2..]), None);
        assert_eq!(newest_common_bucket(&[]), None);
    }

    #[test]
    fn the_sds_weighs_each_gap_by_open_interest_exactly() {
        let (a, b, c) = ([(T, pct(-1234))], [(T, pct(500))], [(T, pct(-321))]);
        let (oa, ob, oc) = (
            [(T, usd(6_000_000_000))],
            [(T, usd(3_000_000_000))],
            [(T, usd(1_000_000_000))],
        );
        let venues = [
            VenueGaps {
                venue: Venue::Binance,
                gaps: &a,
                open_interest_usd: &oa,
            },
            VenueGaps {
                venue: Venue::Okx,
                gaps: &b,
                open_interest_usd: &ob,
            },
            VenueGaps {
                venue: Venue::Gate,
                gaps: &c,
                open_interest_usd: &oc,
            },
        ];
        let agg = at(&venues, Period::H1, T).unwrap();
        // (0.6 × −12.34) + (0.3 × 5.00) + (0.1 × −3.21) = −7.404 + 1.5 − 0.321 = −6.225 → −6.23
        // (half away from zero).
        assert_eq!(agg.sds_pp, Some(pct(-623)));
        // (−12.34 + 5.00 − 3.21) / 3 = −10.55 / 3 = −3.51666… → −3.52
        assert_eq!(agg.sds_equal_weight_pp, pct(-352));
        // Sorted −12.34, −3.21, 5.00: the middle one.
        assert_eq!(agg.sds_median_pp, pct(-321));
        assert_eq!(agg.venues_used, 3);
        assert_eq!(
            agg.weights,
            [
                (Venue::Binance, Some(Fixed::from_units(6_000))),
                (Venue::Okx, Some(Fixed::from_units(3_000))),
                (Venue::Gate, Some(Fixed::from_units(1_000))),
            ]
        );
    }

    #[test]
    fn weights_shown_to_four_places_sum_to_exactly_one() {
        // Three equal amounts: 3333.33… each; the one missing unit goes to the first (a tie).
        let w = weights(&[Some(1), Some(1), Some(1)]);
        let units: Vec<i64> = w.iter().map(|w| w.unwrap().units()).collect();
        assert_eq!(units, [3_334, 3_333, 3_333]);
        // 2/7 = 0.285714…, 5/7 = 0.714285…: floors 2857 + 7142 = 9999; remainders 1/7·… →
        // 2×10000 mod 7 = 1, 5×10000 mod 7 = 6: the larger remainder (the second) gets it.
        let w = weights(&[Some(2), None, Some(5)]);
        assert_eq!(
            w,
            [
                Some(Fixed::from_units(2_857)),
                None,
                Some(Fixed::from_units(7_143))
            ]
        );
        assert_eq!(weights(&[None, None]), [None, None]);
    }

    #[test]
    fn open_interest_just_before_weighs_and_older_does_not() {
        let (a, b) = ([(T, pct(1000))], [(T, pct(-200))]);
        // Binance's open interest is one bucket old: "just before" T. OKX's is two buckets old.
        let (oa, ob) = ([(T - H, usd(100))], [(T - 2 * H, usd(100))]);
        let venues = [
            VenueGaps {
                venue: Venue::Binance,
                gaps: &a,
                open_interest_usd: &oa,
            },
            VenueGaps {
                venue: Venue::Okx,
                gaps: &b,
                open_interest_usd: &ob,
            },
        ];
        let agg = at(&venues, Period::H1, T).unwrap();
        assert_eq!(agg.sds_pp, Some(pct(1000)), "Binance alone is weighted");
        assert_eq!(
            agg.weights,
            [
                (Venue::Binance, Some(Fixed::from_units(10_000))),
                (Venue::Okx, None)
            ]
        );
        // OKX still counts equally and in the median: (10.00 − 2.00) / 2 = 4.00.
        assert_eq!(
            (agg.sds_equal_weight_pp, agg.sds_median_pp),
            (pct(400), pct(400))
        );
        assert_eq!(open_interest_at(&oa, Period::H1, T), Some(usd(100)));
        assert_eq!(open_interest_at(&ob, Period::H1, T), None);
        // A later reading is never used for an earlier bucket.
        assert_eq!(open_interest_at(&[(T + H, usd(5))], Period::H1, T), None);
    }

    #[test]
    fn medians_of_even_counts_round_half_away_from_zero() {
        assert_eq!(median(&[101, 102]), pct(102)); // 1.015 → 1.02
        assert_eq!(median(&[-101, -102]), pct(-102)); // −1.015 → −1.02
        assert_eq!(median(&[400, -100, 250, 90]), pct(170)); // (0.90 + 2.50) / 2
        assert_eq!(median(&[7]), pct(7));
        assert_eq!(mean(&[1, 2]), pct(2)); // 0.015 → 0.02
        assert_eq!(mean(&[-1, -2]), pct(-2));
        assert_eq!(mean(&[1, 1, 2]), pct(1)); // 0.0133… → 0.01
    }

    #[test]
    fn a_venue_missing_a_bucket_is_left_out_of_that_bucket_only() {
        let a = [(T - 2 * H, pct(100)), (T - H, pct(200)), (T, pct(300))];
        let b = [(T - 2 * H, pct(500)), (T, pct(700))]; // no T − 1h
        let oi = [(T - 2 * H, usd(10)), (T - H, usd(10)), (T, usd(10))];
        let venues = [
            VenueGaps {
                venue: Venue::Binance,
                gaps: &a,
                open_interest_usd: &oi,
            },
            VenueGaps {
                venue: Venue::Gate,
                gaps: &b,
                open_interest_usd: &oi,
            },
        ];
        let s = series(&venues, Period::H1, T, 4);
        assert_eq!(
            s,
            [
                SeriesPoint {
                    timestamp: T - 3 * H,
                    sds_pp: None,
                    venues_used: 0
                },
                SeriesPoint {
                    timestamp: T - 2 * H,
                    sds_pp: Some(pct(300)),
                    venues_used: 2
                },
                SeriesPoint {
                    timestamp: T - H,
                    sds_pp: Some(pct(200)),
                    venues_used: 1
                },
                SeriesPoint {
                    timestamp: T,
                    sds_pp: Some(pct(500)),
                    venues_used: 2
                },
            ]
        );
    }

    type Gaps = Vec<(i64, Pct)>;
    type OpenInterests = Vec<(i64, Fixed<2>)>;

    /// (hours before T, gap in hundredths) → gaps and 1 USD of open interest at each.
    fn hourly(values: &[(i64, i64)]) -> (Gaps, OpenInterests) {
        let gaps = values.iter().map(|(k, g)| (T - k * H, pct(*g))).collect();
        let oi = values.iter().map(|(k, _)| (T - k * H, usd(1))).collect();
        (gaps, oi)
    }

    #[test]
    fn the_12_hour_mean_averages_the_buckets_it_has_and_says_so() {
        // Twelve hourly buckets T−11h … T: gaps 10.00, 10.01, …, 10.11 → mean 10.055 → 10.06.
        let full: Vec<(i64, i64)> = (0..12).map(|k| (11 - k, 1_000 + k)).collect();
        let (gaps, oi) = hourly(&full);
        let v = [VenueGaps {
            venue: Venue::Binance,
            gaps: &gaps,
            open_interest_usd: &oi,
        }];
        let s = smoothed(&v, Period::H1, T, pct(1_000));
        assert_eq!(
            s,
            SdsSmoothed {
                window_hours: 12,
                buckets_used: 12,
                sds_pp: Some(pct(1_006)),
                sustained: true,
                side: Some(Side::SmartMoneyMoreLong),
                reason: None,
            }
        );
        // Without T − 5h (10.06): (120.66 − 10.06) / 11 = 110.60 / 11 = 10.0545… → 10.05.
        let gapped: Vec<(i64, i64)> = full.iter().copied().filter(|(k, _)| *k != 5).collect();
        let (gaps, oi) = hourly(&gapped);
        let v = [VenueGaps {
            venue: Venue::Binance,
            gaps: &gaps,
            open_interest_usd: &oi,
        }];
        let s = smoothed(&v, Period::H1, T, pct(1_000));
        assert_eq!((s.buckets_used, s.sds_pp), (11, Some(pct(1_005))));
        assert_eq!(
            s.reason.as_deref(),
            Some("averaged the 11 of 12 buckets in the last 12 hours that have an aggregate")
        );
    }

    #[test]
    fn sustained_starts_exactly_at_the_level_on_either_side() {
        for (gap, sustained, side) in [
            (-1_000, true, Some(Side::SmartMoneyMoreShort)),
            (-999, false, None),
            (999, false, None),
            (1_000, true, Some(Side::SmartMoneyMoreLong)),
        ] {
            let (gaps, oi) = hourly(&[(0, gap)]);
            let v = [VenueGaps {
                venue: Venue::Okx,
                gaps: &gaps,
                open_interest_usd: &oi,
            }];
            let s = smoothed(&v, Period::H1, T, pct(1_000));
            assert_eq!((s.sustained, s.side), (sustained, side), "{gap}");
        }
    }

    #[test]
    fn the_window_is_half_open_and_absent_at_12h_and_1d() {
        assert_eq!(
            [Period::M5, Period::M15, Period::H1, Period::H4, Period::H6].map(window_buckets),
            [144, 48, 12, 3, 2]
        );
        // 4h: T, T − 4h and T − 8h; T − 12h is outside (T − 12h, T].
        let values = [(12, 9_000), (8, 900), (4, 600), (0, 300)]; // oldest first
        let gaps: Vec<(i64, Pct)> = values.iter().map(|(h, g)| (T - h * H, pct(*g))).collect();
        let oi: Vec<(i64, Fixed<2>)> = values.iter().map(|(h, _)| (T - h * H, usd(1))).collect();
        let v = [VenueGaps {
            venue: Venue::Gate,
            gaps: &gaps,
            open_interest_usd: &oi,
        }];
        let s = smoothed(&v, Period::H4, T, pct(1_000));
        assert_eq!((s.buckets_used, s.sds_pp), (3, Some(pct(600))));
        for period in [Period::H12, Period::D1] {
            let s = smoothed(&v, period, T, pct(1_000));
            assert_eq!((s.sds_pp, s.sustained, s.buckets_used), (None, false, 0));
            assert!(s.reason.unwrap().contains("shorter than 12 hours"));
        }
    }
}
