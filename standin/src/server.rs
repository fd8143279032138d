//! Routes, the request log, the control endpoints and the in-process handle.

use crate::conn::{Conn, KillableListener};
use crate::data::{self, Cohort, Row, SYMBOLS};
use crate::exchange_info;
use crate::faults::{self, binance_error, html, Fault, HlEndpoint, NOT_FOUND_PAGE};
use crate::switches::Switches;
use crate::venues::{self, Venue};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::future::IntoFuture;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One logged request to a non-control path. `at_ms` is wall-clock arrival time (not the
/// fixed clock), so benchmark scripts can measure request rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub path: String,
    pub query: String,
    /// The venue whose endpoint was asked (`None`: no venue's, e.g. an unknown path).
    #[serde(default)]
    pub venue: Option<Venue>,
    /// Hyperliquid's endpoint that was asked (its `POST /info` body is in `query`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperliquid: Option<HlEndpoint>,
    pub cohort: Option<Cohort>,
    pub at_ms: i64,
}

pub(crate) struct Shared {
    /// What `reset` returns to: the switches the server was started with.
    initial: Switches,
    switches: Mutex<Switches>,
    log: Mutex<Vec<RequestRecord>>,
    /// Hyperliquid's weight counted per answered `/info` request: (wall-clock ms, weight).
    pub(crate) weights: Mutex<Vec<(i64, u32)>>,
}

/// A poisoned lock only means another request panicked mid-update; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Keeps arithmetic on client- or switch-supplied instants far from overflow (year ~33658).
const MAX_TS: i64 = 1_000_000_000_000_000;

impl Shared {
    /// Logs the request, then snapshots the switches and consumes a matching fault.
    fn begin(&self, uri: &Uri, cohort: Option<Cohort>) -> (Switches, Option<Fault>) {
        let venue = cohort.map(|_| Venue::Binance);
        self.log_request(uri, venue, cohort);
        let mut sw = lock(&self.switches);
        let fault = cohort.and_then(|c| faults::take(&mut sw.faults, Venue::Binance, Some(c)));
        (sw.clone(), fault)
    }

    /// As [`Shared::begin`], for any venue's data endpoint (`cohort: None`: not one cohort's).
    pub(crate) fn begin_venue(
        &self,
        uri: &Uri,
        venue: Venue,
        cohort: Option<Cohort>,
    ) -> (Switches, Option<Fault>) {
        self.log_request(uri, Some(venue), cohort);
        let mut sw = lock(&self.switches);
        let fault = faults::take(&mut sw.faults, venue, cohort);
        (sw.clone(), fault)
    }

    fn log_request(&self, uri: &Uri, venue: Option<Venue>, cohort: Option<Cohort>) {
        lock(&self.log).push(RequestRecord {
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            venue,
            hyperliquid: None,
            cohort,
            at_ms: system_ms(),
        });
    }

    /// As [`Shared::begin_venue`], for Hyperliquid's `endpoint` (`body`: a `POST /info` body,
    /// logged as the record's `query`).
    /// `endpoint: None`: a body it cannot read (no fault applies).
    pub(crate) fn begin_hyperliquid(
        &self,
        uri: &Uri,
        endpoint: Option<HlEndpoint>,
        body: &str,
    ) -> (Switches, Option<Fault>) {
        lock(&self.log).push(RequestRecord {
            path: uri.path().to_string(),
            query: body.chars().take(512).collect(),
            venue: None,
            hyperliquid: endpoint,
            cohort: None,
            at_ms: system_ms(),
        });
        let mut sw = lock(&self.switches);
        let fault = endpoint.and_then(|e| faults::take_hyperliquid(&mut sw.faults, e));
        (sw.clone(), fault)
    }

    /// Hyperliquid's weight counted in the rolling minute ending at wall-clock `now_ms`.
    pub(crate) fn weight_in_minute_to(&self, now_ms: i64) -> u32 {
        lock(&self.weights)
            .iter()
            .filter(|(at, _)| *at > now_ms - 60_000 && *at <= now_ms)
            .map(|(_, w)| w)
            .sum()
    }

    /// Counts `weight` now.
    pub(crate) fn spend_weight(&self, weight: u32) {
        lock(&self.weights).push((system_ms(), weight));
    }

    /// The most Hyperliquid weight counted in any rolling minute (`[t, t + 60 s)` from any
    /// counted `t`) since the start or the last reset.
    fn max_weight_in_any_minute(&self) -> u32 {
        let mut spent = lock(&self.weights).clone();
        spent.sort_by_key(|(at, _)| *at);
        let (mut best, mut sum, mut end) = (0, 0, 0);
        for &(start, w) in &spent {
            while end < spent.len() && spent[end].0 < start + 60_000 {
                sum += spent[end].1;
                end += 1;
            }
            best = best.max(sum);
            sum -= w;
        }
        best
    }
}

pub(crate) fn wall_ms() -> i64 {
    system_ms()
}

pub(crate) fn clock(sw: &Switches) -> i64 {
    sw.now_ms.unwrap_or_else(system_ms).clamp(0, MAX_TS)
}

pub(crate) async fn latency(sw: &Switches) {
    if sw.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sw.latency_ms)).await;
    }
}

type Params = Query<Vec<(String, String)>>;

fn router(shared: Arc<Shared>) -> Router {
    let mut r = Router::new();
    for c in Cohort::ALL {
        r = r.route(
            c.path(),
            get(
                move |State(st): State<Arc<Shared>>,
                      ConnectInfo(conn): ConnectInfo<Conn>,
                      uri: Uri,
                      Query(q): Params| { ratio(st, conn, uri, q, c) },
            ),
        );
    }
    r = venues::routes(r);
    r.route("/fapi/v1/exchangeInfo", get(exchange_info))
        .route("/fapi/v1/ping", get(ping))
        .route("/__standin/requests", get(list_requests))
        .route("/__standin/reset", post(reset))
        .route("/__standin/switches", get(get_switches).put(put_switches))
        .route("/__standin/faults", post(post_fault))
        .route("/__standin/hyperliquid/weight", get(hyperliquid_weight))
        .fallback(not_found)
        .with_state(shared)
}

async fn ratio(
    st: Arc<Shared>,
    conn: Conn,
    uri: Uri,
    q: Vec<(String, String)>,
    cohort: Cohort,
) -> Response {
    let (sw, fault) = st.begin(&uri, Some(cohort));
    latency(&sw).await;
    let now = clock(&sw);
    if let Some(f) = &fault {
        let kill = || conn.kill();
        if let Some(resp) = faults::intercept(f, now, conn.peer.ip(), kill).await {
            return resp;
        }
    }
    match select(&q, cohort, &sw, now) {
        Ok(rows) => faults::render(
            &rows,
            sw.timestamp_as_string,
            sw.position_keys && cohort == Cohort::TopTradersByPosition,
            fault.map(|f| f.kind),
        ),
        Err((code, msg)) => binance_error(StatusCode::BAD_REQUEST, code, &msg),
    }
}

/// A 400 answer as (Binance code, message); kept small instead of a whole `Response`.
type Rejection = (i64, String);

fn mandatory(name: &str) -> Rejection {
    let msg = format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed.");
    (-1102, msg)
}

fn invalid(name: &str) -> Rejection {
    (
        -1130,
        format!("Data sent for paramter '{name}' is not valid."),
    )
}

/// `1m`, `3m`, `8h`, `3d`, `1w`, `1M`: shaped like a period, so Binance answers `200 []`.
fn plausible_period(p: &str) -> bool {
    if !p.is_ascii() {
        return false; // also keeps split_at on a char boundary
    }
    let (n, unit) = p.split_at(p.len().saturating_sub(1));
    (1..=3).contains(&n.len())
        && n.bytes().all(|b| b.is_ascii_digit())
        && ["m", "h", "d", "w", "M"].contains(&unit)
}

fn time_param(value: Option<&str>, name: &str) -> Result<Option<i64>, Rejection> {
    let Some(v) = value else { return Ok(None) };
    if v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
        let msg = format!(
            "Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
        );
        return Err((-1100, msg));
    }
    Ok(Some(v.parse::<i64>().unwrap_or(MAX_TS).min(MAX_TS)))
}

/// Validates the query like Binance and picks the rows, oldest first.
fn select(
    q: &[(String, String)],
    cohort: Cohort,
    sw: &Switches,
    now: i64,
) -> Result<Vec<Row>, Rejection> {
    // First occurrence wins; an empty value counts as not sent.
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let symbol = get("symbol").ok_or_else(|| mandatory("symbol"))?;
    let period = get("period").ok_or_else(|| mandatory("period"))?;
    let limit = match get("limit") {
        None => 30,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| invalid("limit"))?,
    };
    let start = time_param(get("startTime"), "startTime")?;
    let end = time_param(get("endTime"), "endTime")?;
    let Some(p) = data::period_ms(period) else {
        return if plausible_period(period) {
            Ok(vec![])
        } else {
            Err(invalid("period"))
        };
    };
    // Upstream rejects a startTime beyond the 30-day retention, and an inverted range.
    if start.is_some_and(|s| s < now - data::RETENTION_MS)
        || matches!((start, end), (Some(s), Some(e)) if s > e)
    {
        return Err(invalid("startTime"));
    }
    if !SYMBOLS.contains(&symbol) {
        return Ok(vec![]);
    }
    let mut newest = data::newest_bucket(now, p);
    if sw.lagging_cohort == Some(cohort) {
        newest -= p;
    }
    if let Some(e) = end {
        newest = newest.min(e.div_euclid(p) * p);
    }
    let oldest = data::oldest_bucket(now, p).max(start.map_or(0, |s| data::ceil_to(s, p)));
    let count = if newest >= oldest {
        (newest - oldest) / p + 1
    } else {
        0
    };
    let stamps: Vec<i64> = (0..count)
        .map(|i| oldest + i * p)
        .filter(|ts| {
            !sw.missing_buckets
                .iter()
                .any(|m| m.hides(Venue::Binance, cohort, *ts))
        })
        .collect();
    // With a startTime, the first `limit` rows from it (as klines do; unconfirmed upstream);
    // otherwise the newest `limit`.
    let limit = limit as usize;
    let chosen = if start.is_some() {
        &stamps[..limit.min(stamps.len())]
    } else {
        &stamps[stamps.len().saturating_sub(limit)..]
    };
    Ok(chosen
        .iter()
        .filter_map(|ts| data::row(symbol, cohort, p, *ts))
        .collect())
}

async fn exchange_info(State(st): State<Arc<Shared>>, uri: Uri) -> Response {
    let (sw, _) = st.begin(&uri, None);
    latency(&sw).await;
    Json(exchange_info::body(clock(&sw))).into_response()
}

async fn ping(State(st): State<Arc<Shared>>, uri: Uri) -> Response {
    st.begin(&uri, None);
    Json(json!({})).into_response()
}

async fn not_found(State(st): State<Arc<Shared>>, uri: Uri) -> Response {
    if !uri.path().starts_with("/__standin/") {
        st.begin(&uri, None);
    }
    html(StatusCode::NOT_FOUND, NOT_FOUND_PAGE)
}

async fn list_requests(State(st): State<Arc<Shared>>) -> Response {
    let log = lock(&st.log);
    Json(json!({ "count": log.len(), "requests": *log })).into_response()
}

/// Hyperliquid's weight as counted (see [`StandInHandle::max_weight_in_any_minute`]), for
/// scripts: `{"in_last_minute", "max_in_any_minute", "total", "requests", "limit"}`.
async fn hyperliquid_weight(State(st): State<Arc<Shared>>) -> Response {
    let (total, requests) = {
        let spent = lock(&st.weights);
        (
            spent.iter().map(|(_, w)| u64::from(*w)).sum::<u64>(),
            spent.len(),
        )
    };
    Json(json!({
        "in_last_minute": st.weight_in_minute_to(system_ms()),
        "max_in_any_minute": st.max_weight_in_any_minute(),
        "total": total,
        "requests": requests,
        "limit": venues::hyperliquid::WEIGHT_PER_MINUTE,
    }))
    .into_response()
}

async fn reset(State(st): State<Arc<Shared>>) -> Response {
    st.reset();
    get_switches(State(st)).await
}

async fn get_switches(State(st): State<Arc<Shared>>) -> Response {
    Json(lock(&st.switches).clone()).into_response()
}

fn bad_control(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

/// Partial update: only the top-level fields present in the body change.
async fn put_switches(State(st): State<Arc<Shared>>, body: Bytes) -> Response {
    let patch = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(patch)) => patch,
        Ok(_) => return bad_control("expected a JSON object".into()),
        Err(e) => return bad_control(e.to_string()),
    };
    let mut sw = lock(&st.switches);
    let mut merged = serde_json::to_value(&*sw).unwrap_or_default();
    if let Value::Object(fields) = &mut merged {
        fields.extend(patch);
    }
    match serde_json::from_value::<Switches>(merged) {
        Ok(new) => {
            *sw = new;
            Json(sw.clone()).into_response()
        }
        Err(e) => bad_control(e.to_string()),
    }
}

async fn post_fault(State(st): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) => {
            lock(&st.switches).faults.push(fault);
            get_switches(State(st)).await
        }
        Err(e) => bad_control(e.to_string()),
    }
}

impl Shared {
    fn reset(&self) {
        lock(&self.log).clear();
        lock(&self.weights).clear();
        *lock(&self.switches) = self.initial.clone();
    }
}

/// A running stand-in. Dropping it stops accepting connections (in-flight ones finish or
/// die with their runtime).
pub struct StandInHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<io::Result<()>>,
}

/// Serves on an ephemeral loopback port (127.0.0.1:0).
pub async fn spawn(switches: Switches) -> io::Result<StandInHandle> {
    spawn_on(SocketAddr::from(([127, 0, 0, 1], 0)), switches).await
}

/// Serves on `addr` in a tokio task of the current runtime.
pub async fn spawn_on(addr: SocketAddr, switches: Switches) -> io::Result<StandInHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        initial: switches.clone(),
        switches: Mutex::new(switches),
        log: Mutex::new(Vec::new()),
        weights: Mutex::new(Vec::new()),
    });
    let app = router(shared.clone()).into_make_service_with_connect_info::<Conn>();
    let task = tokio::spawn(axum::serve(KillableListener(listener), app).into_future());
    Ok(StandInHandle { addr, shared, task })
}

impl StandInHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// Requests logged so far (control endpoints are never logged).
    pub fn request_count(&self) -> usize {
        lock(&self.shared.log).len()
    }
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }
    /// Clears the log and restores the switches this server was started with.
    pub fn reset(&self) {
        self.shared.reset();
    }
    pub fn switches(&self) -> Switches {
        lock(&self.shared.switches).clone()
    }
    pub fn update(&self, f: impl FnOnce(&mut Switches)) {
        f(&mut lock(&self.shared.switches));
    }
    pub fn push_fault(&self, fault: impl Into<Fault>) {
        lock(&self.shared.switches).faults.push(fault.into());
    }
    /// Hyperliquid's weight (`POST /info`: 2 per `clearinghouseState`, 20 + ⌈fills / 20⌉ per
    /// `userFillsByTime`, 20 per `metaAndAssetCtxs`) counted in the rolling minute ending now.
    pub fn weight_in_last_minute(&self) -> u32 {
        self.shared.weight_in_minute_to(system_ms())
    }
    /// The most Hyperliquid weight counted in any rolling minute since the start (or the last
    /// reset): what a benchmark asserts stays ≤ 1,200.
    pub fn max_weight_in_any_minute(&self) -> u32 {
        self.shared.max_weight_in_any_minute()
    }
    /// Every Hyperliquid weight counted so far: (wall-clock ms, weight), oldest first.
    pub fn weights(&self) -> Vec<(i64, u32)> {
        lock(&self.shared.weights).clone()
    }
    /// Serves until the server task ends (it normally never does); for the binary.
    pub async fn wait(mut self) -> io::Result<()> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}

impl Drop for StandInHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}
