//! `GET /fapi/v1/exchangeInfo`: a small but realistically shaped listing.

use crate::data::SYMBOLS;
use serde_json::{json, Value};

/// Perpetuals' deliveryDate on Binance (2100-12-25).
const PERPETUAL: i64 = 4_133_404_800_000;

/// (symbol, pair, contractType, deliveryDate, status, quote, pricePrecision, quantityPrecision)
#[rustfmt::skip]
type Listing = (&'static str, &'static str, &'static str, i64, &'static str, &'static str, u32, u32);

/// Listed, but a client keeping PERPETUAL + USDT + TRADING crypto contracts must drop them
/// (`XAUUSDT` passes that filter: only a crypto-only rule removes it).
#[rustfmt::skip]
const UNWANTED: [Listing; 4] = [
    ("MATICUSDT", "MATICUSDT", "PERPETUAL", 1_725_926_400_000, "SETTLING", "USDT", 4, 0),
    ("BTCUSDT_260925", "BTCUSDT", "CURRENT_QUARTER", 1_790_323_200_000, "TRADING", "USDT", 1, 3),
    ("BTCUSDC", "BTCUSDC", "PERPETUAL", PERPETUAL, "TRADING", "USDC", 1, 3),
    ("XAUUSDT", "XAUUSDT", "PERPETUAL", PERPETUAL, "TRADING", "USDT", 2, 3),
];

/// (pricePrecision, quantityPrecision) of each of [`SYMBOLS`], as Binance lists them.
const PRECISIONS: [(u32, u32); SYMBOLS.len()] = [
    (2, 3),
    (2, 3),
    (4, 0),
    (3, 2),
    (4, 1),
    (6, 0),
    (5, 0),
    (4, 0),
    (3, 2),
    (7, 0),
    (5, 0),
    (3, 1),
    (4, 1),
    (4, 1),
    (2, 3),
    (2, 3),
    (4, 0),
    (4, 1),
    (4, 1),
    (4, 1),
];

pub(crate) fn body(server_time_ms: i64) -> Value {
    let wanted = SYMBOLS.iter().zip(PRECISIONS).map(|(s, (price, qty))| {
        (
            *s,
            *s,
            "PERPETUAL",
            PERPETUAL,
            "TRADING",
            "USDT",
            price,
            qty,
        )
    });
    let symbols: Vec<Value> = wanted.chain(UNWANTED).map(contract).collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": [],
        "assets": [],
        "symbols": symbols,
    })
}

fn contract(l: Listing) -> Value {
    let (symbol, pair, kind, delivery, status, quote, price_precision, qty_precision) = l;
    let base = pair.strip_suffix(quote).unwrap_or(pair);
    let underlying = if base == "XAU" { "COMMODITY" } else { "COIN" };
    json!({
        "symbol": symbol, "pair": pair, "contractType": kind, "deliveryDate": delivery,
        "onboardDate": 1_569_398_400_000_i64, "status": status, "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": base, "quoteAsset": quote,
        "marginAsset": quote, "pricePrecision": price_precision,
        "quantityPrecision": qty_precision, "baseAssetPrecision": 8, "quotePrecision": 8,
        "underlyingType": underlying, "underlyingSubType": [], "triggerProtect": "0.0500",
        "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.0001",
                     "maxPrice": "1000000", "tickSize": "0.0001"}],
        "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                       "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    })
}
