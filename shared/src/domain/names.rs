//! A parameter's text as a value, refused naming the parameter and saying what is allowed: one
//! of a closed set of names (`sort_by=abs_gap`, `true`/`false`), a comma-separated set of them
//! (`signal=crowd_over_long,neutral`, `venues=okx,gate`), or a whole number in a range
//! (`limit=48`). Every route parses these three shapes here, with the same rules.

use std::ops::RangeInclusive;

use super::error::ApiError;

/// The names of a closed set, in order (the values a parameter accepts, e.g. for a schema).
pub fn names<T>(allowed: &[(&'static str, T)]) -> Vec<&'static str> {
    allowed.iter().map(|(name, _)| *name).collect()
}

/// One of a closed set of names, for the enum-like parameters.
pub fn one_of<T: Copy>(
    parameter: &'static str,
    text: &str,
    allowed: &[(&'static str, T)],
) -> Result<T, ApiError> {
    allowed
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                parameter,
                format!("{parameter} must be one of {}", names.join(", ")),
            )
        })
}

/// A comma-separated set of names from a closed set (`signal=crowd_over_long,neutral`), in the
/// order asked: spaces around a name are allowed; an unknown or empty name, or one named twice,
/// is refused naming the parameter.
pub fn set_of<T: Copy + PartialEq>(
    parameter: &'static str,
    text: &str,
    allowed: &[(&'static str, T)],
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let item = item.trim_matches(' ');
        let v = one_of(parameter, item, allowed).map_err(|_| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                parameter,
                format!(
                    "{parameter} must be one or more of {}, comma-separated",
                    names.join(", ")
                ),
            )
        })?;
        if out.contains(&v) {
            return Err(ApiError::invalid(
                parameter,
                format!("{parameter} names {item} twice"),
            ));
        }
        out.push(v);
    }
    Ok(out)
}

/// A whole number in `range`, in plain decimal digits (`1e3`, `-1`, `4.5`, `+5`, `0x10` and more
/// digits than the range's end has are refused); `unit` names what it counts in the refusal
/// (`"buckets"`: "horizon must be a whole number of buckets from 1 to 48").
pub fn whole_number(
    parameter: &'static str,
    text: &str,
    range: RangeInclusive<u16>,
    unit: Option<&str>,
) -> Result<u16, ApiError> {
    let refused = || {
        let of = unit.map(|u| format!(" of {u}")).unwrap_or_default();
        ApiError::invalid(
            parameter,
            format!(
                "{parameter} must be a whole number{of} from {} to {}",
                range.start(),
                range.end()
            ),
        )
    };
    let most_digits = range.end().to_string().len();
    if text.is_empty() || text.len() > most_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    text.parse::<u16>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(refused)
}

pub fn boolean(parameter: &'static str, text: &str) -> Result<bool, ApiError> {
    one_of(parameter, text, &[("true", true), ("false", false)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_outside_the_set_is_refused_listing_the_set() {
        let set = [("a", 1), ("b", 2)];
        assert_eq!(one_of("x", "b", &set), Ok(2));
        let e = one_of("x", "c", &set).unwrap_err();
        assert_eq!(
            (e.parameter(), e.to_string().as_str()),
            (Some("x"), "x must be one of a, b")
        );
        assert_eq!(set_of("x", "b, a", &set), Ok(vec![2, 1]));
        assert_eq!(
            set_of("x", "b, a,b", &set).unwrap_err().to_string(),
            "x names b twice"
        );
        assert!(set_of("x", "a,", &set)
            .unwrap_err()
            .to_string()
            .contains("one or more of a, b"));
        assert_eq!(boolean("f", "true"), Ok(true));
        assert!(boolean("f", "True").is_err());
    }

    #[test]
    fn a_whole_number_is_plain_digits_inside_its_range() {
        let limit = |t: &str| whole_number("limit", t, 1..=500, None);
        assert_eq!(
            [limit("1"), limit("500"), limit("048")],
            [Ok(1), Ok(500), Ok(48)]
        );
        for bad in [
            "0", "501", "", "1e2", "-1", "+5", "4.5", "0x10", " 5", "0048", "65536",
        ] {
            let e = limit(bad).unwrap_err();
            assert_eq!(
                (e.parameter(), e.to_string().as_str()),
                (Some("limit"), "limit must be a whole number from 1 to 500"),
                "{bad:?}"
            );
        }
        assert_eq!(
            whole_number("horizon", "49", 1..=48, Some("buckets"))
                .unwrap_err()
                .to_string(),
            "horizon must be a whole number of buckets from 1 to 48"
        );
    }
}
