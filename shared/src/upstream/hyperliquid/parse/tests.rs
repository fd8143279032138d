use super::*;

/// The facts' recorded `clearinghouseState` (the summaries' elided values filled in).
const STATE: &str = r#"{"marginSummary":{"accountValue":"1523.44","totalNtlPos":"211.6","totalRawUsd":"1735.04","totalMarginUsed":"10.58"},
 "crossMarginSummary":{"accountValue":"1523.44","totalNtlPos":"211.6","totalRawUsd":"1735.04","totalMarginUsed":"10.58"},
 "crossMaintenanceMarginUsed":"2.1","withdrawable":"1512.86","time":1700000000000,
 "assetPositions":[{"type":"oneWay","position":{"coin":"BTC","szi":"-0.00785","entryPx":"26951.0",
   "positionValue":"211.6","unrealizedPnl":"-0.08","returnOnEquity":"-0.0075","liquidationPx":null,
   "leverage":{"type":"cross","value":20},"marginUsed":"10.58","maxLeverage":50,
   "cumFunding":{"allTime":"1.0","sinceOpen":"0.1","sinceChange":"0.1"}}},
  {"type":"oneWay","position":{"coin":"kPEPE","szi":"150000000000.0","entryPx":"0.011234",
   "positionValue":"1685100000.0","unrealizedPnl":"-0.0000005","liquidationPx":"0.0091",
   "leverage":{"type":"isolated","value":5,"rawUsd":"-1.0"},"marginUsed":"337020000.0","maxLeverage":10}}]}"#;

/// The facts' recorded fill.
const FILL: &str = r#"[{"coin":"AVAX","px":"18.435","sz":"93.53","side":"B","time":1681222254710,"startPosition":"26.86",
 "dir":"Open Long","closedPnl":"0.0","hash":"0x2c8f","oid":90542681,"tid":118906512037719,
 "crossed":false,"fee":"0.01","feeToken":"USDC","builderFee":"0.01","twapId":null}]"#;

const META: &str = r#"[{"universe":[{"name":"BTC","szDecimals":5,"maxLeverage":40},{"name":"FTT","szDecimals":1,"maxLeverage":3,"isDelisted":true}]},
 [{"funding":"0.0000125","openInterest":"31234.56789","prevDayPx":"64000.0","dayNtlVlm":"1234567890.12","premium":"0.0001234","oraclePx":"65001.0","markPx":"65000.0","midPx":"65000.5","impactPxs":["64999.0","65001.0"],"dayBaseVlm":"9.5"},
  {"funding":"0.0","openInterest":"0.0","prevDayPx":"1.2","dayNtlVlm":"0.0","premium":null,"oraclePx":"1.2345","markPx":"1.2345","midPx":null,"impactPxs":null,"dayBaseVlm":"0.0"}]]"#;

fn n(units: i64) -> Num {
    Fixed(units)
}

#[test]
fn the_recorded_state_reads_exactly() {
    let s = parse_clearinghouse_state(STATE.as_bytes()).unwrap();
    assert_eq!(s.account_value, n(1_523_440_000));
    assert_eq!(s.total_notional, n(211_600_000));
    assert_eq!(s.total_margin_used, n(10_580_000));
    assert_eq!(s.time, 1_700_000_000_000);
    let btc = &s.positions[0];
    assert_eq!(
        (
            btc.coin.as_str(),
            btc.szi,
            btc.entry_px,
            btc.position_value,
            btc.unrealized_pnl
        ),
        (
            "BTC",
            n(-7_850),
            n(26_951_000_000),
            n(211_600_000),
            n(-80_000)
        )
    );
    assert_eq!(
        (btc.margin_mode, btc.leverage, btc.liquidation_px),
        (MarginMode::Cross, 20, None)
    );
    // 150 billion coins of a cheap coin fit; a 7th decimal of USD rounds half away from zero.
    let pepe = &s.positions[1];
    assert_eq!(pepe.szi, n(150_000_000_000_000_000));
    assert_eq!(pepe.unrealized_pnl, n(-1));
    assert_eq!(pepe.liquidation_px, Some(n(9_100)));
    assert_eq!((pepe.margin_mode, pepe.leverage), (MarginMode::Isolated, 5));
    // An address with nothing.
    let empty = r#"{"marginSummary":{"accountValue":"0.0","totalNtlPos":"0.0","totalRawUsd":"0.0","totalMarginUsed":"0.0"},"assetPositions":[],"time":1}"#;
    assert!(parse_clearinghouse_state(empty.as_bytes())
        .unwrap()
        .positions
        .is_empty());
}

#[test]
fn the_recorded_fill_reads_exactly_and_chains() {
    let f = &parse_fills(FILL.as_bytes()).unwrap()[0];
    assert_eq!(
        (
            f.coin.as_str(),
            f.px,
            f.sz,
            f.side,
            f.time,
            f.start_position
        ),
        (
            "AVAX",
            n(18_435_000),
            n(93_530_000),
            Side::Buy,
            1_681_222_254_710,
            n(26_860_000)
        )
    );
    assert_eq!(
        (f.dir.as_str(), f.closed_pnl, f.tid),
        ("Open Long", n(0), 118_906_512_037_719)
    );
    // 26.86 + 93.53 = 120.39.
    assert_eq!(f.end_position(), n(120_390_000));
    assert!(f.is_perpetual() && !f.is_liquidation());
    let sell = FILL.replace(r#""side":"B""#, r#""side":"A""#);
    assert_eq!(
        parse_fills(sell.as_bytes()).unwrap()[0].end_position(),
        n(26_860_000 - 93_530_000)
    );
    let spot = FILL.replace("AVAX", "@107").replace("Open Long", "Buy");
    assert!(!parse_fills(spot.as_bytes()).unwrap()[0].is_perpetual());
    assert!(parse_fills(b"[]").unwrap().is_empty());
}

#[test]
fn asset_contexts_match_the_universe_by_index() {
    let a = parse_asset_ctxs(META.as_bytes()).unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].coin.as_str(), a[0].mark_px, a[0].mid_px),
        ("BTC", n(65_000_000_000), Some(n(65_000_500_000)))
    );
    assert_eq!(a[0].open_interest, n(31_234_567_890));
    assert_eq!(a[0].funding, Decimal::parse("0.0000125").unwrap());
    assert_eq!((a[1].is_delisted, a[1].mid_px), (true, None));
    let short = META.replace(
        r#",{"name":"FTT","szDecimals":1,"maxLeverage":3,"isDelisted":true}"#,
        "",
    );
    assert_eq!(
        parse_asset_ctxs(short.as_bytes()),
        Err(BodyError("1 perpetuals but 2 asset contexts".into()))
    );
}

#[test]
fn anything_else_is_a_body_error() {
    for body in [
        "",
        "null",
        "<html></html>",
        "{}",
        r#"{"unexpected":"object"}"#,
        "[1]",
    ] {
        assert!(
            parse_clearinghouse_state(body.as_bytes()).is_err(),
            "{body}"
        );
        assert!(
            parse_fills(body.as_bytes()).is_err() || body == "[]",
            "{body}"
        );
        assert!(parse_asset_ctxs(body.as_bytes()).is_err(), "{body}");
    }
    for bad in [
        FILL.replace("93.53", "abc"),
        FILL.replace("93.53", "NaN"),
        FILL.replace(r#""B""#, r#""X""#),
        FILL.replace("\"sz\":\"93.53\",", ""),
    ] {
        assert!(parse_fills(bad.as_bytes()).is_err(), "{bad}");
    }
    let cut = &STATE.as_bytes()[..STATE.len() / 2];
    assert!(parse_clearinghouse_state(cut)
        .unwrap_err()
        .0
        .starts_with("truncated JSON"));
    assert!(parse_fills(b"<html>")
        .unwrap_err()
        .0
        .starts_with("not JSON"));
}

#[test]
fn classify_maps_hyperliquid_s_error_forms() {
    use Classified::*;
    assert_eq!(classify(200, b"[]"), Ok);
    assert_eq!(classify(429, b"null"), RateLimited);
    assert!(
        matches!(classify(422, b"Failed to deserialize the JSON body into the target type"), BadRequest(w) if w.contains("a bug on our side"))
    );
    assert!(matches!(classify(500, b"null"), BadRequest(w) if w.contains("unknown coin")));
    assert!(matches!(classify(500, b" null\n"), BadRequest(_)));
    assert_eq!(classify(500, b"{}"), ServerError);
    assert_eq!(classify(503, b"Service Unavailable."), ServerError);
    assert_eq!(classify(502, b"<html>"), ServerError);
    assert!(matches!(classify(400, b"bad"), BadRequest(_)));
    assert!(matches!(classify(415, b""), BadRequest(_)));
}
