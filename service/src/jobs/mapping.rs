//! A step's input mapping: values in a step's `input` may take data from the trigger's event
//! and from earlier steps' outputs.
//!
//! A string that is exactly one reference, `"{{ trigger.issue.id }}"`, becomes the value found
//! there, whatever its JSON type; references inside a longer string,
//! `"New issue: {{ trigger.title }}"`, are replaced by the value's text (a string as is, anything
//! else as JSON). A path is `trigger` or `steps.N` (N counting from 0, only steps before this
//! one) followed by object keys or array indexes, dot-separated. A path that finds nothing gives
//! `null` (or the empty text inside a string).

use serde_json::Value;

/// Where a reference may read: the trigger's event, then each earlier step's output.
pub struct Scope<'a> {
    pub trigger: &'a Value,
    pub steps: &'a [Value],
}

/// What is wrong with a reference; `step` is the referring step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("`{{{{ {reference} }}}}` does not start with `trigger` or `steps.N`")]
    UnknownRoot { reference: String },
    #[error("`{{{{ {reference} }}}}` reads step {target}, which does not run before step {step}")]
    LaterStep {
        reference: String,
        target: usize,
        step: usize,
    },
    #[error("a `{{{{` is not closed by `}}}}`")]
    Unclosed,
}

/// Check every reference in step `step`'s input without data: each must read the trigger or an
/// earlier step.
pub fn check(input: &Value, step: usize) -> Result<(), MappingError> {
    visit_strings(input, &mut |text| {
        for reference in references(text)? {
            root(reference, step)?;
        }
        Ok(())
    })
}

/// `input` with every reference replaced from `scope`; `step` is this step's position.
pub fn resolve(input: &Value, scope: &Scope<'_>, step: usize) -> Result<Value, MappingError> {
    Ok(match input {
        Value::String(text) => resolve_text(text, scope, step)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| resolve(item, scope, step))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| Ok((key.clone(), resolve(value, scope, step)?)))
                .collect::<Result<_, MappingError>>()?,
        ),
        other => other.clone(),
    })
}

fn resolve_text(text: &str, scope: &Scope<'_>, step: usize) -> Result<Value, MappingError> {
    let trimmed = text.trim();
    if let Some(inner) = whole_reference(trimmed) {
        return lookup(inner, scope, step);
    }
    if !text.contains("{{") {
        return Ok(Value::String(text.to_owned()));
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(MappingError::Unclosed)?;
        match lookup(after[..end].trim(), scope, step)? {
            Value::Null => {}
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// The inside of `{{ … }}` when `text` is exactly one reference.
fn whole_reference(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

/// The references inside `text`.
fn references(text: &str) -> Result<Vec<&str>, MappingError> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(MappingError::Unclosed)?;
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(found)
}

/// The path's root and the rest of its segments: the trigger's event, or step N's output.
enum Root {
    Trigger,
    Step(usize),
}

fn root(reference: &str, step: usize) -> Result<(Root, Vec<&str>), MappingError> {
    let mut segments = reference.split('.').map(str::trim);
    let unknown = || MappingError::UnknownRoot {
        reference: reference.to_owned(),
    };
    match segments.next() {
        Some("trigger") => Ok((Root::Trigger, segments.collect())),
        Some("steps") => {
            let target: usize = segments
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(unknown)?;
            if target >= step {
                return Err(MappingError::LaterStep {
                    reference: reference.to_owned(),
                    target,
                    step,
                });
            }
            Ok((Root::Step(target), segments.collect()))
        }
        _ => Err(unknown()),
    }
}

fn lookup(reference: &str, scope: &Scope<'_>, step: usize) -> Result<Value, MappingError> {
    let (root, path) = root(reference, step)?;
    let mut value = match root {
        Root::Trigger => scope.trigger,
        Root::Step(n) => match scope.steps.get(n) {
            Some(output) => output,
            None => return Ok(Value::Null),
        },
    };
    for segment in path {
        let next = match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(found) => value = found,
            None => return Ok(Value::Null),
        }
    }
    Ok(value.clone())
}

fn visit_strings(
    value: &Value,
    visit: &mut impl FnMut(&str) -> Result<(), MappingError>,
) -> Result<(), MappingError> {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().try_for_each(|item| visit_strings(item, visit)),
        Value::Object(map) => map.values().try_for_each(|item| visit_strings(item, visit)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scope<'a>(trigger: &'a Value, steps: &'a [Value]) -> Scope<'a> {
        Scope { trigger, steps }
    }

    #[test]
    fn a_whole_reference_keeps_the_type_and_text_interpolates() {
        let trigger = json!({ "issue": { "id": 7, "labels": ["a", "b"] }, "title": "Hi" });
        let steps = [json!({ "url": "https://x.test/7" })];
        let input = json!({
            "id": "{{ trigger.issue.id }}",
            "labels": "{{trigger.issue.labels}}",
            "first": "{{ trigger.issue.labels.0 }}",
            "text": "Issue {{ trigger.issue.id }}: {{ trigger.title }} at {{ steps.0.url }}",
            "missing": "{{ trigger.nothing.here }}",
            "plain": "no references",
            "nested": [{ "n": "{{ steps.0.url }}" }, 3, null],
        });
        let out = resolve(&input, &scope(&trigger, &steps), 1).expect("resolves");
        assert_eq!(
            out,
            json!({
                "id": 7,
                "labels": ["a", "b"],
                "first": "a",
                "text": "Issue 7: Hi at https://x.test/7",
                "missing": null,
                "plain": "no references",
                "nested": [{ "n": "https://x.test/7" }, 3, null],
            })
        );
    }

    #[test]
    fn a_step_reads_only_the_trigger_and_earlier_steps() {
        assert_eq!(check(&json!({ "a": "{{ steps.0.x }}" }), 1), Ok(()));
        assert!(matches!(
            check(&json!({ "a": "{{ steps.1.x }}" }), 1),
            Err(MappingError::LaterStep {
                target: 1,
                step: 1,
                ..
            })
        ));
        assert!(matches!(
            check(&json!(["{{ env.HOME }}"]), 0),
            Err(MappingError::UnknownRoot { .. })
        ));
        assert!(matches!(
            check(&json!("{{ steps.x }}"), 2),
            Err(MappingError::UnknownRoot { .. })
        ));
        assert_eq!(
            check(&json!("a {{ trigger"), 0),
            Err(MappingError::Unclosed)
        );
        assert_eq!(check(&json!({ "k": [1, true, "plain"] }), 0), Ok(()));
    }
}
