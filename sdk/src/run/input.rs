//! Checks an action's or trigger's input against its declared `input_fields` before any of the
//! connector's code runs.

use serde_json::Value;

use super::RunError;
use crate::Field;

/// Required fields must be present (not missing and not `null`), and every present field must
/// have its declared type; fields the connector does not declare pass through unchecked.
pub(crate) fn check(fields: &[Field], input: &Value) -> Result<(), RunError> {
    match input {
        Value::Object(_) => object(fields, input, ""),
        other => Err(invalid(
            "",
            format!("the input must be an object, not {}", kind(other)),
        )),
    }
}

fn object(fields: &[Field], value: &Value, path: &str) -> Result<(), RunError> {
    for field in fields {
        let field_path = if path.is_empty() {
            field.name.clone()
        } else {
            format!("{path}.{}", field.name)
        };
        match value.get(&field.name) {
            None | Some(Value::Null) if field.optional => {}
            None | Some(Value::Null) => {
                return Err(invalid(&field_path, "is required".into()));
            }
            Some(value) => typed(field, value, &field_path)?,
        }
    }
    Ok(())
}

fn typed(field: &Field, value: &Value, path: &str) -> Result<(), RunError> {
    let ok = match field.field_type.as_str() {
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|n| n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        // string, date, date_time
        _ => value.is_string(),
    };
    if !ok {
        return Err(invalid(
            path,
            format!(
                "expected {}, found {}",
                expected(&field.field_type),
                kind(value)
            ),
        ));
    }
    if field.properties.is_empty() {
        return Ok(());
    }
    match value {
        Value::Object(_) => object(&field.properties, value, path),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{index}]");
                match item {
                    Value::Object(_) => object(&field.properties, item, &item_path)?,
                    other => {
                        return Err(invalid(
                            &item_path,
                            format!("expected an object, found {}", kind(other)),
                        ));
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn invalid(field: &str, message: String) -> RunError {
    RunError::InvalidInput {
        field: field.to_string(),
        message,
    }
}

fn expected(field_type: &str) -> &'static str {
    match field_type {
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "true or false",
        "object" => "an object",
        "array" => "an array",
        "date" => "a date string",
        "date_time" => "a date-time string",
        _ => "a string",
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
