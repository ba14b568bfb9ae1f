//! What a redirect does to the request: 301 and 302 turn a POST into a GET without its body,
//! 303 turns any request into one, and 307 and 308 send the same request again.

use serde_json::{Value, json};

use crate::support::config_for;
use sdk::{Invocation, run};
use testkit::{Mock, Reply};

const SOURCE: &str = r#"export default {
  title: "Redirects",
  allowed_hosts: ["api.test"],
  connection: { base_uri: "https://api.test" },
  actions: {
    send: {
      title: "Send",
      input_fields: [{ name: "verb" }, { name: "path" }],
      execute: (connection, input) => globalThis[input.verb](input.path, { n: 1 }),
    },
  },
};"#;

/// `verb` (a helper's name) with a JSON body to a path that redirects with `status`, and the
/// request the echoing mock finally received: its method, `Content-Type` and body.
fn redirected(verb: &str, status: u16) -> (String, Value, String) {
    let mock = Mock::echo().expect("mock");
    let method = verb.to_ascii_uppercase();
    mock.route(&method, "/moved", Reply::Redirect(status, "/final".into()));
    let config = config_for(&["api.test".to_string()], &mock);
    let input = json!({ "verb": verb, "path": "/moved" });
    let report = run(
        SOURCE,
        &json!({}),
        Invocation::Action {
            name: "send".into(),
            input,
        },
        &config,
    );
    let echo = report.outcome.expect("the redirect was followed");
    assert_eq!(echo["target"], "/final", "{verb} {status}: {echo}");
    (
        echo["method"].as_str().unwrap_or_default().to_string(),
        echo["headers"]["content-type"].clone(),
        echo["body"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn a_post_redirected_with_301_or_302_is_sent_again_as_a_get_without_its_body() {
    for status in [301, 302] {
        assert_eq!(
            redirected("post", status),
            ("GET".into(), Value::Null, String::new()),
            "{status}"
        );
    }
}

#[test]
fn any_request_redirected_with_303_is_sent_again_as_a_get_without_its_body() {
    for verb in ["post", "put"] {
        assert_eq!(
            redirected(verb, 303),
            ("GET".into(), Value::Null, String::new()),
            "{verb}"
        );
    }
}

#[test]
fn other_redirects_send_the_same_request_again() {
    let same = |method: &str| {
        (
            method.to_string(),
            json!("application/json"),
            r#"{"n":1}"#.into(),
        )
    };
    for (verb, status) in [
        ("put", 301),
        ("put", 302),
        ("post", 307),
        ("post", 308),
        ("patch", 307),
    ] {
        assert_eq!(
            redirected(verb, status),
            same(&verb.to_ascii_uppercase()),
            "{verb} {status}"
        );
    }
}
