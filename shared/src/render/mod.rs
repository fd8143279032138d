//! Answers that are files rather than JSON, rendered as values: a `format=csv` table
//! ([`csv::CsvFile`]) and the chart's picture ([`svg::Svg`]). An endpoint renders; the edge only
//! sends the value with its headers. Pure: no I/O, no HTTP.

pub mod csv;
pub mod svg;

pub use csv::CsvFile;
pub use svg::Svg;
