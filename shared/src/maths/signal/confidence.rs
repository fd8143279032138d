//! `confidence`: one score from distance, agreement, persistence and completeness.

use serde::Serialize;

use crate::domain::{Fixed, Pct};
use crate::maths::divergence::{signal, Signal};
use crate::maths::stats::*;

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    Strong,
    Moderate,
    Weak,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfidenceComponents {
    pub distance: Fixed<2>,
    pub agreement: Fixed<2>,
    pub persistence: Fixed<2>,
    pub completeness: Fixed<2>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confidence {
    /// `None` for a neutral reading: there is no contrarian signal to be confident in.
    pub score: Option<u8>,
    pub strength: Option<Strength>,
    pub components: ConfidenceComponents,
    pub reason: Option<String>,
}

/// Fewest buckets a signal must have lasted for full persistence, whatever the period: at 12h
/// and 1d the smoothing window is one or two buckets, and one bucket beyond the threshold is not
/// persistence.
pub const MIN_PERSISTENCE_BUCKETS: usize = 6;

/// Buckets beyond the threshold that give full persistence at `period`: the smoothing window in
/// buckets, at least [`MIN_PERSISTENCE_BUCKETS`].
pub fn persistence_buckets(period: crate::domain::Period, smoothing_hours: u32) -> usize {
    let window_ms = i64::from(smoothing_hours) * HOUR_MS;
    let k = (window_ms + period.millis() - 1) / period.millis();
    (k as usize).max(MIN_PERSISTENCE_BUCKETS)
}

/// How strongly the data supports a **directional** reading. Components in 0..=1 (2 decimals),
/// score = round(35 × distance + 25 × agreement + 25 × persistence + 15 × completeness) from the
/// rounded components; a neutral reading (|gap| < T) has no score.
///
/// distance = min(1, |z| / 2) with z the gap's z-score against the coin's own history at this
/// period (`vs_history`), so that "far" means far for this coin; min(1, |gap| / 2T) when there
/// is no z-score; agreement = 1 when the account gap has the gap's sign, 0 when the opposite, ½
/// when either is 0 or unknown; persistence = min(1, consecutive buckets beyond the threshold /
/// `full_buckets` ([`persistence_buckets`])); completeness = complete / expected.
#[allow(clippy::too_many_arguments)]
pub fn confidence(
    gap: Pct,
    threshold: Pct,
    z: Option<Fixed<2>>,
    account_gap: Option<Pct>,
    beyond_buckets: usize,
    full_buckets: usize,
    completeness: (usize, usize),
) -> Confidence {
    let unit = |n: i128, d: i128| {
        Fixed(if d <= 0 {
            0
        } else {
            div_round(100 * n, d).min(100)
        })
    };
    let agreement = match account_gap.map(|a| a.units().signum() * gap.units().signum()) {
        Some(1) => Fixed(100),
        Some(-1) => Fixed(0),
        _ => Fixed(50),
    };
    let components = ConfidenceComponents {
        distance: match z {
            Some(z) => unit(z.units().abs().into(), 200),
            None => unit(gap.units().abs().into(), 2 * i128::from(threshold.units())),
        },
        agreement,
        persistence: unit(beyond_buckets as i128, full_buckets as i128),
        completeness: unit(completeness.0 as i128, completeness.1 as i128),
    };
    let c = &components;
    let weighted: i64 = [c.distance, c.agreement, c.persistence, c.completeness]
        .iter()
        .zip(CONFIDENCE_WEIGHTS)
        .map(|(c, w)| c.units() * w)
        .sum();
    if signal(gap, threshold) == Signal::Neutral {
        return Confidence {
            score: None,
            strength: None,
            components,
            reason: Some(format!(
                "neutral: the gap is within ±{threshold} pp, so there is no contrarian signal to \
                 be confident in"
            )),
        };
    }
    let score = div_round(weighted.into(), 100).clamp(0, 100) as u8;
    let strength = match score {
        80.. => Strength::Strong,
        60..=79 => Strength::Moderate,
        _ => Strength::Weak,
    };
    Confidence {
        score: Some(score),
        strength: Some(strength),
        components,
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::domain::Period;

    #[test]
    fn confidence_components_and_score_by_hand() {
        // distance 12/16 = .75, agreement 1, persistence 6/12 = .5, completeness 9/10 = .9:
        // 35 × .75 + 25 + 25 × .5 + 15 × .9 = 77.25 → 77, moderate.
        let c = confidence(p("-12"), p("8"), None, Some(p("-3")), 6, 12, (9, 10));
        assert_eq!(c.components.distance, Fixed(75));
        assert_eq!((c.score, c.strength), (Some(77), Some(Strength::Moderate)));
        let c = confidence(p("20"), p("8"), None, Some(p("1")), 30, 12, (10, 10));
        assert_eq!((c.score, c.strength), (Some(100), Some(Strength::Strong)));
        // 8 pp exactly is a signal: distance .5, agreement 0, persistence 1/12 = .08,
        // completeness 0: 17.5 + 0 + 2 + 0 = 19.5 → 20, weak.
        let c = confidence(p("8"), p("8"), None, Some(p("-1")), 1, 12, (0, 0));
        assert_eq!(
            (
                c.components.agreement,
                c.components.persistence,
                c.components.completeness
            ),
            (Fixed(0), Fixed(8), Fixed(0))
        );
        assert_eq!((c.score, c.strength), (Some(20), Some(Strength::Weak)));
    }

    /// Measured before: 5m BNB −0.03 → 40 and BTC 0.14 → 15, a 25-point swing on the sign of a
    /// 0.1 pp gap, and the score rose as "neutral" got less secure.
    #[test]
    fn a_neutral_reading_has_no_score_and_says_why() {
        for gap in ["-0.03", "0.14", "7.99", "-7.99", "0"] {
            let c = confidence(p(gap), p("8"), None, Some(p("-1")), 0, 12, (500, 500));
            assert_eq!((c.score, c.strength), (None, None), "{gap}");
            assert!(c.reason.as_deref().unwrap().starts_with("neutral"), "{gap}");
        }
    }

    /// Measured before: at 12h and 1d persistence reached 1 after one bucket beyond the
    /// threshold (12 hours), so a gap just past the threshold read "strong".
    #[test]
    fn persistence_needs_several_buckets_at_every_period() {
        assert_eq!(persistence_buckets(Period::M5, 12), 144);
        assert_eq!(persistence_buckets(Period::H1, 12), 12);
        assert_eq!(persistence_buckets(Period::H4, 12), MIN_PERSISTENCE_BUCKETS);
        assert_eq!(
            persistence_buckets(Period::H12, 12),
            MIN_PERSISTENCE_BUCKETS
        );
        assert_eq!(persistence_buckets(Period::D1, 12), MIN_PERSISTENCE_BUCKETS);
        // One daily bucket just past the threshold, everything else perfect: persistence 1/6 =
        // .17; 35 × .52 + 25 + 25 × .17 + 15 = 62.45 → 62, moderate, not strong.
        let full = persistence_buckets(Period::D1, 12);
        let c = confidence(p("-8.29"), p("8"), None, Some(p("-2")), 1, full, (30, 30));
        assert_eq!(c.components.persistence, Fixed(17));
        assert_eq!((c.score, c.strength), (Some(62), Some(Strength::Moderate)));
    }

    /// Measured before: ETH 5m −8.29 pp (just past the threshold, but usual for ETH) read 83,
    /// "strong". Distance is now the gap's distance from the coin's own usual gap.
    #[test]
    fn distance_is_measured_in_the_coin_s_own_dispersion() {
        // z −0.6: distance 0.30; agreement 1, persistence 1, completeness 1:
        // 35 × .3 + 25 + 25 + 15 = 75.5 → 76, moderate (83 on the |gap| / 2T scale).
        let c = confidence(
            p("-8.29"),
            p("8"),
            Some(p("-0.6")),
            Some(p("-2")),
            144,
            144,
            (500, 500),
        );
        assert_eq!(c.components.distance, Fixed(30));
        assert_eq!((c.score, c.strength), (Some(76), Some(Strength::Moderate)));
        let old_scale = confidence(
            p("-8.29"),
            p("8"),
            None,
            Some(p("-2")),
            144,
            144,
            (500, 500),
        );
        assert_eq!(old_scale.score, Some(83));
        // Two standard deviations or more from the coin's usual gap: full distance.
        let far = confidence(
            p("-8.29"),
            p("8"),
            Some(p("-2.4")),
            Some(p("-2")),
            144,
            144,
            (500, 500),
        );
        assert_eq!(
            (far.components.distance, far.score),
            (Fixed(100), Some(100))
        );
    }
}
