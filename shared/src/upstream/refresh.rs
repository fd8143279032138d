//! `refresh=true` is honoured at most once per bucket per API key: one caller cannot spend the
//! instance's request budget for everyone by asking again and again. Keys are kept only as a
//! salted hash (the salt is this instance's, so the hash means nothing elsewhere), in memory,
//! and only for the bucket they refreshed.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use crate::domain::clock::newest_visible_bucket;
use crate::domain::Period;

/// The most (key, period, bucket) entries kept; beyond it, refreshes are declined until buckets
/// pass (a bound on memory, not a limit a caller can reach with one key).
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct RefreshLedger {
    salt: RandomState,
    used: Mutex<HashSet<(u64, Period, i64)>>,
}

impl RefreshLedger {
    /// The key as this ledger keeps it; `None` (no key: local serving) counts as one caller.
    pub fn key_hash(&self, api_key: Option<&str>) -> u64 {
        self.salt.hash_one(api_key.unwrap_or(""))
    }

    /// Whether the caller with `key_hash` may bypass the memo for `period` now: yes once per
    /// bucket of that period (the bucket that can be out at `now_ms`).
    pub fn allow(&self, key_hash: u64, period: Period, now_ms: i64) -> bool {
        let bucket = newest_visible_bucket(period, now_ms);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        // Forget buckets that have passed.
        used.retain(|(_, p, b)| *b >= newest_visible_bucket(*p, now_ms));
        if used.len() >= MAX_ENTRIES {
            return false;
        }
        used.insert((key_hash, period, bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-02 00:00:00 UTC.
    const DAY: i64 = 1_785_628_800_000;
    const MIN: i64 = 60_000;

    #[test]
    fn once_per_bucket_per_key_and_period() {
        let ledger = RefreshLedger::default();
        let (a, b) = (
            ledger.key_hash(Some("key-a")),
            ledger.key_hash(Some("key-b")),
        );
        assert_ne!(a, b);
        let t = DAY + 12 * 60 * MIN + MIN;
        assert!(ledger.allow(a, Period::M5, t));
        assert!(!ledger.allow(a, Period::M5, t + MIN), "same 5m bucket");
        assert!(ledger.allow(b, Period::M5, t + MIN), "another key");
        assert!(ledger.allow(a, Period::H1, t + MIN), "another period");
        // 12:05:05: the next 5m bucket can be out.
        assert!(ledger.allow(a, Period::M5, t + 4 * MIN + 5_000));
        assert!(
            !ledger.allow(a, Period::H1, t + 4 * MIN + 5_000),
            "still the same hour"
        );
    }

    #[test]
    fn the_key_is_not_kept_in_clear_and_no_key_is_one_caller() {
        let ledger = RefreshLedger::default();
        assert_eq!(ledger.key_hash(None), ledger.key_hash(None));
        assert_ne!(ledger.key_hash(None), ledger.key_hash(Some("k")));
        // Another instance salts differently.
        assert_ne!(
            RefreshLedger::default().key_hash(Some("k")),
            ledger.key_hash(Some("k"))
        );
    }
}
