//! Hides the values of secret connection fields wherever they could show: the output (every
//! string, object key and number in it), URLs, headers, bodies, logs and error messages.
//!
//! A secret is found as written and in the spellings an API echoes it back in: percent-encoded
//! (any hex case, any set of escaped characters, `+` for a space), JSON-escaped (`\"`, `\/`,
//! `\u0041` …), and as base64 (standard, unpadded and URL-safe); the authorization adds the values
//! it derives, such as the base64 of `user:password` of a basic `Authorization` header.
//!
//! Secrets of fewer than [`MIN_ANYWHERE_CHARS`] characters are replaced only where they stand as a
//! whole token (not next to a letter or digit): a two-letter password must not blank every word
//! that contains those two letters, but `?pin=123` and `"pin":"123"` still hide it. A script that
//! deliberately transforms a secret (reverses it, splits it) is not caught; redaction is about
//! what the API and the script's ordinary use of the connection show.

use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets at least this long (in characters) are replaced wherever they occur; shorter ones only
/// where they stand as a whole token.
pub const MIN_ANYWHERE_CHARS: usize = 4;

/// Header whose values are hidden whatever they contain.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Needle {
    text: String,
    /// Only where it stands as a whole token.
    whole_token: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    needles: Vec<Needle>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut redactor = Self::default();
        redactor.extend(secrets);
        redactor
    }

    /// Adds more secrets, such as values derived from the connection by its authorization.
    pub(crate) fn extend(&mut self, secrets: impl IntoIterator<Item = String>) {
        use base64::Engine as _;
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        for secret in secrets {
            if secret.is_empty() {
                continue;
            }
            let whole_token = secret.chars().count() < MIN_ANYWHERE_CHARS;
            let spellings = [
                STANDARD.encode(&secret),
                STANDARD_NO_PAD.encode(&secret),
                URL_SAFE.encode(&secret),
                URL_SAFE_NO_PAD.encode(&secret),
                secret,
            ];
            for text in spellings {
                let needle = Needle { text, whole_token };
                if !self.needles.contains(&needle) {
                    self.needles.push(needle);
                }
            }
        }
    }

    /// `text` with every secret in it replaced by [`REDACTED`].
    pub(crate) fn text(&self, text: &str) -> String {
        if self.needles.is_empty() || text.is_empty() {
            return text.to_string();
        }
        let bytes = text.as_bytes();
        let mut found: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            find_all(bytes, needle, &mut found);
        }
        if found.is_empty() {
            return text.to_string();
        }
        found.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut iter = found.into_iter().peekable();
        while let Some((start, mut end)) = iter.next() {
            // Overlapping or touching matches become one.
            while let Some(&(next_start, next_end)) = iter.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                iter.next();
            }
            let start = floor_boundary(text, start.max(copied));
            let end = ceil_boundary(text, end);
            if start < copied {
                continue;
            }
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// A JSON value with every string, object key and number that holds a secret redacted.
    pub(crate) fn value(&self, value: Value) -> Value {
        if self.needles.is_empty() {
            return value;
        }
        match value {
            Value::String(text) => Value::String(self.text(&text)),
            Value::Number(number) => {
                let text = number.to_string();
                let redacted = self.text(&text);
                if redacted == text {
                    Value::Number(number)
                } else {
                    Value::String(redacted)
                }
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => {
                let mut redacted = serde_json::Map::new();
                for (key, value) in map {
                    let base = self.text(&key);
                    // Two keys redacted alike both stay.
                    let mut key = base.clone();
                    let mut n = 2;
                    while redacted.contains_key(&key) {
                        key = format!("{base} ({n})");
                        n += 1;
                    }
                    redacted.insert(key, self.value(value));
                }
                Value::Object(redacted)
            }
            other => other,
        }
    }

    /// Header names and values redacted; the values of credential headers always hidden.
    pub(crate) fn headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    REDACTED.to_string()
                } else {
                    self.text(value)
                };
                (self.text(name), value)
            })
            .collect()
    }
}

/// Every place `needle` occurs in `text`, in any of its spellings, as `(start, end)` byte ranges.
fn find_all(text: &[u8], needle: &Needle, found: &mut Vec<(usize, usize)>) {
    let Some(&first) = needle.text.as_bytes().first() else {
        return;
    };
    let mut start = 0;
    while start < text.len() {
        let byte = text[start];
        let candidate = byte == first || matches!(byte, b'%' | b'\\' | b'+');
        if candidate
            && let Some(end) = match_at(text, start, &needle.text)
            && (!needle.whole_token || whole_token(text, start, end))
        {
            found.push((start, end));
            start = end;
            continue;
        }
        start += 1;
    }
}

/// Where a spelling of `needle` that starts at `start` ends, if one does. Each character may be
/// written as itself, percent-encoded byte by byte, JSON-escaped, or (a space) as `+`. Where `%`
/// could be either itself or the start of an escape, both readings are tried.
fn match_at(text: &[u8], start: usize, needle: &str) -> Option<usize> {
    match_from(text, start, needle, true).or_else(|| match_from(text, start, needle, false))
}

fn match_from(text: &[u8], start: usize, needle: &str, literal_first: bool) -> Option<usize> {
    let mut pos = start;
    for c in needle.chars() {
        if let Some(next) = json_escape(text, pos, c) {
            pos = next;
            continue;
        }
        let mut buffer = [0; 4];
        for &b in c.encode_utf8(&mut buffer).as_bytes() {
            let literal = (text.get(pos) == Some(&b)).then_some(pos + 1);
            let escaped = (text.get(pos) == Some(&b'%') && hex_pair(text, pos + 1) == Some(b))
                .then_some(pos + 3);
            let plus = (b == b' ' && text.get(pos) == Some(&b'+')).then_some(pos + 1);
            pos = if literal_first {
                literal.or(escaped).or(plus)
            } else {
                escaped.or(literal).or(plus)
            }?;
        }
    }
    Some(pos)
}

/// Where a JSON escape of `c` at `pos` ends: `\uXXXX` (a surrogate pair above U+FFFF) or a
/// two-character escape — escaped once or more: JSON text inside a JSON string (an API echoing a
/// request body) doubles every backslash, so the escape may start with a run of them.
fn json_escape(text: &[u8], pos: usize, c: char) -> Option<usize> {
    let run = backslashes(text, pos);
    if run == 0 {
        return None;
    }
    if c == '\\' && run >= 2 {
        // An even run is backslashes all the way down; an odd one leaves its last for the
        // escape of whatever follows.
        return Some(pos + run - run % 2);
    }
    let short = match c {
        '"' => Some(b'"'),
        '/' => Some(b'/'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        _ => None,
    };
    if short.is_some() && text.get(pos + run).copied() == short {
        return Some(pos + run + 1);
    }
    let mut units = [0u16; 2];
    let mut at = pos;
    for unit in c.encode_utf16(&mut units).iter() {
        let run = backslashes(text, at);
        if run == 0 || text.get(at + run) != Some(&b'u') {
            return None;
        }
        let high = hex_pair(text, at + run + 1)?;
        let low = hex_pair(text, at + run + 3)?;
        if u16::from_be_bytes([high, low]) != *unit {
            return None;
        }
        at += run + 5;
    }
    Some(at)
}

/// How many backslashes stand at `pos`.
fn backslashes(text: &[u8], pos: usize) -> usize {
    text.get(pos..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| b == b'\\').count())
}

/// The byte written as two hex digits (either case) at `pos`.
fn hex_pair(text: &[u8], pos: usize) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    let high = digit(*text.get(pos)?)?;
    let low = digit(*text.get(pos + 1)?)?;
    u8::try_from(high * 16 + low).ok()
}

/// Whether `text[start..end]` is not glued to a letter or digit on either side; an escape just
/// before it (`%20`, `\n`, `\u0020`) counts as a separator.
fn whole_token(text: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0
        || !text[start - 1].is_ascii_alphanumeric()
        || (start >= 3 && text[start - 3] == b'%' && hex_pair(text, start - 2).is_some())
        || (start >= 2 && text[start - 2] == b'\\')
        || (start >= 6 && text[start - 6] == b'\\' && text[start - 5] == b'u');
    let after = text.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
    before && after
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, mut index: usize) -> usize {
    while index < text.len() && !text.is_char_boundary(index) {
        index += 1;
    }
    index.min(text.len())
}

/// `text` cut to at most `limit` bytes (on a character boundary), ending in a marker that says
/// how much was cut; `None` when it fits.
pub(crate) fn cut(text: &str, limit: usize) -> Option<String> {
    if text.len() <= limit {
        return None;
    }
    let end = floor_boundary(text, limit);
    Some(format!(
        "{}… [truncated {} bytes]",
        &text[..end],
        text.len() - end
    ))
}

/// Percent-encodes everything but unreserved characters, as `encode_uri_component` does.
pub(crate) fn percent_encode(text: &str) -> String {
    const KEPT: &[u8] = b"-_.!~*'()";
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || KEPT.contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {

    /// JSON inside a JSON string (an echoed request body) escapes a secret twice.
    #[test]
    fn secrets_escaped_twice_are_found() {
        let secret = "pw S3CRET/+?&=\"é\\x";
        let once = serde_json::to_string(secret).unwrap_or_default();
        let twice = serde_json::to_string(&once).unwrap_or_default();
        let thrice = serde_json::to_string(&twice).unwrap_or_default();
        let r = Redactor::new([secret.to_owned()]);
        for text in [once, twice, thrice] {
            let redacted = r.text(&format!("{{\"echo\": {text}}}"));
            assert!(!redacted.contains("S3CRET"), "{text} -> {redacted}");
        }
    }
    use serde_json::json;

    use super::*;

    #[test]
    fn hides_secrets_in_every_spelling() {
        let redactor = Redactor::new(["s3cr et/\"x".to_string(), String::new()]);
        assert_eq!(redactor.text("a s3cr et/\"x b"), "a [REDACTED] b");
        assert_eq!(redactor.text("?k=s3cr%20et%2F%22x"), "?k=[REDACTED]");
        assert_eq!(redactor.text("?k=s3cr+et%2f%22x&y=1"), "?k=[REDACTED]&y=1");
        assert_eq!(redactor.text("?k=%73%33cr%20et/%22x"), "?k=[REDACTED]");
        assert_eq!(
            redactor.text(r#"{"k":"s3cr et\/\"x"}"#),
            r#"{"k":"[REDACTED]"}"#
        );
        assert_eq!(
            redactor.text(r#"{"k":"s3cr\u0020et\u002F\u0022x"}"#),
            r#"{"k":"[REDACTED]"}"#
        );
        let headers = redactor.headers(&[
            ("Authorization".into(), "Basic abc".into()),
            ("X-Key".into(), "s3cr et/\"x".into()),
        ]);
        assert_eq!(headers[0].1, REDACTED);
        assert_eq!(headers[1].1, REDACTED);
    }

    #[test]
    fn hides_the_base64_forms() {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode("hunter22?>");
        let redactor = Redactor::new(["hunter22?>".to_string()]);
        assert_eq!(
            redactor.text(&format!("token {encoded}!")),
            "token [REDACTED]!"
        );
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("hunter22?>");
        assert_eq!(redactor.text(&format!("t={url_safe}")), "t=[REDACTED]");
    }

    #[test]
    fn short_secrets_only_as_whole_tokens() {
        let redactor = Redactor::new(["ab1".to_string()]);
        assert_eq!(redactor.text("crab1s and slab1"), "crab1s and slab1");
        assert_eq!(redactor.text("?pin=ab1&x=2"), "?pin=[REDACTED]&x=2");
        assert_eq!(redactor.text(r#"{"pin":"ab1"}"#), r#"{"pin":"[REDACTED]"}"#);
        assert_eq!(redactor.text("ab1"), REDACTED);
    }

    #[test]
    fn overlapping_secrets_are_hidden_whole() {
        let redactor = Redactor::new(["abcdef".to_string(), "defghi".to_string()]);
        assert_eq!(redactor.text("xabcdefghiy"), "x[REDACTED]y");
        let redactor = Redactor::new(["é-sécrét".to_string()]);
        assert_eq!(redactor.text("«é-sécrét»"), "«[REDACTED]»");
        assert_eq!(redactor.text("%C3%A9-s%c3%a9cr%C3%A9t"), REDACTED);
        assert_eq!(redactor.text(r"\u00e9-s\u00E9cr\u00e9t"), REDACTED);
    }

    #[test]
    fn redacts_deep_inside_values() {
        let redactor = Redactor::new(["tok-SECRET".to_string(), "987654".to_string()]);
        let value = json!({
            "echo": { "headers": ["Bearer tok-SECRET"], "tok-SECRET": 1, "[REDACTED]": 2 },
            "pin": 987654,
            "n": 12,
        });
        assert_eq!(
            redactor.value(value),
            json!({
                "echo": { "headers": ["Bearer [REDACTED]"], "[REDACTED]": 2, "[REDACTED] (2)": 1 },
                "pin": "[REDACTED]",
                "n": 12,
            })
        );
    }

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(cut("éé", 3).as_deref(), Some("é… [truncated 2 bytes]"));
        assert_eq!(cut("abc", 3), None);
    }
}
