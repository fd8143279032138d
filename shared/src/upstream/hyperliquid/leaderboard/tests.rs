use super::*;

fn row(address: &str, account: &str, month: &str, all_time: &str, name: &str) -> String {
    format!(
        r#"{{"ethAddress":"{address}","accountValue":"{account}","windowPerformances":[["day",{{"pnl":"1.0","roi":"0.1","vlm":"2.0"}}],["week",{{"pnl":"1.0","roi":"0.1","vlm":"2.0"}}],["month",{{"pnl":"{month}","roi":"0.1","vlm":"2.0"}}],["allTime",{{"pnl":"{all_time}","roi":"0.1","vlm":"2.0"}}]],"prize":0,"displayName":{name}}}"#
    )
}

fn board(rows: &[String]) -> String {
    format!("{{\"leaderboardRows\":[\n{}\n]}}", rows.join(",\n"))
}

const A: &str = "0x00000000000000000000000000000000000000a1";
const B: &str = "0x00000000000000000000000000000000000000b2";
const C: &str = "0x00000000000000000000000000000000000000c3";
const D: &str = "0x00000000000000000000000000000000000000d4";

/// Six rows: C and A tie at 500.5 (A first, address ascending), B at 900; the HLP vault (upper
/// case on the wire) above all, excluded; D fails on month pnl 0; E on allTime −1; F on account
/// value 99,999.999999 (just under 100,000).
fn fixture() -> String {
    board(&[
        row(C, "100000.0", "500.5", "1.0", "null"),
        row(
            &HLP_VAULT.to_uppercase().replace("0X", "0x"),
            "350000000.0",
            "25000000.0",
            "9.0",
            r#""HLP""#,
        ),
        row(
            B,
            "2000000.123456789",
            "900.0",
            "5.0",
            &format!("\"{}\"", r#"b \"quoted\" }{ ]["#),
        ),
        row(D, "500000.0", "0.0", "5.0", "null"),
        row(
            "0x00000000000000000000000000000000000000E5",
            "500000.0",
            "10.0",
            "-1.0",
            "null",
        ),
        row(A, "150000", "500.5", "0.000001", r#""a""#),
        row(
            "0x00000000000000000000000000000000000000f6",
            "99999.999999",
            "10.0",
            "5.0",
            "null",
        ),
    ])
}

fn addresses(rows: &[LeaderboardRow]) -> Vec<&str> {
    rows.iter().map(|r| r.address.as_str()).collect()
}

#[test]
fn the_rule_keeps_ranks_and_cuts_as_the_contract_says() {
    let all = select(fixture().as_bytes(), &TrackingRule::default()).unwrap();
    assert_eq!(addresses(&all), [B, A, C]);
    assert_eq!(all[0].display_name.as_deref(), Some("b \"quoted\" }{ ]["));
    assert_eq!(
        all[0].account_value,
        Fixed(2_000_000_123_457),
        "rounded half up at 10⁻⁶"
    );
    assert_eq!(
        (all[1].month_pnl, all[1].all_time_pnl),
        (Fixed(500_500_000), Fixed(1))
    );
    assert_eq!(all[2].display_name, None);
    let two = TrackingRule {
        size: 2,
        ..TrackingRule::default()
    };
    assert_eq!(
        addresses(&select(fixture().as_bytes(), &two).unwrap()),
        [B, A]
    );
    // Without the exclusion the vault leads; a lower minimum admits F; excluded in any case.
    let open = TrackingRule::new(
        Fixed(99_999_999_999),
        60,
        &[&B.to_uppercase().replace("0X", "0x")],
    );
    let got = select(fixture().as_bytes(), &open).unwrap();
    assert_eq!(got[0].address, HLP_VAULT);
    assert_eq!(
        addresses(&got)[1..],
        [A, C, "0x00000000000000000000000000000000000000f6"]
    );
}

#[test]
fn a_row_split_across_chunks_at_every_byte_offset_reads_the_same() {
    let body = fixture();
    let whole = select(body.as_bytes(), &TrackingRule::default()).unwrap();
    let bytes = body.as_bytes();
    for cut in 0..=bytes.len() {
        for second in [cut, (cut + 7).min(bytes.len())] {
            let mut scanner = RowScanner::new();
            let mut selection = Selection::new(TrackingRule::default());
            let mut offer = |r: &[u8]| selection.offer(r);
            for chunk in [&bytes[..cut], &bytes[cut..second], &bytes[second..]] {
                scanner.feed(chunk, &mut offer).unwrap();
            }
            scanner.finish().unwrap();
            assert_eq!(selection.rows, 7);
            assert_eq!(selection.finish(), whole, "cut at {cut}, {second}");
        }
    }
    // One byte at a time.
    let mut scanner = RowScanner::new();
    let mut selection = Selection::new(TrackingRule::default());
    for b in bytes.chunks(1) {
        scanner.feed(b, &mut |r| selection.offer(r)).unwrap();
    }
    scanner.finish().unwrap();
    assert_eq!(selection.finish(), whole);
}

#[test]
fn only_leaderboard_rows_are_rows_and_other_keys_are_skipped() {
    let body = format!(
        r#"{{"note":"leaderboardRows","other":[{{"ethAddress":"x"}}],"leaderboardRows":[{}],"after":{{"a":[1,2]}}}}"#,
        row(A, "150000", "5.0", "5.0", "null")
    );
    assert_eq!(
        addresses(&select(body.as_bytes(), &TrackingRule::default()).unwrap()),
        [A]
    );
    assert!(
        select(br#"{"leaderboardRows":[]}"#, &TrackingRule::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn what_is_not_a_whole_leaderboard_is_a_body_error() {
    let rule = TrackingRule::default();
    let body = fixture();
    for (bad, starts) in [
        ("", "truncated JSON"),
        ("null", "not JSON"),
        ("<html><body>502</body></html>", "not JSON"),
        ("[]", "not a leaderboard"),
        (r#"{"rows":[]}"#, "not a leaderboard"),
        (
            r#"{"leaderboardRows":[1]}"#,
            "a leaderboard row that is not an object",
        ),
        (r#"{"leaderboardRows":[]} x"#, "not JSON"),
        (&body[..body.len() - 1], "truncated JSON"),
        (&body[..body.len() / 2], "truncated JSON"),
    ] {
        let got = select(bad.as_bytes(), &rule).unwrap_err();
        assert!(got.0.starts_with(starts), "{bad:?}: {got}");
    }
    // A row without its month pnl, or with a pnl that is not a number.
    let no_month = board(&[row(A, "1", "5", "5", "null").replace(r#""month""#, r#""mon""#)]);
    assert!(select(no_month.as_bytes(), &rule)
        .unwrap_err()
        .0
        .contains("month pnl"));
    let garbage = board(&[row(A, "abc", "5", "5", "null")]);
    assert!(select(garbage.as_bytes(), &rule).is_err());
}

#[test]
fn the_selection_never_holds_more_than_twice_the_cohort() {
    let rule = TrackingRule {
        size: 3,
        ..TrackingRule::default()
    };
    let mut selection = Selection::new(rule);
    for i in 0..100 {
        let address = format!("0x{i:040x}");
        let r = row(
            &address,
            "200000",
            &format!("{}.0", 1000 - i % 37),
            "1.0",
            "null",
        );
        selection.offer(r.as_bytes()).unwrap();
        assert!(selection.kept.len() < 6);
    }
    let got = selection.finish();
    // 1000 is reached by i = 0, 37, 74: the three, address ascending.
    assert_eq!(
        addresses(&got),
        [
            format!("0x{:040x}", 0),
            format!("0x{:040x}", 37),
            format!("0x{:040x}", 74)
        ]
    );
}
