//! Hides the values of secret connection fields wherever they could show: URLs, headers, bodies,
//! logs and error messages.

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Header whose values are hidden whatever they contain.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

#[derive(Debug, Clone, Default)]
pub(crate) struct Redactor {
    /// Each secret as written, percent-encoded and JSON-escaped; longest first.
    needles: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut needles = Vec::new();
        for secret in secrets {
            if secret.is_empty() {
                continue;
            }
            let json = serde_json::to_string(&secret).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            for needle in [percent_encode(&secret), form_encode(&secret), json, secret] {
                if !needle.is_empty() && !needles.contains(&needle) {
                    needles.push(needle);
                }
            }
        }
        needles.sort_by_key(|needle| std::cmp::Reverse(needle.len()));
        Self { needles }
    }

    /// Adds more secrets, such as values derived from the connection by its authorization.
    pub(crate) fn extend(&mut self, secrets: impl IntoIterator<Item = String>) {
        let mut needles = std::mem::take(&mut self.needles);
        needles.extend(Self::new(secrets).needles);
        needles.sort_by_key(|needle| std::cmp::Reverse(needle.len()));
        needles.dedup();
        self.needles = needles;
    }

    pub(crate) fn text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for needle in &self.needles {
            if text.contains(needle.as_str()) {
                text = text.replace(needle.as_str(), REDACTED);
            }
        }
        text
    }

    pub(crate) fn headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    REDACTED.to_string()
                } else {
                    self.text(value)
                };
                (name.clone(), value)
            })
            .collect()
    }

    /// A body for the trace: redacted, and cut to `limit` bytes (on a character boundary).
    pub(crate) fn body(&self, body: &[u8], limit: usize) -> String {
        let text = self.text(&String::from_utf8_lossy(body));
        truncate(text, limit)
    }
}

pub(crate) fn truncate(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let total = text.len();
        text.truncate(end);
        text.push_str(&format!("… [{} more bytes]", total - end));
    }
    text
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

fn form_encode(text: &str) -> String {
    percent_encode(text).replace("%20", "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_secrets_in_every_spelling() {
        let redactor = Redactor::new(["s3cr et/\"x".to_string(), String::new()]);
        assert_eq!(redactor.text("a s3cr et/\"x b"), "a [REDACTED] b");
        assert_eq!(redactor.text("?k=s3cr%20et%2F%22x"), "?k=[REDACTED]");
        assert_eq!(
            redactor.text(r#"{"k":"s3cr et/\"x"}"#),
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
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("éé".into(), 3), "é… [2 more bytes]");
        assert_eq!(truncate("abc".into(), 3), "abc");
    }
}
