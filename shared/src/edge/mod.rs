//! The Lambda edge: an API Gateway event in ([`call::Call`]), the envelope out ([`envelope`]),
//! with the one error type's status codes and `Cache-Control`; `format=csv` files ([`csv`]) and the
//! chart image ([`svg`]).

pub mod call;
pub mod csv;
pub mod envelope;
pub mod svg;

pub use call::Call;
pub use csv::CsvFile;
pub use svg::Svg;
