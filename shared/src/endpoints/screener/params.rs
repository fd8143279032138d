//! The screener's parameters: newtypes that can only hold valid values, each refused on its own
//! first (so a malformed value is named), then the rules between them.

use super::super::{Format, Query, NEWEST_ROWS};
use crate::domain::error::printable;
use crate::domain::names::{self, boolean, set_of};
use crate::domain::symbol::MAX_COINS;
use crate::domain::{ApiError, CoinList, Fixed, Pct, Period};
use crate::maths::divergence::Signal;
use crate::maths::screener::{ChangeWindow, Ranking, SortBy, SortOrder};
use crate::maths::signal::confidence::persistence_buckets;
use crate::maths::signal::{Strength, LOOKBACK};

/// What `/v1/screener` accepts.
pub const SCREENER_PARAMS: &[&str] = &[
    "coins",
    "period",
    "sort_by",
    "sort_order",
    "signal",
    "min_abs_gap",
    "strength",
    "limit",
    "pinned",
    "include_confidence",
    "include_changes",
    "change_window",
    "refresh",
    "format",
];

/// `min_abs_gap`: plain decimal percentage points, 0 to 100, at most 2 decimals.
pub fn min_abs_gap(text: &str) -> Result<Pct, ApiError> {
    let err = || {
        ApiError::invalid(
            "min_abs_gap",
            "min_abs_gap must be a number of percentage points from 0 to 100 with at most 2 decimals, such as 8 or 7.5",
        )
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return Err(err());
    }
    if text.ends_with('.') {
        return Err(err());
    }
    match Pct::parse(text) {
        Ok(p) if p <= Fixed(10_000) => Ok(p),
        _ => Err(err()),
    }
}

/// `limit`: rows returned, 1 to [`MAX_COINS`](crate::domain::symbol::MAX_COINS), applied after filtering and ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowLimit(u8);

impl RowLimit {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        names::whole_number("limit", text, 1..=MAX_COINS as u16, Some("rows"))
            .map(|n| RowLimit(n as u8))
    }
    pub const fn get(self) -> usize {
        self.0 as usize
    }
}

/// `signal`'s values.
pub const SIGNALS: [(&str, Signal); 3] = [
    ("crowd_over_long", Signal::CrowdOverLong),
    ("crowd_over_short", Signal::CrowdOverShort),
    ("neutral", Signal::Neutral),
];
/// `strength`'s values.
pub const STRENGTHS: [(&str, Strength); 3] = [
    ("strong", Strength::Strong),
    ("moderate", Strength::Moderate),
    ("weak", Strength::Weak),
];

/// The validated parameters of one screener call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    /// `None`: the configured default universe.
    pub coins: Option<CoinList>,
    pub period: Period,
    /// Filters, order, pins and `limit`.
    pub ranking: Ranking,
    pub include_confidence: bool,
    /// `Some(window)` when `include_changes=true`.
    pub changes: Option<ChangeWindow>,
    /// Bypass the instance's memo of upstream answers.
    pub refresh: bool,
    /// JSON (default) or one CSV row per coin.
    pub format: Format,
}

fn needs(flag: &'static str, what: String) -> ApiError {
    ApiError::invalid(flag, format!("{what} needs {flag}=true"))
}

impl Screen {
    /// Every parameter on its own first (so a malformed value is named), then the rules between
    /// them, each naming the parameter that is missing.
    pub fn from_query(query: &Query<'_>) -> Result<Self, ApiError> {
        let opt = |name| query.get(name);
        let coins = opt("coins")
            .map(|t| CoinList::parse("coins", t))
            .transpose()?;
        let period = query.period_or(Period::M5)?;
        let sort_by = opt("sort_by").map_or(Ok(SortBy::LongPctGap), SortBy::parse)?;
        let sort_order = opt("sort_order").map_or(Ok(SortOrder::Desc), SortOrder::parse)?;
        let signals = opt("signal")
            .map(|t| set_of("signal", t, &SIGNALS))
            .transpose()?;
        let min_abs_gap = opt("min_abs_gap").map(min_abs_gap).transpose()?;
        let strengths = opt("strength")
            .map(|t| set_of("strength", t, &STRENGTHS))
            .transpose()?;
        let limit = opt("limit").map(RowLimit::parse).transpose()?;
        let pinned = opt("pinned")
            .map(|t| CoinList::parse("pinned", t))
            .transpose()?
            .unwrap_or_default();
        let include_confidence = opt("include_confidence")
            .map(|t| boolean("include_confidence", t))
            .transpose()?
            .unwrap_or(false);
        let include_changes = opt("include_changes")
            .map(|t| boolean("include_changes", t))
            .transpose()?
            .unwrap_or(false);
        let window = opt("change_window").map(ChangeWindow::parse).transpose()?;
        let refresh = opt("refresh")
            .map(|t| boolean("refresh", t))
            .transpose()?
            .unwrap_or(false);
        let format = Format::from_query(query)?;

        if !include_confidence {
            if sort_by == SortBy::Confidence {
                return Err(needs("include_confidence", "sort_by=confidence".into()));
            }
            if let Some(t) = opt("strength") {
                return Err(needs(
                    "include_confidence",
                    format!("strength={}", printable(t, 24)),
                ));
            }
        }
        if !include_changes {
            if sort_by == SortBy::GapChange {
                return Err(needs("include_changes", "sort_by=gap_change".into()));
            }
            if sort_by == SortBy::MoneyFlow {
                return Err(needs("include_changes", "sort_by=money_flow".into()));
            }
            if let Some(w) = window {
                return Err(needs(
                    "include_changes",
                    format!("change_window={}", w.as_str()),
                ));
            }
        }
        let changes = include_changes.then(|| window.unwrap_or(ChangeWindow::DEFAULT));
        if let Some(w) = changes {
            w.buckets(period)?;
        }
        Ok(Screen {
            coins,
            period,
            ranking: Ranking {
                sort_by,
                sort_order,
                signals,
                min_abs_gap,
                strengths,
                limit: limit.map(RowLimit::get),
                pinned,
            },
            include_confidence,
            changes,
            refresh,
            format,
        })
    }

    /// Rows to fetch per cohort: the fewest the asked outputs need.
    /// - the row alone: [`NEWEST_ROWS`] (the newest bucket, with room for a late cohort);
    /// - `include_confidence`: the buckets where `persistence` saturates (the smoothing window in
    ///   buckets, at least 6) plus that room;
    /// - `include_changes`: the window in buckets, plus one for its start, plus that room;
    ///
    /// the largest of those, at most 500 (Binance's maximum, what `/v1/signal` fetches).
    pub fn rows(&self, smoothing_hours: u32) -> u16 {
        let room = usize::from(NEWEST_ROWS);
        let period_ms = self.period.millis();
        let mut n = room;
        if self.include_confidence {
            let k = persistence_buckets(self.period, smoothing_hours);
            n = n.max(k + room);
        }
        if let Some(w) = self.changes {
            n = n.max((w.millis() / period_ms) as usize + 1 + room);
        }
        n.min(usize::from(LOOKBACK)) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use crate::endpoints::MARKET_PARAMS;

    fn screen(pairs: &[(&str, &str)]) -> Result<Screen, ApiError> {
        Screen::from_query(&Query::new(pairs.iter().copied(), SCREENER_PARAMS)?)
    }

    fn refused(pairs: &[(&str, &str)]) -> (String, String) {
        let e = screen(pairs).unwrap_err();
        assert_eq!(e.status(), 400, "{pairs:?}");
        (e.parameter().unwrap().to_string(), e.to_string())
    }

    #[test]
    fn nothing_given_means_the_default_universe_5m_by_gap_descending_with_no_extras() {
        let s = screen(&[]).unwrap();
        assert_eq!(s.coins, None);
        assert_eq!(s.period, Period::M5);
        assert_eq!(
            (s.ranking.sort_by, s.ranking.sort_order),
            (SortBy::LongPctGap, SortOrder::Desc)
        );
        assert!(!s.include_confidence && s.changes.is_none() && !s.refresh);
        assert_eq!(
            (
                s.ranking.signals,
                s.ranking.strengths,
                s.ranking.limit,
                s.ranking.min_abs_gap
            ),
            (None, None, None, None)
        );
    }

    #[test]
    fn coins_are_case_insensitive_trimmed_and_deduplicated_in_first_order() {
        let s = screen(&[("coins", "eth, BTC,eth,1000pepe,Btc")]).unwrap();
        let got: Vec<&str> = s
            .coins
            .as_ref()
            .unwrap()
            .symbols()
            .iter()
            .map(Symbol::as_str)
            .collect();
        assert_eq!(got, ["ETHUSDT", "BTCUSDT", "1000PEPEUSDT"]);
    }

    #[test]
    fn fifty_distinct_coins_are_accepted_and_fifty_one_are_refused_duplicates_not_counted() {
        let coins: Vec<String> = (0..50).map(|i| format!("C{i}")).collect();
        let fifty = coins.join(",");
        assert_eq!(
            screen(&[("coins", &fifty)])
                .unwrap()
                .coins
                .unwrap()
                .symbols()
                .len(),
            50
        );
        let with_repeats = format!("{fifty},C0,c1,C2");
        assert!(screen(&[("coins", &with_repeats)]).is_ok());
        let (p, m) = refused(&[("coins", &format!("{fifty},C50"))]);
        assert_eq!(p, "coins");
        assert!(m.contains("at most 50"), "{m}");
    }

    #[test]
    fn a_bad_coin_in_the_list_is_named_in_the_message() {
        for bad in ["BTC,,ETH", "BTC,", "BTC,ETH-", "BTCUSDT", "BTC,../x", "₿"] {
            let (p, m) = refused(&[("coins", bad)]);
            assert_eq!(p, "coins", "{bad:?}");
            assert!(m.starts_with("coins: '"), "{m}");
        }
        let (_, m) = refused(&[("coins", "BTC,ETH-")]);
        assert!(m.contains("'ETH-'"), "{m}");
        let (p, _) = refused(&[("pinned", "XRP,DO GE")]);
        assert_eq!(p, "pinned");
    }

    #[test]
    fn enum_parameters_list_their_allowed_values() {
        let (p, m) = refused(&[("sort_by", "gap")]);
        assert_eq!(p, "sort_by");
        assert_eq!(
            m,
            "sort_by must be one of long_pct_gap, abs_gap, smart_money_long_pct, retail_long_pct, confidence, gap_change, money_flow"
        );
        assert_eq!(refused(&[("sort_order", "DESC")]).0, "sort_order");
        assert_eq!(refused(&[("signal", "bullish")]).0, "signal");
        assert_eq!(
            refused(&[("change_window", "2h"), ("include_changes", "true")]).0,
            "change_window"
        );
        for b in ["1", "TRUE", "yes", "True"] {
            assert_eq!(refused(&[("refresh", b)]).0, "refresh", "{b}");
        }
        assert_eq!(refused(&[("period", "3m")]).0, "period");
    }

    #[test]
    fn signal_and_strength_filters_take_a_comma_separated_set() {
        let s = screen(&[
            ("signal", "crowd_over_long,crowd_over_short"),
            ("strength", "strong, moderate"),
            ("include_confidence", "true"),
        ])
        .unwrap();
        assert_eq!(
            s.ranking.signals,
            Some(vec![Signal::CrowdOverLong, Signal::CrowdOverShort])
        );
        assert_eq!(
            s.ranking.strengths,
            Some(vec![Strength::Strong, Strength::Moderate])
        );
        let (p, m) = refused(&[("signal", "neutral,")]);
        assert_eq!(p, "signal");
        assert!(m.contains("comma-separated"), "{m}");
        // The same rules as venues= on /v1/exchanges: a name twice is a mistake worth saying.
        let (p, m) = refused(&[("signal", "neutral, neutral")]);
        assert_eq!(
            (p.as_str(), m.as_str()),
            ("signal", "signal names neutral twice")
        );
    }

    #[test]
    fn dependent_parameters_name_the_missing_flag() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case; 7] = [
            (
                &[("sort_by", "confidence")],
                "include_confidence",
                "sort_by=confidence needs include_confidence=true",
            ),
            (
                &[("sort_by", "confidence"), ("include_confidence", "false")],
                "include_confidence",
                "sort_by=confidence needs include_confidence=true",
            ),
            (
                &[("strength", "strong")],
                "include_confidence",
                "strength=strong needs include_confidence=true",
            ),
            (
                &[("sort_by", "gap_change")],
                "include_changes",
                "sort_by=gap_change needs include_changes=true",
            ),
            (
                &[("sort_by", "money_flow"), ("include_changes", "false")],
                "include_changes",
                "sort_by=money_flow needs include_changes=true",
            ),
            (
                &[("change_window", "6h")],
                "include_changes",
                "change_window=6h needs include_changes=true",
            ),
            (
                &[("change_window", "6h"), ("include_changes", "false")],
                "include_changes",
                "change_window=6h needs include_changes=true",
            ),
        ];
        for (pairs, parameter, message) in cases {
            assert_eq!(
                refused(pairs),
                (parameter.to_string(), message.to_string()),
                "{pairs:?}"
            );
        }
        let ok = screen(&[
            ("sort_by", "gap_change"),
            ("include_changes", "true"),
            ("change_window", "6h"),
        ])
        .unwrap();
        assert_eq!(ok.changes, Some(ChangeWindow::H6));
        let ok = screen(&[("include_changes", "true")]).unwrap();
        assert_eq!(ok.changes, Some(ChangeWindow::H24), "24h by default");
    }

    #[test]
    fn a_change_window_the_period_cannot_cover_is_refused_naming_change_window() {
        let (p, m) = refused(&[
            ("include_changes", "true"),
            ("change_window", "1h"),
            ("period", "1d"),
        ]);
        assert_eq!(p, "change_window");
        assert!(m.contains("longer than 1h"), "{m}");
        let (p, m) = refused(&[
            ("include_changes", "true"),
            ("change_window", "7d"),
            ("period", "5m"),
        ]);
        assert_eq!(p, "change_window");
        assert!(m.contains("2016 buckets"), "{m}");
        assert!(screen(&[
            ("include_changes", "true"),
            ("change_window", "7d"),
            ("period", "30m")
        ])
        .is_ok());
    }

    #[test]
    fn min_abs_gap_and_limit_accept_only_plain_numbers_in_range() {
        assert_eq!(
            screen(&[("min_abs_gap", "7.5")])
                .unwrap()
                .ranking
                .min_abs_gap,
            Some(Fixed(750))
        );
        assert_eq!(
            screen(&[("min_abs_gap", "0")]).unwrap().ranking.min_abs_gap,
            Some(Fixed(0))
        );
        assert_eq!(
            screen(&[("min_abs_gap", "100")])
                .unwrap()
                .ranking
                .min_abs_gap,
            Some(Fixed(10_000))
        );
        for bad in [
            "-1", "100.01", "1e1", "7.", ".5", "7.555", "abc", "NaN", " 8",
        ] {
            assert_eq!(refused(&[("min_abs_gap", bad)]).0, "min_abs_gap", "{bad:?}");
        }
        assert_eq!(screen(&[("limit", "50")]).unwrap().ranking.limit, Some(50));
        for bad in ["0", "51", "500", "-1", "5.0", "+5"] {
            assert_eq!(refused(&[("limit", bad)]).0, "limit", "{bad:?}");
        }
    }

    #[test]
    fn unknown_and_market_only_parameters_are_refused() {
        assert_eq!(refused(&[("coin", "BTC")]).0, "coin");
        assert_eq!(refused(&[("symbol", "BTCUSDT")]).0, "symbol");
        assert!(!SCREENER_PARAMS
            .iter()
            .any(|p| MARKET_PARAMS.contains(p) && *p != "period"));
    }

    #[test]
    fn the_rows_are_the_fewest_buckets_the_asked_outputs_need() {
        let limit = |pairs: &[(&str, &str)]| screen(pairs).unwrap().rows(12);
        assert_eq!(limit(&[("period", "1h")]), 6);
        assert_eq!(
            limit(&[("period", "1h"), ("include_confidence", "true")]),
            12 + 6
        );
        assert_eq!(
            limit(&[("period", "5m"), ("include_confidence", "true")]),
            144 + 6
        );
        // At 1d the 12h window is one bucket, but persistence saturates only after 6.
        assert_eq!(
            limit(&[("period", "1d"), ("include_confidence", "true")]),
            6 + 6
        );
        assert_eq!(
            limit(&[("period", "1h"), ("include_changes", "true")]),
            24 + 1 + 6
        );
        assert_eq!(
            limit(&[
                ("period", "1h"),
                ("include_changes", "true"),
                ("change_window", "1h"),
                ("include_confidence", "true")
            ]),
            18
        );
        assert_eq!(
            limit(&[
                ("period", "30m"),
                ("include_changes", "true"),
                ("change_window", "7d")
            ]),
            343
        );
        assert_eq!(
            limit(&[
                ("period", "1h"),
                ("include_changes", "true"),
                ("change_window", "7d")
            ]),
            175
        );
        assert_eq!(
            screen(&[("period", "5m"), ("include_confidence", "true")])
                .unwrap()
                .rows(168),
            500
        );
    }

    // ---------------------------------------------------------------- rows and ranking
}
