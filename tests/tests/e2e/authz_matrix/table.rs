//! The checked-in table: its rows, its coverage of the served schema, and what a cell answered.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tests::{TestApp, error_code};

use super::operations::Op;
use super::{ACTORS, OUTCOMES};

const SCHEMA_FIELDS: &str = r#"{ __schema {
  queryType { fields { name } }
  mutationType { fields { name } }
  types { name fields { name } }
} }"#;

/// One row of the table.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) line: usize,
    pub(super) operation: String,
    pub(super) actor: String,
    pub(super) cells: [String; 3],
}

/// Read the table; problems with its shape are returned as mismatches.
pub(super) fn parse_matrix(text: &str, problems: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let words: Vec<&str> = content.split_whitespace().collect();
        let [operation, actor, own, foreign, missing] = words.as_slice() else {
            problems.push(format!(
                "matrix.txt:{line}: expected 5 columns (operation actor own foreign missing), found {}",
                words.len()
            ));
            continue;
        };
        if !ACTORS.contains(actor) {
            problems.push(format!("matrix.txt:{line}: unknown actor {actor:?}"));
            continue;
        }
        let cells = [own.to_string(), foreign.to_string(), missing.to_string()];
        if let Some(bad) = cells.iter().find(|c| !OUTCOMES.contains(&c.as_str())) {
            problems.push(format!(
                "matrix.txt:{line}: unknown outcome {bad:?} (use one of {})",
                OUTCOMES.join(", ")
            ));
            continue;
        }
        rows.push(Row {
            line,
            operation: operation.to_string(),
            actor: actor.to_string(),
            cells,
        });
    }
    rows
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

/// The table against the served schema: every mutation has rows, every operation exists, every
/// operation names each actor once and has a runner here.
pub(super) async fn check_coverage(
    app: &TestApp,
    rows: &[Row],
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let schema = app.data(None, SCHEMA_FIELDS, json!({})).await?;
    let schema = &schema["__schema"];
    let mutations = names(&schema["mutationType"]["fields"]);
    let queries = names(&schema["queryType"]["fields"]);
    let mut type_fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ty in schema["types"].as_array().into_iter().flatten() {
        if let Some(name) = ty["name"].as_str() {
            type_fields.insert(name.to_owned(), names(&ty["fields"]));
        }
    }
    anyhow::ensure!(
        !mutations.is_empty(),
        "introspection found no mutation fields: {schema}"
    );

    let mut actors_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in rows {
        actors_of
            .entry(&row.operation)
            .or_default()
            .push(&row.actor);
    }
    for mutation in &mutations {
        if !actors_of.contains_key(mutation.as_str()) {
            problems.push(format!(
                "schema: mutation {mutation} has no row in matrix.txt"
            ));
        }
    }
    for (operation, actors) in &actors_of {
        // `op(variant)` is another case of `op`: an escalation path of the same mutation.
        let base = operation.split('(').next().unwrap_or(operation);
        let exists = match base.split_once('.') {
            Some((ty, field)) => type_fields.get(ty).is_some_and(|f| f.contains(field)),
            None => mutations.contains(base) || queries.contains(base),
        };
        if !exists {
            problems.push(format!(
                "matrix.txt names {operation}, which the schema lacks"
            ));
        }
        if Op::from_name(operation).is_none() {
            problems.push(format!(
                "matrix.txt names {operation}, which this test cannot run"
            ));
        }
        for actor in ACTORS {
            match actors.iter().filter(|a| **a == actor).count() {
                1 => {}
                0 => problems.push(format!("matrix.txt: {operation} has no row for {actor}")),
                n => problems.push(format!("matrix.txt: {operation} has {n} rows for {actor}")),
            }
        }
    }
    Ok(())
}

/// The outcome of one cell: `ok`, an error code, or a description of anything else.
pub(super) fn outcome(op: Op, body: &Value) -> String {
    if let Some(errors) = body.get("errors") {
        return match error_code(body) {
            Some(code) => code.to_owned(),
            None => format!("an error without a code: {errors}"),
        };
    }
    if let Some(path) = op.read_path() {
        let mut value = &body["data"];
        for key in path {
            value = &value[*key];
        }
        return if value.is_null() {
            "NOT_FOUND".to_owned()
        } else {
            "ok".to_owned()
        };
    }
    // `op(case)` answers under the field `op`.
    let field = op.name().split('(').next().unwrap_or_default();
    let payload = &body["data"][field];
    if payload.is_null() {
        return format!("no payload: {body}");
    }
    match payload["userErrors"].as_array() {
        Some(errors) if !errors.is_empty() => {
            format!("userErrors {}", Value::Array(errors.clone()))
        }
        // A debugger run that was allowed but failed did not do what the cell is about.
        _ if payload["run"]["ok"] == false => format!("a failed run: {}", payload["run"]),
        // An import cell applies its package (dryRun false); a plan alone is not what it is about.
        _ if op == Op::ImportPackage && payload["applied"] != true => {
            format!("an import not applied: {payload}")
        }
        _ => "ok".to_owned(),
    }
}
