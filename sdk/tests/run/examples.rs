//! Every example connector's newest version: connection test, every action, every trigger and
//! every pick list, against a local mock that stands in for the real API.

use base64::Engine as _;
use serde_json::{Value, json};

use super::harness::{Harness, report_of, reports_of};
use sdk::{Invocation, REDACTED};
use testkit::Reply;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[test]
fn acme_erp() {
    let h = Harness::new("acme-erp", "/v3/tenants/t-4821");
    let reports = h.run_everything(&[("create_sales_order", "RUNTIME", "needs at least one line")]);
    let received = h.received();
    // api_key authorization: the declared header carries the key on every request.
    assert!(
        received
            .iter()
            .all(|r| r.header("x-acme-api-key") == Some("acme_live_test"))
    );
    let customer = report_of(&reports, "get_customer");
    let entry = &customer.trace[0];
    assert_eq!(entry.method, "GET");
    assert_eq!(
        entry.url,
        "https://api.acme-erp.example/v3/tenants/t-4821/customers/C-10042"
    );
    assert_eq!(entry.status, Some(200));
    assert_eq!(
        header(&entry.request_headers, "X-Acme-Api-Key"),
        Some(REDACTED)
    );
    assert_eq!(
        customer.outcome.as_ref().expect("customer")["balance"],
        json!(1250.4)
    );
    let order = reports_of(&reports, "create_sales_order");
    let body: Value =
        serde_json::from_str(order[0].trace[0].request_body.as_deref().expect("body"))
            .expect("json");
    assert_eq!(
        body["lines"][0],
        json!({ "sku": "BOLT-M8", "quantity": 2.5, "unit_price": 0.12 })
    );
    let error = order[1].outcome.as_ref().expect_err("no lines");
    assert!(error.position().is_some(), "{error}");
    assert!(order[1].trace.is_empty());
    // The trigger's cursor is the newest created_at and goes back as a query parameter.
    let polls = reports_of(&reports, "new_invoice");
    let first = polls[0].outcome.as_ref().expect("poll");
    assert_eq!(first["next_cursor"], json!("2026-02-18T09:30:00Z"));
    assert_eq!(first["events"].as_array().map(Vec::len), Some(2));
    assert!(
        polls[1].trace[0]
            .url
            .contains("created_after=2026-02-18T09%3A30%3A00Z")
    );
    let warehouses = report_of(&reports, "warehouses");
    assert_eq!(
        warehouses.outcome.as_ref().expect("warehouses")[0],
        json!(["Berlin (BER1)", "BER1"])
    );
}

#[test]
fn dropbox() {
    let h = Harness::new("dropbox", "/2");
    let reports = h.run_everything(&[]);
    let received = h.received();
    assert!(
        received
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sl.test"))
    );
    let sent = received
        .iter()
        .find(|r| r.path() == "/2/files/upload")
        .expect("upload");
    assert_eq!(sent.header("host"), Some("content.dropboxapi.com"));
    assert_eq!(sent.body, "id,total\n1,19.99\n");
    // list_folder follows has_more into list_folder/continue.
    let list = report_of(&reports, "list_folder");
    assert_eq!(list.trace.len(), 2);
    assert_eq!(
        list.trace[1].url,
        "https://api.dropboxapi.com/2/files/list_folder/continue"
    );
    let entries = &list.outcome.as_ref().expect("list")["entries"];
    assert_eq!(entries[0]["tag"], json!("folder"));
    // The upload posts the raw text to the content host with its argument in the query.
    let upload = report_of(&reports, "upload_text_file");
    let entry = &upload.trace[0];
    assert!(
        entry
            .url
            .starts_with("https://content.dropboxapi.com/2/files/upload?arg=%7B%22"),
        "{}",
        entry.url
    );
    assert_eq!(entry.request_body.as_deref(), Some("id,total\n1,19.99\n"));
    assert_eq!(
        header(&entry.request_headers, "content-type"),
        Some("application/octet-stream")
    );
    // The first poll only fetches the latest cursor; the second lists files, deduplicated.
    let polls = reports_of(&reports, "new_file");
    assert_eq!(
        polls[0].outcome.as_ref().expect("poll"),
        &json!({ "events": [], "next_cursor": "AAFirst" })
    );
    let events = &polls[1].outcome.as_ref().expect("poll")["events"];
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events}");
}

#[test]
fn dropbox_catches_409_and_reuses_the_existing_link() {
    let h = Harness::new("dropbox", "/2");
    h.mock.route(
        "POST",
        "/2/sharing/create_shared_link_with_settings",
        Reply::Json(409, json!({ "error_summary": "shared_link_already_exists/..", "error": { ".tag": "shared_link_already_exists" } })),
    );
    h.mock.route(
        "POST",
        "/2/sharing/list_shared_links",
        Reply::Json(200, json!({ "links": [{ "url": "https://www.dropbox.com/scl/fi/old", "name": "orders.csv" }] })),
    );
    let report = h.run(Invocation::Action {
        name: "create_shared_link".into(),
        input: json!({ "path": "/Exports/orders.csv" }),
    });
    assert_eq!(
        report.outcome.as_ref().expect("caught")["url"],
        json!("https://www.dropbox.com/scl/fi/old")
    );
    assert_eq!(
        report.trace.iter().map(|e| e.status).collect::<Vec<_>>(),
        [Some(409), Some(200)]
    );

    // With no existing link the script rethrows the HTTP error, which keeps its code and status.
    h.mock.route(
        "POST",
        "/2/sharing/list_shared_links",
        Reply::Json(200, json!({ "links": [] })),
    );
    let report = h.run(Invocation::Action {
        name: "create_shared_link".into(),
        input: json!({ "path": "/Exports/orders.csv" }),
    });
    let error = report.outcome.expect_err("rethrown");
    assert_eq!(error.code(), "HTTP");
    assert_eq!(error.status(), Some(409));
    assert!(
        error.to_string().contains("shared_link_already_exists"),
        "{error}"
    );
}

#[test]
fn github_issues() {
    let h = Harness::new("github-issues", "");
    let reports = h.run_everything(&[]);
    let received = h.received();
    // custom authorization: every header the function returns is sent.
    assert!(
        received
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer ghp_test")
                && r.header("x-github-api-version") == Some("2022-11-28"))
    );
    let create = report_of(&reports, "create_issue");
    assert_eq!(create.trace[0].method, "POST");
    assert_eq!(
        create.trace[0].url,
        "https://api.github.com/repos/octo-labs/patchbay/issues"
    );
    let update = report_of(&reports, "update_issue");
    assert_eq!(update.trace[0].method, "PATCH");
    let polls = reports_of(&reports, "new_issue");
    let events = polls[0].outcome.as_ref().expect("poll")["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        events
            .iter()
            .all(|issue| issue.get("pull_request").is_none())
    );
    assert!(polls[0].trace[0].url.contains("per_page=50"));
}

#[test]
fn http_json() {
    let h = Harness::new("http-json", "");
    let reports = h.run_everything(&[]);
    let received = h.received();
    assert!(
        received
            .iter()
            .all(|r| r.header("x-api-key") == Some("k-123"))
    );
    let get = reports_of(&reports, "get_json");
    assert_eq!(
        get[0].trace[0].url,
        "https://httpbin.org/get?page=2&q=a%20b"
    );
    assert_eq!(get[1].trace[0].url, "https://httpbin.org/json");
    // The API key header is a secret connection value: redacted in the trace.
    assert_eq!(
        header(&get[0].trace[0].request_headers, "x-api-key"),
        Some(REDACTED)
    );
    let delete = report_of(&reports, "delete_resource");
    assert_eq!(delete.trace[0].method, "DELETE");
    assert_eq!(delete.trace[0].request_body, None);
}

#[test]
fn hubspot() {
    let h = Harness::new("hubspot", "");
    let reports = h.run_everything(&[]);
    h.received();
    // The association is a PUT without a body.
    let associate = report_of(&reports, "associate_contact_with_company");
    assert_eq!(associate.trace[0].method, "PUT");
    assert_eq!(associate.trace[0].request_body, None);
    let stages = report_of(&reports, "deal_stages");
    assert!(!stages.trace.is_empty());
}

#[test]
fn open_meteo() {
    let h = Harness::new("open-meteo", "");
    let reports = h.run_everything(&[]);
    let received = h.received();
    // No authorization at all.
    assert!(received.iter().all(|r| r.header("authorization").is_none()));
    let search = report_of(&reports, "search_location");
    assert!(
        search.trace[0]
            .url
            .starts_with("https://geocoding-api.open-meteo.com/v1/search?")
    );
    let air = report_of(&reports, "get_air_quality");
    assert!(
        air.trace[0]
            .url
            .starts_with("https://air-quality-api.open-meteo.com/v1/air-quality?")
    );
    let current = report_of(&reports, "get_current_weather");
    assert!(
        current.outcome.as_ref().expect("weather")["current"]["weather_description"].is_string()
    );
}

#[test]
fn sendgrid() {
    let h = Harness::new("sendgrid", "/v3");
    let reports = h.run_everything(&[]);
    h.received();
    // /mail/send answers with an empty body: the helper returns `null` and the action goes on.
    let send = reports_of(&reports, "send_email");
    assert_eq!(
        send[0].outcome.as_ref().expect("sent"),
        &json!({ "status": "queued", "recipients": 2 })
    );
    assert_eq!(send[0].trace[0].response_body.as_deref(), Some(""));
    let polls = reports_of(&reports, "new_bounce");
    let events = polls[0].outcome.as_ref().expect("poll")["events"].clone();
    assert_eq!(events[0]["email"], json!("nobody@example.com"));
}

#[test]
fn slack() {
    let h = Harness::new("slack", "/api");
    let reports = h.run_everything(&[]);
    h.received();
    let polls = reports_of(&reports, "new_message");
    let events = polls[0].outcome.as_ref().expect("poll")["events"].clone();
    // Joins and bot messages are skipped; oldest first.
    let texts: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["first", "third"]);
}

#[test]
fn stripe() {
    let h = Harness::new("stripe", "");
    let reports = h.run_everything(&[("create_payment_intent", "INVALID_INPUT", "amount")]);
    let received = h.received();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("sk_test_123:")
    );
    assert!(
        received
            .iter()
            .all(|r| r.header("authorization") == Some(basic.as_str()))
    );
    // Stripe gets JSON bodies.
    let customer = report_of(&reports, "create_customer");
    assert_eq!(
        header(&customer.trace[0].request_headers, "content-type"),
        Some("application/json")
    );
    let body: Value =
        serde_json::from_str(customer.trace[0].request_body.as_deref().expect("body"))
            .expect("json");
    assert_eq!(body["metadata"], json!({ "crm_id": "512" }));
    // The charges trigger sends created[gte] once it has a cursor, and dedups by id.
    let polls = reports_of(&reports, "new_charge");
    assert!(
        polls[1].trace[0]
            .url
            .contains("created%5Bgte%5D=1748900200"),
        "{}",
        polls[1].trace[0].url
    );
    let events = polls[0].outcome.as_ref().expect("poll")["events"].clone();
    assert_eq!(events.as_array().map(Vec::len), Some(2));
}
