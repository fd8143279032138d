//! `confidence`: one score from distance, agreement, persistence and completeness.

use serde::Serialize;

use crate::domain::{Fixed, Pct};
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
    pub score: u8,
    pub strength: Strength,
    pub components: ConfidenceComponents,
}

/// Components in 0..=1 (2 decimals), score = round(35 × distance + 25 × agreement
/// plus 25 × persistence + 15 × completeness) from the rounded components.
///
/// distance = min(1, |gap| / 2T); agreement = 1 when the account gap has the gap's sign, 0 when
/// the opposite, ½ when either is 0 or unknown; persistence = min(1, hours beyond the threshold
/// over smoothing hours); completeness = complete / expected buckets.
pub fn confidence(
    gap: Pct,
    threshold: Pct,
    account_gap: Option<Pct>,
    beyond_hours: Fixed<2>,
    smoothing_hours: u32,
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
        distance: unit(gap.units().abs().into(), 2 * i128::from(threshold.units())),
        agreement,
        persistence: unit(
            beyond_hours.units().into(),
            100 * i128::from(smoothing_hours),
        ),
        completeness: unit(completeness.0 as i128, completeness.1 as i128),
    };
    let c = &components;
    let weighted: i64 = [c.distance, c.agreement, c.persistence, c.completeness]
        .iter()
        .zip(CONFIDENCE_WEIGHTS)
        .map(|(c, w)| c.units() * w)
        .sum();
    let score = div_round(weighted.into(), 100).clamp(0, 100) as u8;
    let strength = match score {
        80.. => Strength::Strong,
        60..=79 => Strength::Moderate,
        _ => Strength::Weak,
    };
    Confidence {
        score,
        strength,
        components,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn confidence_components_and_score_by_hand() {
        // distance 12/16 = .75, agreement 1, persistence 6/12 = .5, completeness 9/10 = .9:
        // 35 × .75 + 25 + 25 × .5 + 15 × .9 = 77.25 → 77, moderate.
        let c = confidence(p("-12"), p("8"), Some(p("-3")), p("6"), 12, (9, 10));
        assert_eq!(c.components.distance, Fixed(75));
        assert_eq!((c.score, c.strength), (77, Strength::Moderate));
        let c = confidence(p("20"), p("8"), Some(p("1")), p("30"), 12, (10, 10));
        assert_eq!((c.score, c.strength), (100, Strength::Strong));
        let c = confidence(p("2"), p("8"), Some(p("-1")), p("0"), 12, (0, 0));
        assert_eq!(
            (c.components.agreement, c.components.completeness),
            (Fixed(0), Fixed(0))
        );
        // 35 × .13 = 4.55 → 5.
        assert_eq!((c.score, c.strength), (5, Strength::Weak));
        let c = confidence(p("0"), p("8"), None, p("0"), 12, (1, 1));
        assert_eq!(c.components.agreement, Fixed(50));
    }
}
