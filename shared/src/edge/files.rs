//! A rendered file as an HTTP answer: a CSV table to download, the chart's SVG to show inline.
//! The headers live here; the bytes come from `render`.

use lambda_http::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Response};

use crate::render::{CsvFile, Svg};

pub const CONTENT_TYPE_CSV: &str = "text/csv; charset=utf-8";
pub const CONTENT_TYPE_SVG: &str = "image/svg+xml; charset=utf-8";

/// HTTP 200 with the CSV file, as an attachment.
pub fn csv_response(file: CsvFile) -> Response<Body> {
    let mut response = Response::new(Body::Binary(file.body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_CSV));
    // File names are built from validated symbols and periods: no quoting issues.
    if let Ok(value) = format!("attachment; filename=\"{}\"", file.filename).parse() {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

/// HTTP 200 with the image, shown inline. The policy forbids everything but the image's own
/// inline style, should anyone open it as a document.
pub fn svg_response(svg: Svg) -> Response<Body> {
    let mut response = Response::new(Body::Text(svg.body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_SVG));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    // File names are built from validated symbols and periods: no quoting issues.
    if let Ok(value) = format!("inline; filename=\"{}\"", svg.filename).parse() {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Pct, Period, Symbol};
    use crate::render::svg::chart;

    #[test]
    fn a_csv_file_is_an_attachment_named_for_its_file() {
        let r = csv_response(CsvFile {
            filename: "BTCUSDT-1h-history.csv".into(),
            body: b"timestamp\n".to_vec(),
        });
        assert_eq!(r.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()[CONTENT_DISPOSITION],
            "attachment; filename=\"BTCUSDT-1h-history.csv\""
        );
        assert_eq!(r.body().as_ref(), b"timestamp\n");
    }

    #[test]
    fn the_chart_is_an_inline_svg_image() {
        let btc = Symbol::from_coin("BTC").unwrap();
        let svg = chart(&btc, Period::H1, Pct::from_units(800), "binance", &[]);
        assert_eq!(svg.filename, "BTCUSDT-1h-chart.svg");
        let r = svg_response(svg);
        assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml; charset=utf-8");
        assert_eq!(
            r.headers()[CONTENT_DISPOSITION],
            "inline; filename=\"BTCUSDT-1h-chart.svg\""
        );
        assert_eq!(
            r.headers()[CONTENT_SECURITY_POLICY],
            "default-src 'none'; style-src 'unsafe-inline'"
        );
    }
}
