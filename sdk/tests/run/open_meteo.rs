//! The Open-Meteo example's newest version declares exactly what version 2.1.0 did when it was
//! first written, and answers every operation with the same output and the same requests against
//! the same mock. `tests/fixtures/open-meteo-2.1.0.golden.json` recorded that first
//! implementation: its capabilities, and for each invocation its output and its requests
//! (method, URL, status).

use serde::Deserialize;
use serde_json::Value;

use super::harness::Harness;
use sdk::{Capabilities, Invocation};
use testkit::examples::newest_source;

/// What the golden file holds.
#[derive(Debug, Deserialize)]
struct Golden {
    capabilities: Capabilities,
    runs: Vec<GoldenRun>,
}

#[derive(Debug, Deserialize)]
struct GoldenRun {
    invocation: Invocation,
    output: Value,
    requests: Vec<(String, String, Option<u16>)>,
}

fn golden() -> Golden {
    serde_json::from_str(include_str!("../fixtures/open-meteo-2.1.0.golden.json"))
        .expect("the golden file")
}

/// Equal as JSON, numbers compared by value: JavaScript has one number type, so a `38.0` the
/// mock sends (and the golden file recorded) comes back as `38`.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| same_json(value, other)))
        }
        _ => a == b,
    }
}

#[test]
fn same_json_compares_numbers_by_value_and_nothing_else() {
    let (a, b) = (
        serde_json::json!({ "t": [38.0, "x"] }),
        serde_json::json!({ "t": [38, "x"] }),
    );
    assert!(same_json(&a, &b));
    assert!(!same_json(&a, &serde_json::json!({ "t": [38.5, "x"] })));
    assert!(!same_json(&a, &serde_json::json!({ "t": [38, "y"] })));
    assert!(!same_json(
        &a,
        &serde_json::json!({ "t": [38, "x"], "u": 1 })
    ));
}

#[test]
fn the_newest_version_declares_the_same_capabilities() {
    let source = newest_source("open-meteo").expect("example source");
    let capabilities = sdk::parse(&source).expect("parses");
    assert_eq!(capabilities, golden().capabilities);
}

/// Every invocation the harness would make: the connection test, every action with every
/// fixture input, every trigger without and with a cursor, every pick list.
fn every_invocation(h: &Harness) -> Vec<Invocation> {
    let mut invocations = vec![Invocation::TestConnection];
    for action in &h.capabilities.actions {
        for input in h.inputs(&action.name) {
            invocations.push(Invocation::Action {
                name: action.name.clone(),
                input,
            });
        }
    }
    for trigger in &h.capabilities.triggers {
        let input = h.inputs(&trigger.name).remove(0);
        invocations.push(Invocation::Trigger {
            name: trigger.name.clone(),
            input: input.clone(),
            cursor: None,
        });
        invocations.push(Invocation::Trigger {
            name: trigger.name.clone(),
            input,
            cursor: Some(Value::String("2026-02-10".into())),
        });
    }
    for pick_list in &h.capabilities.pick_lists {
        invocations.push(Invocation::PickList {
            name: pick_list.clone(),
        });
    }
    invocations
}

#[test]
fn every_operation_gives_the_recorded_output_and_requests() {
    let h = Harness::new("open-meteo", "");
    let golden = golden();
    let invocations = every_invocation(&h);
    assert!(invocations.len() > 8, "{invocations:?}");
    // The golden file covers exactly these invocations, no more and no fewer.
    let recorded: Vec<&Invocation> = golden.runs.iter().map(|run| &run.invocation).collect();
    assert_eq!(recorded, invocations.iter().collect::<Vec<_>>());
    for expected in &golden.runs {
        let invocation = &expected.invocation;
        let report = h.run(invocation.clone());
        let output = report
            .outcome
            .as_ref()
            .unwrap_or_else(|error| panic!("{invocation:?}: {error} ({})", error.code()));
        assert!(
            same_json(output, &expected.output),
            "{invocation:?}\n  now:      {output}\n  recorded: {}",
            expected.output
        );
        let requests: Vec<(String, String, Option<u16>)> = report
            .trace
            .iter()
            .map(|entry| (entry.method.clone(), entry.url.clone(), entry.status))
            .collect();
        assert_eq!(requests, expected.requests, "{invocation:?}");
    }
}

#[test]
fn the_frost_warning_fires_for_the_cold_days_once_each() {
    let h = Harness::new("open-meteo", "");
    let report = h.run(Invocation::Trigger {
        name: "frost_warning".into(),
        input: serde_json::json!({ "latitude": 52.52, "longitude": 13.41 }),
        cursor: None,
    });
    let output = report.outcome.expect("polls");
    let dates: Vec<&str> = output["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["date"].as_str())
        .collect();
    assert_eq!(dates, ["2026-02-10", "2026-02-11"]);
    assert_eq!(output["next_cursor"], "2026-02-10");
}
