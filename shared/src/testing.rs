//! Test support for the function crates (feature `testing`, dev-dependencies only): the
//! dependencies of a handler wired to an in-process stand-in (every venue at its base URL), and event helpers.

use lambda_http::{Body, Request, Response};
use standin::{StandInHandle, Switches};

use crate::{Config, Deps};

/// A stand-in with `switches`, and handler dependencies whose upstream is that stand-in.
pub async fn deps_over(switches: Switches) -> (StandInHandle, Deps) {
    let standin = standin::spawn(switches).await.expect("stand-in starts");
    let mut config = Config::default();
    for venue in crate::domain::Venue::ALL {
        config.apply_base_url(venue, Some(&standin.base_url()));
    }
    let deps = Deps::fixed(config).expect("HTTP client builds");
    (standin, deps)
}

/// An API Gateway event from its JSON (an `events/*.json` file).
pub fn event(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("a valid API Gateway event")
}

/// Status and JSON body of a handler's answer.
pub fn status_and_body(response: &Response<Body>) -> (u16, serde_json::Value) {
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status().as_u16(), body)
}
