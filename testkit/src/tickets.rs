//! A ticket API and the connector for it, for the tests of running recipes: the connector's
//! trigger lists tickets newer than its cursor, its actions look one up, notify a channel, or
//! call an endpoint that is down.

use serde_json::{Value, json};

use crate::{Mock, Reply};

/// The host the connector declares; a test sends it to its [`Mock`].
pub const HOST: &str = "tickets.example.com";

/// Tickets with an id above the cursor are new; the cursor is the highest id seen. `fail`
/// answers with whatever status the API gives `/outage`.
pub const SOURCE: &str = r#"export default {
  title: "Tickets",
  description: "A ticket desk",
  allowed_hosts: ["tickets.example.com"],
  connection: {
    fields: [ { name: "api_key", control_type: "password" } ],
    authorization: { type: "api_key", header: "X-Api-Key", value: (c) => c.api_key },
    base_uri: (c) => "https://tickets.example.com",
  },
  actions: {
    enrich: {
      title: "Look up a ticket",
      input_fields: [ { name: "id", type: "integer" } ],
      execute: (c, input) => get(`/tickets/${input.id}`),
    },
    notify: {
      title: "Notify the channel",
      input_fields: [ { name: "text" } ],
      execute: (c, input) => post("/notify", { text: input.text }),
    },
    fail: {
      title: "Call the flaky endpoint",
      execute: (c, input) => get("/outage"),
    },
    nul: {
      title: "Answer a text no database stores",
      execute: (c, input) => ({ text: "a\u0000b" }),
    },
  },
  triggers: {
    new_ticket: {
      title: "New ticket",
      poll: (c, input, cursor) => {
        const after = cursor ?? 0;
        const found = get("/tickets", { queue: input.queue });
        const fresh = found.tickets.filter((t) => t.id > after);
        return { events: fresh, cursor: fresh.reduce((m, t) => Math.max(m, t.id), after) };
      },
      dedup: (ticket) => `${ticket.id}`,
    },
  },
};
"#;

/// Tickets 1..=n, as the API lists them.
pub fn tickets(n: i64) -> Value {
    let list: Vec<Value> = (1..=n)
        .map(|id| json!({ "id": id, "title": format!("Ticket {id}") }))
        .collect();
    json!({ "tickets": list })
}

/// The API: `n` tickets listed, each ticket's details, the notify endpoint, and an outage.
pub fn routes(mock: &Mock, n: i64) {
    mock.route("GET", "/tickets", Reply::Json(200, tickets(n)));
    for id in 1..=10 {
        let priority = if id % 2 == 0 { "high" } else { "low" };
        mock.route(
            "GET",
            &format!("/tickets/{id}"),
            Reply::Json(200, json!({ "id": id, "priority": priority })),
        );
    }
    mock.route("POST", "/notify", Reply::Json(200, json!({ "sent": true })));
    mock.route(
        "GET",
        "/outage",
        Reply::Json(503, json!({ "error": "down" })),
    );
}
