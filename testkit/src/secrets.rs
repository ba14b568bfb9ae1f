//! How a secret can come back from an API: the spellings a redaction test looks for.

/// Every spelling of `secret` an API could send it back in: as is, percent-encoded (upper and
/// lower case, and with `+` for a space, as a form does) and JSON-escaped. Base64 is the caller's:
/// which bytes an API encodes depends on the authorization.
pub fn spellings(secret: &str) -> Vec<String> {
    let percent = |upper: bool| -> String {
        secret
            .bytes()
            .map(|b| match (b.is_ascii_alphanumeric(), upper) {
                (true, _) => char::from(b).to_string(),
                (false, true) => format!("%{b:02X}"),
                (false, false) => format!("%{b:02x}"),
            })
            .collect()
    };
    let escaped = serde_json::to_string(secret).unwrap_or_default();
    vec![
        secret.to_owned(),
        percent(true),
        percent(false),
        percent(true).replace("%20", "+"),
        escaped.trim_matches('"').to_owned(),
    ]
}
