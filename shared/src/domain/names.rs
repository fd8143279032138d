//! Enum-like values spelled as one of a closed set of names (`sort_by=abs_gap`,
//! `signal=crowd_over_long,neutral`, `true`/`false`): parsed here, refused naming the parameter
//! and listing what is allowed.

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

/// A comma-separated set of names from a closed set (`signal=crowd_over_long,neutral`).
pub fn set_of<T: Copy + PartialEq>(
    parameter: &'static str,
    text: &str,
    allowed: &[(&'static str, T)],
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let v = one_of(parameter, item.trim_matches(' '), allowed).map_err(|_| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                parameter,
                format!(
                    "{parameter} must be one or more of {}, comma-separated",
                    names.join(", ")
                ),
            )
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
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
        assert_eq!(set_of("x", "b, a,b", &set), Ok(vec![2, 1]));
        assert!(set_of("x", "a,", &set)
            .unwrap_err()
            .to_string()
            .contains("one or more of a, b"));
        assert_eq!(boolean("f", "true"), Ok(true));
        assert!(boolean("f", "True").is_err());
    }
}
