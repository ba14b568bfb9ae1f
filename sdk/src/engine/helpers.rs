//! Small pure functions connectors commonly need: JSON, URI components and base64.
//!
//! Nothing here reads the clock, the environment or the network, so a script's result depends on
//! its inputs alone.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, ImmutableString, Map, Position};
use serde_json::Value;

pub(super) fn register(engine: &mut Engine) {
    engine.register_fn("to_json", |value: Dynamic| to_json(&value));
    // Rhai's own map-only `to_json` would otherwise win for maps: keep one JSON writer.
    engine.register_fn("to_json", |map: Map| to_json(&Dynamic::from_map(map)));
    engine.register_fn("parse_json", |text: ImmutableString| parse_json(&text));
    engine.register_fn("encode_uri_component", |text: ImmutableString| {
        encode_uri_component(&text)
    });
    engine.register_fn("base64_encode", |text: ImmutableString| {
        STANDARD.encode(text.as_bytes())
    });
    engine.register_fn("base64_decode", |text: ImmutableString| {
        base64_decode(&text)
    });
}

type HelperResult<T> = Result<T, Box<EvalAltResult>>;

fn failure(message: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(message.into(), Position::NONE).into()
}

fn to_json(value: &Dynamic) -> HelperResult<String> {
    json_value(value)
        .map(|json| json.to_string())
        .map_err(failure)
}

pub(crate) fn json_value(value: &Dynamic) -> Result<Value, String> {
    let value = value.flatten_clone();
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if let Ok(number) = value.as_int() {
        return Ok(Value::from(number));
    }
    if let Ok(number) = value.as_float() {
        return serde_json::Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| format!("{number} cannot be written as JSON"));
    }
    if let Ok(character) = value.as_char() {
        return Ok(Value::String(character.to_string()));
    }
    if value.is_string() {
        return Ok(Value::String(value.to_string()));
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().map(json_value).collect();
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map
            .iter()
            .map(|(key, item)| Ok((key.to_string(), json_value(item)?)))
            .collect::<Result<serde_json::Map<_, _>, String>>()
            .map(Value::Object);
    }
    Err(format!("a {} cannot be written as JSON", value.type_name()))
}

fn parse_json(text: &str) -> HelperResult<Dynamic> {
    serde_json::from_str::<Value>(text)
        .map(from_json)
        .map_err(|error| failure(format!("invalid JSON: {error}")))
}

pub(crate) fn from_json(json: Value) -> Dynamic {
    match json {
        Value::Null => Dynamic::UNIT,
        Value::Bool(flag) => flag.into(),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => integer.into(),
            None => number.as_f64().unwrap_or(FLOAT::NAN).into(),
        },
        Value::String(text) => text.into(),
        Value::Array(items) => Dynamic::from_array(items.into_iter().map(from_json).collect()),
        Value::Object(entries) => Dynamic::from_map(
            entries
                .into_iter()
                .map(|(key, item)| (key.into(), from_json(item)))
                .collect(),
        ),
    }
}

/// Percent-encodes everything but the characters JavaScript's `encodeURIComponent` keeps.
fn encode_uri_component(text: &str) -> String {
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

fn base64_decode(text: &str) -> HelperResult<String> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|error| failure(format!("invalid base64: {error}")))?;
    String::from_utf8(bytes).map_err(|_| failure("the decoded base64 is not UTF-8 text".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_uri_components_like_javascript() {
        assert_eq!(
            encode_uri_component("a b/c?d=é&x-y_z.~"),
            "a%20b%2Fc%3Fd%3D%C3%A9%26x-y_z.~"
        );
    }

    #[test]
    fn json_round_trips() {
        let parsed = parse_json(r#"{"a":[1,2.5,"x",null,true],"b":{}}"#).expect("valid JSON");
        assert_eq!(
            to_json(&parsed).expect("writable"),
            r#"{"a":[1,2.5,"x",null,true],"b":{}}"#
        );
    }

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_decode("aGk6dGhlcmU=").expect("valid"), "hi:there");
        assert_eq!(STANDARD.encode("hi:there"), "aGk6dGhlcmU=");
    }
}
