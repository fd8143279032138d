//! Statistics on exact 2-decimal percentages (`Pct`, integer hundredths): sums of those are exact
//! integers; a statistic that needs a quotient or a square root is computed from the exact sums
//! and rounded once, to the decimals stated, by [`round_fixed`] (a non-finite value is `None`).

use crate::domain::{Fixed, Pct};

/// `x` rounded half away from zero to `P` decimals; `None` when not finite (never NaN in JSON).
pub fn round_fixed<const P: u32>(x: f64) -> Option<Fixed<P>> {
    let scaled = x * 10f64.powi(P as i32);
    (scaled.is_finite() && scaled.abs() < 9e15).then(|| Fixed(scaled.round() as i64))
}

/// Integer division rounding half away from zero (`d > 0`).
pub fn div_round(n: i128, d: i128) -> i64 {
    let (q, r) = (n / d, n % d);
    (if 2 * r.abs() >= d { q + n.signum() } else { q }) as i64
}

/// `n`, Σx and n²·variance = nΣx² − (Σx)², all exact.
fn moments(xs: &[i64]) -> (i128, i128, i128) {
    let n = xs.len() as i128;
    let sum: i128 = xs.iter().map(|&x| i128::from(x)).sum();
    let sum_sq: i128 = xs.iter().map(|&x| i128::from(x) * i128::from(x)).sum();
    (n, sum, n * sum_sq - sum * sum)
}

fn units(xs: &[Pct]) -> Vec<i64> {
    xs.iter().map(|x| x.units()).collect()
}

/// Arithmetic mean, exact then rounded to 2 decimals. `None` for no values.
pub fn mean(xs: &[Pct]) -> Option<Pct> {
    let (n, sum, _) = moments(&units(xs));
    (n > 0).then(|| Fixed(div_round(sum, n)))
}

/// Population standard deviation √(Σ(x − x̄)² / n), in the values' unit.
pub fn std_dev(xs: &[Pct]) -> Option<f64> {
    let (n, _, n2_var) = moments(&units(xs));
    (n > 0).then(|| (n2_var as f64).sqrt() / n as f64 / 100.0)
}

/// (x − x̄) / σ over `xs` (population σ) = (n·x − Σx) / √(nΣx² − (Σx)²).
pub fn z_score(xs: &[Pct], x: Pct) -> Result<f64, &'static str> {
    let (n, sum, n2_var) = moments(&units(xs));
    if n < 2 {
        return Err("fewer than 2 buckets: a z-score needs at least 2");
    }
    if n2_var == 0 {
        return Err("zero variance: the gap was the same in every bucket, so it has no z-score");
    }
    Ok((n * i128::from(x.units()) - sum) as f64 / (n2_var as f64).sqrt())
}

/// Mid-rank percentile: 100 × (count below x + ½ × count equal to x) / n.
pub fn percentile_rank(xs: &[Pct], x: Pct) -> Option<Pct> {
    let below = xs.iter().filter(|v| **v < x).count() as i128;
    let equal = xs.iter().filter(|v| **v == x).count() as i128;
    (!xs.is_empty()).then(|| Fixed(div_round(10_000 * below + 5_000 * equal, xs.len() as i128)))
}

/// A least-squares line y = a + b·x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// b, in y units per x unit.
    pub slope: f64,
    /// (Sxy)² / (Sxx·Syy); `None` for a flat y (no variance to explain).
    pub r_squared: Option<f64>,
}

/// Fitted to integer (x, y) pairs from exact sums: b = Sxy / Sxx with Sxx = nΣx² − (Σx)²,
/// Sxy = nΣxy − ΣxΣy, Syy = nΣy² − (Σy)². `None` with fewer than 2 distinct x.
pub fn least_squares(xy: &[(i64, i64)]) -> Option<Fit> {
    let (xs, ys): (Vec<i64>, Vec<i64>) = xy.iter().copied().unzip();
    let (n, sx, sxx) = moments(&xs);
    let (_, sy, syy) = moments(&ys);
    let sum_xy: i128 = xy.iter().map(|&(x, y)| i128::from(x) * i128::from(y)).sum();
    let sxy = n * sum_xy - sx * sy;
    if sxx == 0 {
        return None;
    }
    let r_squared = (syy != 0).then(|| (sxy as f64).powi(2) / (sxx as f64 * syy as f64));
    Some(Fit {
        slope: sxy as f64 / sxx as f64,
        r_squared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: &str) -> Pct {
        Pct::parse(x).unwrap()
    }

    #[test]
    fn round_fixed_rounds_half_away_and_refuses_non_finite() {
        assert_eq!(round_fixed::<2>(1.341_640_786), Some(Fixed(134)));
        assert_eq!(round_fixed::<2>(-0.125), Some(Fixed(-13)));
        assert_eq!(round_fixed::<2>(f64::NAN), None);
        assert_eq!(round_fixed::<4>(f64::INFINITY), None);
    }

    #[test]
    fn mean_std_z_and_percentile_of_a_small_series() {
        let xs = [p("-2"), p("0"), p("2"), p("4")];
        assert_eq!(mean(&xs), Some(p("1")));
        // σ = √((9 + 1 + 1 + 9) / 4) = √5; z = (4 − 1) / √5 = 1.3416…
        assert_eq!(std_dev(&xs).and_then(round_fixed::<4>), Some(Fixed(22361)));
        assert_eq!(
            z_score(&xs, p("4")).map(round_fixed::<2>),
            Ok(Some(Fixed(134)))
        );
        // 3 below, 1 equal: (3 + ½) / 4 = 87.5 %.
        assert_eq!(percentile_rank(&xs, p("4")), Some(p("87.5")));
        assert_eq!(percentile_rank(&xs, p("0")), Some(p("37.5")));
        assert_eq!(
            mean(&[p("0.01"), p("0.02")]),
            Some(p("0.02")),
            "0.015 rounds away"
        );
    }

    #[test]
    fn least_squares_of_three_points_by_hand() {
        // y = 50, 51, 53: Sxx = 6, Sxy = 900 (hundredths), Syy = 140000 → b = 150, R² = 27/28.
        let f = least_squares(&[(0, 5000), (1, 5100), (2, 5300)]).unwrap();
        assert_eq!(f.slope, 150.0);
        assert_eq!(f.r_squared.and_then(round_fixed::<4>), Some(Fixed(9643)));
        assert_eq!(least_squares(&[(0, 1), (0, 2)]), None);
        let flat = least_squares(&[(0, 7), (1, 7), (2, 7)]).unwrap();
        assert_eq!((flat.slope, flat.r_squared), (0.0, None));
    }
}
