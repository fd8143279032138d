//! `format=csv`: a table as a spreadsheet opens it. A header row of the JSON field names, one row
//! per point, the same numbers as the JSON (each cell is the JSON value's text; a `null` is an
//! empty cell), RFC 4180 quoting by the `csv` crate. A value: its file name and bytes; the edge
//! sends it (`text/csv`, a `Content-Disposition` naming the file). Errors are never CSV: they stay
//! in the JSON envelope.

use serde::Serialize;
use serde_json::Value;

use crate::domain::ApiError;

/// A CSV answer: its file name and its bytes.
#[derive(Debug)]
pub struct CsvFile {
    pub filename: String,
    pub body: Vec<u8>,
}

impl CsvFile {
    /// `columns` as the header (also when there are no rows), then one line per row: each
    /// column's value in the row's JSON form (so `#[serde(flatten)]` parts and the numbers are
    /// exactly the JSON answer's). A `null` is an empty cell, `true`/`false` stay words; a column
    /// the row lacks, or a nested array or object, is a bug and answers 500.
    pub fn new<T: Serialize>(
        filename: String,
        columns: &[&str],
        rows: &[T],
    ) -> Result<CsvFile, ApiError> {
        let failed = |why: String| {
            tracing::error!(error = %why, "CSV did not serialise");
            ApiError::Internal
        };
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        writer
            .write_record(columns)
            .map_err(|e| failed(e.to_string()))?;
        for row in rows {
            let json = serde_json::to_value(row).map_err(|e| failed(e.to_string()))?;
            let cells = columns
                .iter()
                .map(|column| match json.get(column) {
                    Some(Value::Null) => Ok(String::new()),
                    Some(Value::Bool(b)) => Ok(b.to_string()),
                    Some(Value::Number(n)) => Ok(n.to_string()),
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(other) => Err(failed(format!("{column} is not a cell: {other}"))),
                    None => Err(failed(format!("{column} is not a field of the row"))),
                })
                .collect::<Result<Vec<String>, ApiError>>()?;
            writer
                .write_record(&cells)
                .map_err(|e| failed(e.to_string()))?;
        }
        let body = writer
            .into_inner()
            .map_err(|e| failed(e.into_error().to_string()))?;
        Ok(CsvFile { filename, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Point {
        timestamp: i64,
        gap: f64,
        ratio: Option<f64>,
        label: &'static str,
    }

    #[test]
    fn a_header_then_one_row_per_point_with_nulls_empty_and_text_quoted() {
        let rows = [
            Point {
                timestamp: 1,
                gap: -21.38,
                ratio: Some(1.9078),
                label: "a",
            },
            Point {
                timestamp: 2,
                gap: 8.0,
                ratio: None,
                label: "b, \"c\"",
            },
        ];
        let f = CsvFile::new(
            "x.csv".into(),
            &["timestamp", "gap", "ratio", "label"],
            &rows,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(f.body).unwrap(),
            "timestamp,gap,ratio,label\n1,-21.38,1.9078,a\n2,8.0,,\"b, \"\"c\"\"\"\n"
        );
        let missing = CsvFile::new("x.csv".into(), &["timestamp", "volume"], &rows).unwrap_err();
        assert_eq!(missing.code(), "internal_error");
        let empty = CsvFile::new::<Point>("x.csv".into(), &["timestamp", "gap"], &[]).unwrap();
        assert_eq!(empty.body, b"timestamp,gap\n");
    }

    #[derive(Serialize)]
    struct Extra {
        confidence: Option<u8>,
        ok: bool,
    }

    #[derive(Serialize)]
    struct Row {
        symbol: &'static str,
        #[serde(flatten)]
        extra: Option<Extra>,
    }

    #[test]
    fn flattened_parts_are_columns_like_in_the_json() {
        let rows = [
            Row {
                symbol: "BTCUSDT",
                extra: Some(Extra {
                    confidence: Some(72),
                    ok: true,
                }),
            },
            Row {
                symbol: "ETHUSDT",
                extra: Some(Extra {
                    confidence: None,
                    ok: false,
                }),
            },
        ];
        let f = CsvFile::new("x.csv".into(), &["symbol", "confidence", "ok"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(f.body).unwrap(),
            "symbol,confidence,ok\nBTCUSDT,72,true\nETHUSDT,,false\n"
        );
    }
}
