//! Newtypes parsed once at the edge, so the inside of the program never re-checks them.

use std::fmt;

use crate::error::UserProblem;

/// A URL-safe identifier: lowercase letters, digits and single hyphens, starting with a letter or
/// digit (the rule is `packager::names::check_slug`). Used for listing slugs, user handles and
/// categories.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Parse `value` as a slug of at most `max` characters, reporting problems against `field`.
    pub fn parse(field: &[&str], value: &str, max: usize) -> Result<Self, UserProblem> {
        // The one slug rule is the package format's, so every slug here can travel in a package.
        packager::names::check_slug(value, max).map_err(|_| {
            UserProblem::bad_input(
                field,
                format!(
                    "must be 2 to {max} characters of lowercase letters, digits and single hyphens, \
                     not starting or ending with a hyphen (got {value:?})"
                ),
            )
        })?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trimmed text with a length limit; empty only when `allow_empty`.
pub fn text(
    field: &[&str],
    value: &str,
    max_chars: usize,
    allow_empty: bool,
) -> Result<String, UserProblem> {
    let trimmed = value.trim();
    if trimmed.contains('\0') {
        return Err(UserProblem::bad_input(
            field,
            "must not contain NUL characters",
        ));
    }
    if trimmed.is_empty() && !allow_empty {
        return Err(UserProblem::bad_input(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(UserProblem::bad_input(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Refuse NUL anywhere in a JSON value — in a string or an object's key — naming where: the
/// field path is `field` followed by the path inside the value. PostgreSQL cannot store NUL in
/// `json`/`jsonb` or text (SQLSTATE 22P05, 22021); SQLite could, so both refuse it alike.
pub fn json_without_nul(field: &[&str], value: &serde_json::Value) -> Result<(), UserProblem> {
    fn walk(path: &mut Vec<String>, value: &serde_json::Value) -> Option<Vec<String>> {
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.clone()),
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                path.push(i.to_string());
                let found = walk(path, item);
                path.pop();
                found
            }),
            serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
                path.push(key.replace('\0', "\\u0000"));
                let found = if key.contains('\0') {
                    Some(path.clone())
                } else {
                    walk(path, item)
                };
                path.pop();
                found
            }),
            _ => None,
        }
    }
    let mut path: Vec<String> = field.iter().map(|s| (*s).to_owned()).collect();
    match walk(&mut path, value) {
        None => Ok(()),
        Some(at) => {
            let at: Vec<&str> = at.iter().map(String::as_str).collect();
            Err(UserProblem::bad_input(
                &at,
                "must not contain NUL characters",
            ))
        }
    }
}

/// Listing keywords: at most 12, each a short lowercase word or phrase; duplicates dropped.
pub fn keywords(field: &[&str], values: &[String]) -> Result<Vec<String>, UserProblem> {
    if values.len() > 12 {
        return Err(UserProblem::bad_input(field, "at most 12 keywords"));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let keyword = value.trim().to_lowercase();
        if keyword.is_empty() || keyword.chars().count() > 32 || keyword.contains('\0') {
            return Err(UserProblem::bad_input(
                field,
                format!("keyword {value:?} must be 1 to 32 characters"),
            ));
        }
        if !out.contains(&keyword) {
            out.push(keyword);
        }
    }
    Ok(out)
}

/// A semantic version, `1.2.3` or `1.2.3-beta.1`; build metadata is refused because it would make
/// two different strings name the same version.
pub fn version(field: &[&str], value: &str) -> Result<semver::Version, UserProblem> {
    let version = semver::Version::parse(value.trim()).map_err(|err| {
        UserProblem::bad_input(field, format!("{value:?} is not a semantic version: {err}"))
    })?;
    if !version.build.is_empty() {
        return Err(UserProblem::bad_input(
            field,
            "build metadata (`+…`) is not allowed in a version",
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse(&["s"], "github-issues", 64).is_ok());
        for bad in ["", "a", "-ab", "ab-", "a--b", "Ab", "a_b", "a b", "ä-b"] {
            assert!(Slug::parse(&["s"], bad, 64).is_err(), "{bad}");
        }
        assert!(Slug::parse(&["s"], &"a".repeat(65), 64).is_err());
    }

    #[test]
    fn versions_and_keywords() {
        assert!(version(&["v"], "1.2.3").is_ok());
        assert!(version(&["v"], "1.2").is_err());
        assert!(version(&["v"], "1.0.0+build").is_err());
        let k = keywords(&["k"], &["CRM".into(), "crm".into(), " sales ".into()]);
        assert_eq!(k.ok(), Some(vec!["crm".to_owned(), "sales".to_owned()]));
    }
}
