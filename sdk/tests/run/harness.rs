//! Runs an example connector against a mock loaded with its fixture, checking on every run what
//! must always hold: declared hosts only, secrets never shown, the Authorization header hidden.

use serde_json::{Value, json};

use super::support::config_for;
use sdk::{Capabilities, Invocation, REDACTED, RunReport, RuntimeConfig};
use testkit::examples::{newest_source, run_fixture};
use testkit::{Mock, Recorded, Reply};

pub struct Harness {
    pub slug: String,
    pub source: String,
    pub capabilities: Capabilities,
    pub fixture: Value,
    pub mock: Mock,
    pub config: RuntimeConfig,
    pub secrets: Vec<String>,
}

impl Harness {
    /// `base_path` is the path of the connector's `base_uri`, which the fixture's relative routes
    /// are under.
    pub fn new(slug: &str, base_path: &str) -> Self {
        let source = newest_source(slug).expect("example source");
        let capabilities = sdk::parse(&source).expect("example parses");
        let fixture = run_fixture(slug).expect("run fixture");
        let mock = Mock::start().expect("mock");
        for route in fixture["routes"].as_array().expect("routes") {
            let method = route[0].as_str().expect("method");
            let path = route[1].as_str().expect("path");
            let status = route.get(3).and_then(Value::as_u64).unwrap_or(200) as u16;
            let reply = Reply::Json(status, route[2].clone());
            match path.strip_prefix("https://") {
                Some(rest) => {
                    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                    mock.route_on(method, Some(host), path, reply);
                }
                None => {
                    mock.route(method, &format!("{base_path}{path}"), reply);
                }
            }
        }
        let config = config_for(&capabilities.allowed_hosts, &mock);
        let secrets = capabilities
            .connection
            .fields
            .iter()
            .filter(|field| field.secret)
            .filter_map(|field| fixture["connection"][&field.name].as_str())
            .filter(|secret| !secret.is_empty())
            .map(str::to_string)
            .collect();
        Self {
            slug: slug.into(),
            source,
            capabilities,
            fixture,
            mock,
            config,
            secrets,
        }
    }

    pub fn connection(&self) -> Value {
        self.fixture["connection"].clone()
    }

    /// The fixture's inputs for an operation, as a list.
    pub fn inputs(&self, name: &str) -> Vec<Value> {
        match &self.fixture["inputs"][name] {
            Value::Null => vec![json!({})],
            Value::Array(inputs) => inputs.clone(),
            input => vec![input.clone()],
        }
    }

    pub fn run(&self, invocation: Invocation) -> RunReport {
        let label = format!("{} {invocation:?}", self.slug);
        let report = sdk::run(&self.source, &self.connection(), invocation, &self.config);
        self.check_report(&label, &report);
        report
    }

    fn check_report(&self, label: &str, report: &RunReport) {
        // The output is the API's data and is left alone; everything else is shown to people.
        let shown = serde_json::to_string(&(
            &report.trace,
            &report.logs,
            report.outcome.as_ref().err().map(ToString::to_string),
        ))
        .expect("report serializes");
        for secret in &self.secrets {
            assert!(
                !shown.contains(secret.as_str()),
                "{label}: secret shown in {shown}"
            );
        }
        for entry in &report.trace {
            let host = entry
                .url
                .strip_prefix("https://")
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_else(|| panic!("{label}: not an https URL: {}", entry.url));
            assert!(
                self.capabilities.allowed_hosts.iter().any(|h| h == host),
                "{label}: {host} not declared"
            );
            for (name, value) in &entry.request_headers {
                if name.eq_ignore_ascii_case("authorization") {
                    assert_eq!(value, REDACTED, "{label}");
                }
            }
        }
    }

    /// Requests the mock received since the last call, which clears them.
    pub fn received(&self) -> Vec<Recorded> {
        let requests = self.mock.requests();
        self.mock.clear();
        for request in &requests {
            let host = request.header("host").expect("Host header");
            assert!(
                self.capabilities.allowed_hosts.iter().any(|h| h == host),
                "{}: request with Host {host}",
                self.slug
            );
        }
        requests
    }

    /// Runs the connection test, every action with every fixture input, every trigger twice
    /// (the second time with the first poll's cursor) and every pick list; all must succeed but
    /// for the `expected` failures (operation name, code, message fragment).
    pub fn run_everything(&self, expected: &[(&str, &str, &str)]) -> Vec<(String, RunReport)> {
        let mut reports = Vec::new();
        let report = self.run(Invocation::TestConnection);
        assert!(
            report.outcome.is_ok(),
            "{} test: {:?}",
            self.slug,
            report.outcome
        );
        assert!(
            !report.trace.is_empty(),
            "{} test made no request",
            self.slug
        );
        reports.push(("test".to_string(), report));
        for action in &self.capabilities.actions {
            assert!(
                !self.fixture["inputs"][&action.name].is_null()
                    || action.input_fields.iter().all(|f| f.optional),
                "{}: the fixture has no input for {}",
                self.slug,
                action.name
            );
            for input in self.inputs(&action.name) {
                let report = self.run(Invocation::Action {
                    name: action.name.clone(),
                    input: input.clone(),
                });
                self.expect_ok(&action.name, &input, &report, expected);
                reports.push((action.name.clone(), report));
            }
        }
        for trigger in &self.capabilities.triggers {
            let input = self.inputs(&trigger.name).remove(0);
            let mut cursor = None;
            for _ in 0..2 {
                let report = self.run(Invocation::Trigger {
                    name: trigger.name.clone(),
                    input: input.clone(),
                    cursor: cursor.clone(),
                });
                self.expect_ok(&trigger.name, &input, &report, expected);
                let output = report.outcome.as_ref().expect("poll output");
                assert!(output["events"].is_array(), "{}: {output}", trigger.name);
                cursor = Some(output["next_cursor"].clone()).filter(|c| !c.is_null());
                reports.push((trigger.name.clone(), report));
            }
        }
        for pick_list in &self.capabilities.pick_lists {
            let report = self.run(Invocation::PickList {
                name: pick_list.clone(),
            });
            self.expect_ok(pick_list, &json!(null), &report, expected);
            let items = report.outcome.as_ref().expect("pick list");
            let items = items
                .as_array()
                .unwrap_or_else(|| panic!("{pick_list}: {items}"));
            assert!(!items.is_empty(), "{pick_list}");
            for item in items {
                assert_eq!(
                    item.as_array().map(Vec::len),
                    Some(2),
                    "{pick_list}: {item}"
                );
            }
            reports.push((pick_list.clone(), report));
        }
        reports
    }

    fn expect_ok(
        &self,
        name: &str,
        input: &Value,
        report: &RunReport,
        expected: &[(&str, &str, &str)],
    ) {
        match &report.outcome {
            Ok(_) => {
                for entry in &report.trace {
                    let status = entry.status.unwrap_or(0);
                    assert!(
                        (200..300).contains(&status),
                        "{} {name}: {entry:?}",
                        self.slug
                    );
                }
            }
            Err(error) => {
                let allowed = expected.iter().any(|(op, code, fragment)| {
                    *op == name && error.code() == *code && error.to_string().contains(fragment)
                });
                assert!(
                    allowed,
                    "{} {name} with {input}: {error} ({})",
                    self.slug,
                    error.code()
                );
            }
        }
    }
}

/// The report of the first run of `name` among `reports`.
pub fn report_of<'a>(reports: &'a [(String, RunReport)], name: &str) -> &'a RunReport {
    &reports
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
        .1
}

/// All reports of `name`.
pub fn reports_of<'a>(reports: &'a [(String, RunReport)], name: &str) -> Vec<&'a RunReport> {
    reports
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, r)| r)
        .collect()
}
