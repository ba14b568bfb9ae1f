//! Naming rules for the path segments a package is made of, and the layout that turns an asset into
//! its path. The same rules run when building (a bad name is a [`crate::BuildError`]) and when
//! reading (a bad path is a [`crate::ReadError`]), so every archive we write is one we accept.
//!
//! This module is *the* rule for slugs, folders and names in Patchbay: the server checks listing
//! slugs, handles, recipe and connection names and folders with these same functions (mapping a
//! [`NameProblem`] to its own error), so whatever a workspace saves can be exported.
//!
//! A *name* (recipe or connection) and every *folder segment*:
//! - ASCII letters, digits, space, `-`, `_`, `.`, `(` and `)` only;
//! - does not start or end with a space or a `.` (so never `.` or `..`, no hidden files, nothing
//!   Windows would silently trim);
//! - is not a Windows device name (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any
//!   case, with or without an extension);
//! - a name is 1 to [`MAX_NAME_LEN`] bytes, a folder segment 1 to [`MAX_SEGMENT_LEN`] bytes.
//!
//! A *folder* is empty (the package root) or segments joined by `/`: at most [`MAX_FOLDER_DEPTH`]
//! segments and [`MAX_FOLDER_LEN`] bytes, no leading, trailing or doubled `/`, and its first segment
//! is not `connectors` in any case (that folder belongs to connector sources).
//!
//! A *slug*: 2 to `max` lowercase letters, digits and single hyphens, not starting or ending with a
//! hyphen. Connector slugs in a package (listing slugs) have a `max` of [`MAX_SLUG_LEN`].

use std::fmt;

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_SEGMENT_LEN: usize = 64;
pub const MAX_FOLDER_DEPTH: usize = 8;
pub const MAX_FOLDER_LEN: usize = 255;
pub const MAX_SLUG_LEN: usize = 64;

/// The folder reserved for connector sources.
pub const CONNECTORS_FOLDER: &str = "connectors";
pub const MANIFEST_PATH: &str = "manifest.json";
pub const RECIPE_SUFFIX: &str = ".recipe.json";
pub const CONNECTION_SUFFIX: &str = ".connection.json";
pub const CONNECTOR_SOURCE_FILE: &str = "connector.js";
pub const CONNECTOR_METADATA_FILE: &str = "connector.json";

/// Why a name, folder or slug breaks the rules (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong { max: usize },
    BadCharacter(char),
    DotOrSpaceAtEdge,
    ReservedDeviceName,
    EmptySegment,
    TooDeep { max: usize },
    ReservedFolder,
    BadSlug { max: usize },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "is empty"),
            Self::TooLong { max } => write!(f, "is longer than {max} bytes"),
            Self::BadCharacter(c) => write!(f, "contains the character {c:?}"),
            Self::DotOrSpaceAtEdge => write!(f, "starts or ends with a dot or a space"),
            Self::ReservedDeviceName => write!(f, "is a reserved device name"),
            Self::EmptySegment => write!(f, "has an empty segment"),
            Self::TooDeep { max } => write!(f, "has more than {max} segments"),
            Self::ReservedFolder => write!(f, "starts with the reserved folder `connectors`"),
            Self::BadSlug { max } => write!(
                f,
                "is not 2 to {max} lowercase letters, digits and single hyphens"
            ),
        }
    }
}

/// Check a recipe or connection name.
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    check_segment(name, MAX_NAME_LEN)
}

/// Check a folder path (empty means the package root).
pub fn check_folder(folder: &str) -> Result<(), NameProblem> {
    if folder.is_empty() {
        return Ok(());
    }
    if folder.len() > MAX_FOLDER_LEN {
        return Err(NameProblem::TooLong {
            max: MAX_FOLDER_LEN,
        });
    }
    let segments: Vec<&str> = folder.split('/').collect();
    if segments.len() > MAX_FOLDER_DEPTH {
        return Err(NameProblem::TooDeep {
            max: MAX_FOLDER_DEPTH,
        });
    }
    if segments
        .first()
        .is_some_and(|first| first.eq_ignore_ascii_case(CONNECTORS_FOLDER))
    {
        return Err(NameProblem::ReservedFolder);
    }
    for segment in segments {
        if segment.is_empty() {
            return Err(NameProblem::EmptySegment);
        }
        check_segment(segment, MAX_SEGMENT_LEN)?;
    }
    Ok(())
}

/// Check a slug of at most `max` bytes ([`MAX_SLUG_LEN`] for a connector in a package).
pub fn check_slug(slug: &str, max: usize) -> Result<(), NameProblem> {
    let ok_chars = slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok_shape = !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--");
    if slug.len() < 2 || slug.len() > max || !ok_chars || !ok_shape {
        return Err(NameProblem::BadSlug { max });
    }
    Ok(())
}

fn check_segment(segment: &str, max: usize) -> Result<(), NameProblem> {
    if segment.is_empty() {
        return Err(NameProblem::Empty);
    }
    if segment.len() > max {
        return Err(NameProblem::TooLong { max });
    }
    if let Some(bad) = segment.chars().find(|c| !is_safe_char(*c)) {
        return Err(NameProblem::BadCharacter(bad));
    }
    if segment.starts_with(['.', ' ']) || segment.ends_with(['.', ' ']) {
        return Err(NameProblem::DotOrSpaceAtEdge);
    }
    if is_device_name(segment) {
        return Err(NameProblem::ReservedDeviceName);
    }
    Ok(())
}

fn is_safe_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')')
}

fn is_device_name(segment: &str) -> bool {
    let stem = segment.split('.').next().unwrap_or(segment).trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit()
            && upper.as_bytes()[3] != b'0')
}

fn join(folder: &str, file: &str) -> String {
    if folder.is_empty() {
        file.to_owned()
    } else {
        format!("{folder}/{file}")
    }
}

/// `<folder>/<name>.recipe.json`
pub fn recipe_path(folder: &str, name: &str) -> String {
    join(folder, &format!("{name}{RECIPE_SUFFIX}"))
}

/// `<folder>/<name>.connection.json`
pub fn connection_path(folder: &str, name: &str) -> String {
    join(folder, &format!("{name}{CONNECTION_SUFFIX}"))
}

/// `connectors/<slug>`
pub fn connector_folder(slug: &str) -> String {
    format!("{CONNECTORS_FOLDER}/{slug}")
}

/// `connectors/<slug>/connector.js`
pub fn connector_source_path(slug: &str) -> String {
    format!("{CONNECTORS_FOLDER}/{slug}/{CONNECTOR_SOURCE_FILE}")
}

/// `connectors/<slug>/connector.json`
pub fn connector_metadata_path(slug: &str) -> String {
    format!("{CONNECTORS_FOLDER}/{slug}/{CONNECTOR_METADATA_FILE}")
}

/// What a path inside a package is, by the layout alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    Manifest,
    Recipe { folder: String, name: String },
    Connection { folder: String, name: String },
    ConnectorSource { slug: String },
    ConnectorMetadata { slug: String },
}

/// Classify a path that already passed the safety rules; `None` for anything the layout does not
/// know.
pub fn classify(path: &str) -> Option<FileKind> {
    if path == MANIFEST_PATH {
        return Some(FileKind::Manifest);
    }
    let (folder, file) = match path.rsplit_once('/') {
        Some((folder, file)) => (folder, file),
        None => ("", path),
    };
    if let Some(slug) = folder.strip_prefix("connectors/") {
        if check_slug(slug, MAX_SLUG_LEN).is_err() {
            return None;
        }
        let slug = slug.to_owned();
        return match file {
            CONNECTOR_SOURCE_FILE => Some(FileKind::ConnectorSource { slug }),
            CONNECTOR_METADATA_FILE => Some(FileKind::ConnectorMetadata { slug }),
            _ => None,
        };
    }
    if check_folder(folder).is_err() {
        return None;
    }
    let named = |suffix: &str| {
        file.strip_suffix(suffix)
            .filter(|name| check_name(name).is_ok())
            .map(|name| (folder.to_owned(), name.to_owned()))
    };
    if let Some((folder, name)) = named(RECIPE_SUFFIX) {
        return Some(FileKind::Recipe { folder, name });
    }
    if let Some((folder, name)) = named(CONNECTION_SUFFIX) {
        return Some(FileKind::Connection { folder, name });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in [
            "Sync leads",
            "a",
            "v1.2 (copy)",
            "lead_sync-2",
            &"n".repeat(MAX_NAME_LEN),
        ] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "..",
            ".",
            ".hidden",
            "trailing.",
            " lead",
            "a/b",
            "a\\b",
            "x:y",
            "caf\u{e9}",
            "CON",
            "nul.txt",
            "com1",
            "tab\t",
            &"n".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(check_name("COM0"), Ok(()));
        assert_eq!(check_name("console"), Ok(()));
    }

    #[test]
    fn folders() {
        for good in ["", "sales", "sales/EMEA/leads", "my connectors"] {
            assert_eq!(check_folder(good), Ok(()), "{good}");
        }
        for bad in [
            "/abs",
            "a//b",
            "a/",
            "a/../b",
            "connectors",
            "Connectors/x",
            "a/./b",
            "C:",
        ] {
            assert!(check_folder(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_folder(&["a"; MAX_FOLDER_DEPTH + 1].join("/")),
            Err(NameProblem::TooDeep {
                max: MAX_FOLDER_DEPTH
            })
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(check_slug("github-issues", MAX_SLUG_LEN), Ok(()));
        assert_eq!(check_slug("ab", 2), Ok(()));
        assert_eq!(check_slug("abc", 2), Err(NameProblem::BadSlug { max: 2 }));
        assert_eq!(check_slug(&"a".repeat(MAX_SLUG_LEN), MAX_SLUG_LEN), Ok(()));
        for bad in [
            "",
            "a",
            "-a",
            "a-",
            "a--b",
            "A",
            "a_b",
            "a b",
            "\u{e4}-b",
            "../x",
            &"a".repeat(MAX_SLUG_LEN + 1),
        ] {
            assert!(check_slug(bad, MAX_SLUG_LEN).is_err(), "{bad}");
        }
    }

    #[test]
    fn classification() {
        assert_eq!(classify("manifest.json"), Some(FileKind::Manifest));
        assert_eq!(
            classify("sales/leads/Sync.recipe.json"),
            Some(FileKind::Recipe {
                folder: "sales/leads".into(),
                name: "Sync".into()
            })
        );
        assert_eq!(
            classify("Slack.connection.json"),
            Some(FileKind::Connection {
                folder: "".into(),
                name: "Slack".into()
            })
        );
        assert_eq!(
            classify("connectors/slack/connector.js"),
            Some(FileKind::ConnectorSource {
                slug: "slack".into()
            })
        );
        for unknown in [
            "readme.md",
            "sales/manifest.json",
            "connectors/slack/other.js",
            "connectors/Slack/connector.js",
            "connectors/x.recipe.json",
            "connectors/slack/extra/connector.json",
            ".recipe.json",
        ] {
            assert_eq!(classify(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn folder_limits_are_inclusive() {
        let segment = "s".repeat(MAX_SEGMENT_LEN - 1);
        let longest = [segment.as_str(); 4].join("/");
        assert_eq!(longest.len(), MAX_FOLDER_LEN);
        assert_eq!(check_folder(&longest), Ok(()));
        assert_eq!(
            check_folder(&format!("{longest}s")),
            Err(NameProblem::TooLong {
                max: MAX_FOLDER_LEN
            })
        );
        assert_eq!(check_folder(&["a"; MAX_FOLDER_DEPTH].join("/")), Ok(()));
        assert_eq!(check_folder(&"s".repeat(MAX_SEGMENT_LEN)), Ok(()));
        assert_eq!(
            check_folder(&"s".repeat(MAX_SEGMENT_LEN + 1)),
            Err(NameProblem::TooLong {
                max: MAX_SEGMENT_LEN
            })
        );
    }

    #[test]
    fn problems_read_as_sentences() {
        for (problem, text) in [
            (NameProblem::Empty, "is empty"),
            (NameProblem::TooLong { max: 9 }, "is longer than 9 bytes"),
            (
                NameProblem::BadCharacter('\u{e9}'),
                "contains the character '\u{e9}'",
            ),
            (
                NameProblem::DotOrSpaceAtEdge,
                "starts or ends with a dot or a space",
            ),
            (NameProblem::ReservedDeviceName, "is a reserved device name"),
            (NameProblem::EmptySegment, "has an empty segment"),
            (NameProblem::TooDeep { max: 8 }, "has more than 8 segments"),
            (
                NameProblem::ReservedFolder,
                "starts with the reserved folder `connectors`",
            ),
            (
                NameProblem::BadSlug { max: 32 },
                "is not 2 to 32 lowercase letters, digits and single hyphens",
            ),
        ] {
            assert_eq!(problem.to_string(), text);
        }
    }
}
