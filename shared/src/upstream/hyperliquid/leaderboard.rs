//! The leaderboard read as a stream, and the rule that picks the tracked wallets from it.
//!
//! The leaderboard (`{"leaderboardRows":[{…},{…},…]}`) is 25–40 MB and growing, so it is never
//! held whole: [`RowScanner`] is fed the body chunk by chunk as it arrives, cuts each row object
//! out by tracking strings, escapes and nesting, and hands it alone to serde_json; [`Selection`]
//! keeps only rows the [`TrackingRule`] can select, and never more than twice the cohort's size.
//! What stays in memory is one row's bytes, one chunk and at most 2 N selected rows.
//!
//! (The "cohort" here is the tracked wallets of `/v1/wallets`, the contract's word, not one of
//! the three account groups of `domain::Cohort`.)

use std::borrow::Cow;

use serde::Deserialize;

use super::parse::{num, BodyError, Num};
use crate::domain::Fixed;
use crate::upstream::wire::NumText;

/// The HLP vault: on the leaderboard, not a trader.
pub const HLP_VAULT: &str = "0xdfc24b077bc1425ad1dea75bcb6f8158e10df303";
/// Default [`TrackingRule::min_account_value_usd`].
pub const DEFAULT_MIN_ACCOUNT_VALUE_USD: i64 = 100_000;
/// Default [`TrackingRule::size`].
pub const DEFAULT_COHORT_SIZE: usize = 60;

/// Which leaderboard rows are tracked: accountValue ≥ `min_account_value_usd`, allTime pnl > 0
/// and month pnl > 0, not in `excluded`, ranked by month pnl descending (ties: address
/// ascending), the first `size`. Addresses are compared lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingRule {
    pub min_account_value_usd: Num,
    pub size: usize,
    /// Lower-cased addresses never selected (default: the HLP vault).
    pub excluded: Vec<String>,
}

impl Default for TrackingRule {
    fn default() -> Self {
        TrackingRule {
            min_account_value_usd: Fixed(DEFAULT_MIN_ACCOUNT_VALUE_USD * 1_000_000),
            size: DEFAULT_COHORT_SIZE,
            excluded: vec![HLP_VAULT.to_string()],
        }
    }
}

impl TrackingRule {
    /// The rule with `excluded` lower-cased.
    pub fn new(min_account_value_usd: Num, size: usize, excluded: &[&str]) -> Self {
        TrackingRule {
            min_account_value_usd,
            size,
            excluded: excluded.iter().map(|a| a.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `row` can be selected (before ranking).
    pub fn admits(&self, row: &LeaderboardRow) -> bool {
        row.account_value >= self.min_account_value_usd
            && row.all_time_pnl.0 > 0
            && row.month_pnl.0 > 0
            && !self.excluded.contains(&row.address)
    }

    /// The rule in words, for an answer's `cohort.rule`.
    pub fn describe(&self) -> String {
        let usd = self.min_account_value_usd.to_string();
        let usd = match usd.split_once('.') {
            Some((whole, frac)) if frac.trim_end_matches('0').is_empty() => whole.to_string(),
            Some((whole, frac)) => format!("{whole}.{}", frac.trim_end_matches('0')),
            None => usd,
        };
        let excluded = match self.excluded.len() {
            1 => "1 excluded address".to_string(),
            n => format!("{n} excluded addresses"),
        };
        format!(
            "Hyperliquid leaderboard: accountValue >= {usd} USD, allTime pnl > 0, month pnl > 0, \
             not one of {excluded}; the {} with the largest month pnl (ties: address)",
            self.size
        )
    }
}

/// Where the tracked wallets come from: the rule over the leaderboard, or an operator's explicit
/// list that replaces it (then the leaderboard need not be read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackingSource {
    Rule(TrackingRule),
    /// Lower-cased addresses, in the operator's order.
    Explicit(Vec<String>),
}

impl Default for TrackingSource {
    fn default() -> Self {
        TrackingSource::Rule(TrackingRule::default())
    }
}

/// One leaderboard row as kept: the figures the rule reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderboardRow {
    /// Lower-cased.
    pub address: String,
    pub account_value: Num,
    pub month_pnl: Num,
    pub all_time_pnl: Num,
    pub display_name: Option<String>,
}

#[derive(Deserialize)]
struct WireRow<'a> {
    #[serde(rename = "ethAddress", borrow)]
    eth_address: Cow<'a, str>,
    #[serde(rename = "accountValue", borrow)]
    account_value: NumText<'a>,
    #[serde(rename = "windowPerformances", borrow)]
    window_performances: Vec<(Cow<'a, str>, WirePerformance<'a>)>,
    #[serde(rename = "displayName", borrow, default)]
    display_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WirePerformance<'a> {
    #[serde(borrow)]
    pnl: NumText<'a>,
}

/// One row object's bytes as a [`LeaderboardRow`]: `windowPerformances` is a list of
/// `[name, {pnl, roi, vlm}]` pairs; `month` and `allTime` must be among them.
pub fn parse_row(bytes: &[u8]) -> Result<LeaderboardRow, BodyError> {
    let wire: WireRow<'_> = serde_json::from_slice(bytes)
        .map_err(|e| BodyError(format!("a leaderboard row we cannot read ({e})")))?;
    let pnl = |window: &str| -> Result<Num, BodyError> {
        let (_, p) = wire
            .window_performances
            .iter()
            .find(|(name, _)| name == window)
            .ok_or_else(|| BodyError(format!("a leaderboard row without its {window} pnl")))?;
        num(window, &p.pnl.0)
    };
    Ok(LeaderboardRow {
        address: wire.eth_address.to_ascii_lowercase(),
        account_value: num("accountValue", &wire.account_value.0)?,
        month_pnl: pnl("month")?,
        all_time_pnl: pnl("allTime")?,
        display_name: wire.display_name.map(Cow::into_owned),
    })
}

/// The rows a rule selects, kept while the leaderboard streams by: at most 2 × `size` at any
/// time (cut back to `size` whenever it reaches that: a row cut can never come back, since
/// ranking only ever pushes it further down).
#[derive(Debug)]
pub struct Selection {
    rule: TrackingRule,
    kept: Vec<LeaderboardRow>,
    /// Rows read.
    pub rows: u32,
}

impl Selection {
    pub fn new(rule: TrackingRule) -> Self {
        Selection {
            rule,
            kept: Vec::new(),
            rows: 0,
        }
    }

    /// Reads one row object's bytes and keeps it if the rule can select it.
    pub fn offer(&mut self, bytes: &[u8]) -> Result<(), BodyError> {
        let row = parse_row(bytes)?;
        self.rows += 1;
        if self.rule.admits(&row) {
            self.kept.push(row);
            if self.kept.len() >= 2 * self.rule.size.max(1) {
                self.rank();
            }
        }
        Ok(())
    }

    fn rank(&mut self) {
        self.kept.sort_by(|a, b| {
            b.month_pnl
                .cmp(&a.month_pnl)
                .then_with(|| a.address.cmp(&b.address))
        });
        // The same address twice (it should not happen) counts once, at its best rank.
        let mut seen = std::collections::HashSet::new();
        self.kept.retain(|r| seen.insert(r.address.clone()));
        self.kept.truncate(self.rule.size);
    }

    /// The selected rows, ranked: month pnl descending, ties by address ascending.
    pub fn finish(mut self) -> Vec<LeaderboardRow> {
        self.rank();
        self.kept
    }
}

/// Cuts `{"leaderboardRows":[ {…}, {…} ]}` into row objects as its bytes arrive, in chunks
/// split anywhere (inside a string, an escape or a number). Only the top-level key
/// `leaderboardRows` is read; other top-level keys are skipped.
#[derive(Debug, Default)]
pub struct RowScanner {
    depth: u32,
    in_string: bool,
    escape: bool,
    started: bool,
    done: bool,
    /// The last string at depth 1 (the key before a value), while and after it is read.
    key: Vec<u8>,
    reading_key: bool,
    in_rows: bool,
    saw_rows: bool,
    in_row: bool,
    row: Vec<u8>,
    /// Bytes fed so far.
    pub bytes: u64,
}

const ROWS_KEY: &[u8] = b"leaderboardRows";

impl RowScanner {
    pub fn new() -> Self {
        RowScanner::default()
    }

    /// Feeds the next `chunk`, handing every row object completed in it to `row`.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        row: &mut impl FnMut(&[u8]) -> Result<(), BodyError>,
    ) -> Result<(), BodyError> {
        for &b in chunk {
            self.bytes += 1;
            if self.in_row {
                self.row.push(b);
            }
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.reading_key = false;
                } else if self.reading_key && self.key.len() <= ROWS_KEY.len() {
                    self.key.push(b);
                }
                if self.reading_key && self.escape {
                    // An escaped key is never `leaderboardRows`.
                    self.key.push(0);
                }
                continue;
            }
            if self.done && !b.is_ascii_whitespace() {
                return Err(BodyError("not JSON (trailing characters)".into()));
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 {
                        self.key.clear();
                        self.reading_key = true;
                    }
                }
                b'{' | b'[' => {
                    if !self.started {
                        if b != b'{' {
                            return Err(BodyError("not a leaderboard (no object)".into()));
                        }
                        self.started = true;
                    }
                    if self.depth == 1 && b == b'[' && self.key == ROWS_KEY {
                        self.in_rows = true;
                        self.saw_rows = true;
                    } else if self.in_rows && self.depth == 2 {
                        if b != b'{' {
                            return Err(BodyError(
                                "a leaderboard row that is not an object".into(),
                            ));
                        }
                        self.in_row = true;
                        self.row.clear();
                        self.row.push(b);
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        return Err(BodyError("not JSON (unbalanced)".into()));
                    }
                    self.depth -= 1;
                    if self.in_row && self.depth == 2 {
                        self.in_row = false;
                        row(&self.row)?;
                    } else if self.in_rows && self.depth == 1 {
                        self.in_rows = false;
                    }
                    if self.depth == 0 {
                        self.done = true;
                    }
                }
                _ if b.is_ascii_whitespace() || b == b',' || b == b':' => {}
                _ => {
                    if !self.started {
                        return Err(BodyError(format!(
                            "not JSON (starts with {:?})",
                            char::from(b)
                        )));
                    }
                    if self.in_rows && self.depth == 2 {
                        return Err(BodyError("a leaderboard row that is not an object".into()));
                    }
                }
            }
        }
        Ok(())
    }

    /// The end of the body: an error unless one whole object with `leaderboardRows` was read.
    pub fn finish(&self) -> Result<(), BodyError> {
        if !self.started {
            return Err(BodyError("truncated JSON (an empty body)".into()));
        }
        if !self.done {
            return Err(BodyError(format!(
                "truncated JSON (the body ended after {} bytes)",
                self.bytes
            )));
        }
        if !self.saw_rows {
            return Err(BodyError("not a leaderboard (no leaderboardRows)".into()));
        }
        Ok(())
    }
}

/// A whole leaderboard body, read as the stream reads it (one chunk), selected by `rule`.
pub fn select(body: &[u8], rule: &TrackingRule) -> Result<Vec<LeaderboardRow>, BodyError> {
    let mut scanner = RowScanner::new();
    let mut selection = Selection::new(rule.clone());
    scanner.feed(body, &mut |row| selection.offer(row))?;
    scanner.finish()?;
    Ok(selection.finish())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod describe_tests {
    use super::*;

    #[test]
    fn the_rule_is_stated_in_plain_numbers() {
        assert_eq!(
            TrackingRule::default().describe(),
            "Hyperliquid leaderboard: accountValue >= 100000 USD, allTime pnl > 0, month pnl > 0, \
             not one of 1 excluded address; the 60 with the largest month pnl (ties: address)"
        );
        let rule = TrackingRule::new(Fixed(2_500_500_000), 10, &[]);
        assert!(
            rule.describe().contains(">= 2500.5 USD"),
            "{}",
            rule.describe()
        );
        assert!(rule
            .describe()
            .contains("not one of 0 excluded addresses; the 10 "));
    }
}
