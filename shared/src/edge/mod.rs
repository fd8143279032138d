//! The Lambda edge: an API Gateway event in ([`call::Call`]), the envelope out ([`envelope`]),
//! with the one error type's status codes and `Cache-Control`; a rendered CSV or SVG file as a
//! response ([`files`]).

pub mod call;
pub mod envelope;
pub mod files;
pub mod log;

pub use call::Call;
