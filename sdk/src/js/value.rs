//! Moving values between QuickJS and Rust: the definition into the validator's [`Item`], and
//! data to and from JSON (inputs, outputs, request bodies and responses).

use std::collections::BTreeMap;

use rquickjs::{Ctx, Value};

use super::sandbox::Failure;
use crate::validate::Item;

/// How deeply the definition may nest. Fields nest at most 16 levels (an object and an array
/// each), so a real definition stays far below this; a cyclic one reaches it.
const MAX_DEFINITION_DEPTH: usize = 64;
/// Most values (maps, arrays and the values in them) a definition may hold.
const MAX_DEFINITION_VALUES: usize = 100_000;

/// A copy of the definition for the validator. Reading properties may run getters, which run
/// under the sandbox's limits like any other script code.
pub(crate) fn item(value: &Value<'_>) -> Result<Item, Failure> {
    let mut budget = MAX_DEFINITION_VALUES;
    copy(value, 0, &mut budget)
}

fn copy(value: &Value<'_>, depth: usize, budget: &mut usize) -> Result<Item, Failure> {
    if depth > MAX_DEFINITION_DEPTH {
        return Err(limit(format!(
            "the definition nests more than {MAX_DEFINITION_DEPTH} levels deep (is it cyclic?)"
        )));
    }
    if *budget == 0 {
        return Err(limit(format!(
            "the definition holds more than {MAX_DEFINITION_VALUES} values"
        )));
    }
    *budget -= 1;
    if value.is_undefined() || value.is_null() {
        return Ok(Item::Nothing);
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Item::Bool(flag));
    }
    if let Some(number) = value.as_int() {
        return Ok(Item::Integer(i64::from(number)));
    }
    if let Some(number) = value.as_float() {
        return Ok(Item::Number(number));
    }
    if let Some(text) = value.as_string() {
        return text.to_string().map(Item::Text).map_err(internal);
    }
    if value.is_function() {
        return Ok(Item::Function);
    }
    if let Some(array) = value.as_array() {
        let mut items = Vec::with_capacity(array.len().min(1024));
        for element in array.iter::<Value>() {
            items.push(copy(&element.map_err(internal)?, depth + 1, budget)?);
        }
        return Ok(Item::List(items));
    }
    if let Some(object) = value.as_object() {
        let mut entries = BTreeMap::new();
        for entry in object.props::<String, Value>() {
            let (key, item) = entry.map_err(internal)?;
            entries.insert(key, copy(&item, depth + 1, budget)?);
        }
        return Ok(Item::Map(entries));
    }
    Ok(Item::Other(value.type_name().to_string()))
}

fn limit(message: String) -> Failure {
    Failure::Limit {
        message,
        position: None,
    }
}

fn internal(error: rquickjs::Error) -> Failure {
    Failure::Internal(format!("could not read the definition: {error}"))
}

/// A JSON value as a JavaScript value.
pub(crate) fn from_json<'js>(
    ctx: &Ctx<'js>,
    json: &serde_json::Value,
) -> rquickjs::Result<Value<'js>> {
    ctx.json_parse(json.to_string())
}

/// A JavaScript value as JSON, by `JSON.stringify`'s rules: `undefined` and functions are left
/// out of objects (and are `null` as a whole), `NaN` and infinities are `null`, a BigInt or a
/// cycle is an error.
pub(crate) fn to_json<'js>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
) -> rquickjs::Result<serde_json::Value> {
    let Some(text) = ctx.json_stringify(value)? else {
        return Ok(serde_json::Value::Null);
    };
    serde_json::from_str(&text.to_string()?).map_err(|error| rquickjs::Error::IntoJs {
        from: "JSON text",
        to: "JSON value",
        message: Some(error.to_string()),
    })
}
