//! A JavaScript trigger polled twice, the second time with the first poll's cursor, its `dedup`
//! dropping repeats within a poll; and a pick list, both through the real HTTP client.

use serde_json::{Value, json};

use crate::support::config_for;
use sdk::{Invocation, RunReport, RuntimeConfig, run};
use testkit::{Mock, Reply};

const SOURCE: &str = r#"export default {
  title: "Polls",
  allowed_hosts: ["api.poll.test"],
  connection: {
    fields: [{ name: "token", control_type: "password" }],
    authorization: { type: "bearer", token: (connection) => connection.token },
    base_uri: "http://api.poll.test",
  },
  triggers: {
    new_items: {
      title: "New items",
      input_fields: [{ name: "list" }],
      poll(connection, input, cursor) {
        const after = cursor === undefined ? 0 : cursor.after;
        const items = get("/lists/" + input.list + "/items", { after, first: cursor === undefined });
        const events = items.filter((item) => item.id > after);
        const newest = events.reduce((max, item) => Math.max(max, item.id), after);
        return { events, cursor: { after: newest, polls: (cursor?.polls ?? 0) + 1 } };
      },
      dedup: (item) => item.id,
    },
    output_shape: {
      title: "The run output's shape",
      poll: (connection, input, cursor) => ({ events: [], next_cursor: 1 }),
    },
  },
  pick_lists: {
    colors: (connection) => get("/colors").map((color) => [color.label, color.id]),
  },
};"#;

fn setup() -> (Mock, RuntimeConfig) {
    let mock = Mock::start().expect("mock");
    mock.route(
        "GET",
        "/lists/inbox/items",
        Reply::Json(
            200,
            json!([{ "id": 1, "t": "a" }, { "id": 2, "t": "b" }, { "id": 2, "t": "b again" }, { "id": 3, "t": "c" }]),
        ),
    )
    .route(
        "GET",
        "/colors",
        Reply::Json(200, json!([{ "id": "r", "label": "Red" }, { "id": "g", "label": "Green" }])),
    );
    let config = config_for(&["api.poll.test".to_string()], &mock);
    (mock, config)
}

fn poll(name: &str, cursor: Option<Value>, config: &RuntimeConfig) -> RunReport {
    run(
        SOURCE,
        &json!({ "token": "tok-POLL-1" }),
        Invocation::Trigger {
            name: name.into(),
            input: json!({ "list": "inbox" }),
            cursor,
        },
        config,
    )
}

#[test]
fn a_trigger_dedups_and_carries_its_cursor_to_the_next_poll() {
    let (mock, config) = setup();
    let first = poll("new_items", None, &config);
    let first = first.outcome.expect("first poll");
    // The second `id: 2` is dropped by `dedup`; the first of the two is kept.
    assert_eq!(
        first,
        json!({
            "events": [{ "id": 1, "t": "a" }, { "id": 2, "t": "b" }, { "id": 3, "t": "c" }],
            "next_cursor": { "after": 3, "polls": 1 },
        })
    );
    // The API now has newer items, one of them twice, and one already seen.
    mock.route(
        "GET",
        "/lists/inbox/items",
        Reply::Json(
            200,
            json!([{ "id": 3, "t": "c" }, { "id": 4, "t": "d" }, { "id": 5, "t": "e" }, { "id": 4, "t": "d" }]),
        ),
    );
    let second = poll("new_items", Some(first["next_cursor"].clone()), &config);
    assert_eq!(
        second.outcome.expect("second poll"),
        json!({
            "events": [{ "id": 4, "t": "d" }, { "id": 5, "t": "e" }],
            "next_cursor": { "after": 5, "polls": 2 },
        })
    );
    let received = mock.requests();
    let queries: Vec<&str> = received.iter().map(|r| r.query()).collect();
    assert_eq!(queries, ["after=0&first=true", "after=3&first=false"]);
    assert!(
        received
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer tok-POLL-1"))
    );
}

/// A poll returns `{ events, cursor }`; a `next_cursor` key (the name the run's output gives the
/// cursor) is refused rather than silently losing the cursor.
#[test]
fn a_poll_returning_next_cursor_is_refused() {
    let (_mock, config) = setup();
    let error = poll("output_shape", None, &config)
        .outcome
        .expect_err("the output's shape");
    assert_eq!(error.code(), "RUNTIME");
    assert!(error.to_string().contains("next_cursor"), "{error}");
}

#[test]
fn a_pick_list_from_the_api() {
    let (mock, config) = setup();
    let report = run(
        SOURCE,
        &json!({ "token": "tok-POLL-1" }),
        Invocation::PickList {
            name: "colors".into(),
        },
        &config,
    );
    assert_eq!(
        report.outcome.expect("pick list"),
        json!([["Red", "r"], ["Green", "g"]])
    );
    assert_eq!(report.trace.len(), 1);
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer tok-POLL-1")
    );
    let unknown = run(
        SOURCE,
        &json!({ "token": "tok-POLL-1" }),
        Invocation::PickList {
            name: "sizes".into(),
        },
        &config,
    );
    assert_eq!(
        unknown.outcome.expect_err("no such pick list").code(),
        "UNKNOWN_PICK_LIST"
    );
}
