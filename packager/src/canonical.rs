//! Canonical JSON: the one byte form every JSON file in a package takes, so that the same assets
//! always give the same bytes (and the same sha256) whatever map order the caller's values carry.
//!
//! The form is serde_json's pretty printer (two-space indent, `": "` after keys) with every object's
//! keys sorted by their UTF-8 bytes, and a single trailing newline. Pretty rather than compact
//! because packages are meant to be read in code review and diffed in git.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical bytes of `value` (see the module doc).
pub fn to_canonical_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    // Going through `Value` first means key order never depends on struct field order or on
    // whether serde_json's `preserve_order` feature is switched on somewhere else in the build.
    let value = serde_json::to_value(value)?;
    let mut bytes = serde_json::to_vec_pretty(&Sorted(&value))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `value` is spelled as [`sha256_hex`] spells digests: 64 lowercase hex digits.
pub(crate) fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex sha256 of the canonical bytes of `value`.
pub fn canonical_sha256<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    Ok(sha256_hex(&to_canonical_bytes(value)?))
}

/// Serializes a `Value` with object keys in sorted order, at every depth.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth_with_a_trailing_newline() {
        let bytes =
            to_canonical_bytes(&json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}}))
                .expect("serializes");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert_eq!(
            text,
            "{\n  \"a\": {\n    \"c\": null,\n    \"d\": [\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }
}
