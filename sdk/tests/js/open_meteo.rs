//! The Open-Meteo example's newest version, now JavaScript, declares exactly what its Rhai
//! original (kept as `tests/fixtures/open-meteo-2.1.0.rhai` while the SDK reads both) did and
//! answers every operation with the same output against the same mock.

use serde_json::Value;

use super::fixture_source;
use super::harness::Harness;
use sdk::Invocation;

/// Equal as JSON, numbers compared by value: JavaScript has one number type, so a `38.0` the
/// mock sends comes back as `38` from a JavaScript connector and as `38.0` from a Rhai one.
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

/// The Rhai original of the example's newest version.
const RHAI_ORIGINAL: &str = "open-meteo-2.1.0.rhai";

#[test]
fn the_javascript_version_declares_the_same_capabilities() {
    let rhai = sdk::parse(&fixture_source(RHAI_ORIGINAL)).expect("Rhai parses");
    let js_source = super::support::newest_source("open-meteo");
    assert!(sdk::is_javascript(&js_source));
    let js = sdk::parse(&js_source).expect("JavaScript parses");
    assert_eq!(js, rhai);
}

#[test]
fn every_operation_gives_the_same_output_as_the_rhai_version() {
    let h = Harness::new("open-meteo", "");
    let rhai_source = fixture_source(RHAI_ORIGINAL);
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
    assert!(invocations.len() > 8, "{invocations:?}");
    for invocation in invocations {
        let js = h.run(invocation.clone());
        let rhai = sdk::run(&rhai_source, &h.connection(), invocation.clone(), &h.config);
        let rhai_output = rhai.outcome.as_ref().expect("Rhai runs");
        let js_output = js
            .outcome
            .as_ref()
            .unwrap_or_else(|error| panic!("{invocation:?}: {error} ({})", error.code()));
        assert!(
            same_json(js_output, rhai_output),
            "{invocation:?}\n  js:   {js_output}\n  rhai: {rhai_output}"
        );
        let urls = |report: &sdk::RunReport| -> Vec<(String, String, Option<u16>)> {
            report
                .trace
                .iter()
                .map(|entry| (entry.method.clone(), entry.url.clone(), entry.status))
                .collect()
        };
        assert_eq!(urls(&js), urls(&rhai), "{invocation:?}");
    }
}

#[test]
fn the_frost_warning_fires_for_the_cold_days_once_each() {
    let h = Harness::new("open-meteo", "");
    let report = sdk::run(
        &super::support::newest_source("open-meteo"),
        &h.connection(),
        Invocation::Trigger {
            name: "frost_warning".into(),
            input: serde_json::json!({ "latitude": 52.52, "longitude": 13.41 }),
            cursor: None,
        },
        &h.config,
    );
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
