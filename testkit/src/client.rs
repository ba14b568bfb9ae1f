//! A client of a running Patchbay server: its base URL and an HTTP client, with the requests the
//! tests make of it (GraphQL over HTTP, the statement counter of `/metrics`, graphql-ws).

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::ws::WsClient;

/// A server's address and an HTTP client for it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://<addr>`, without a trailing slash.
    pub base_url: String,
    pub client: reqwest::Client,
}

impl Endpoint {
    /// A client of the server at `base_url` (`http://127.0.0.1:<port>`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            client: reqwest::Client::new(),
        }
    }

    /// POST a GraphQL operation, with `token` as a bearer token if given; returns the HTTP
    /// status and the JSON body.
    pub async fn graphql_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await?;
        Ok((status, body))
    }

    /// POST a GraphQL operation and return its JSON body.
    pub async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        Ok(self.graphql_raw(token, query, variables).await?.1)
    }

    /// POST a GraphQL operation that must succeed; returns `data`.
    pub async fn data(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let body = self.graphql(token, query, variables).await?;
        anyhow::ensure!(body.get("errors").is_none(), "unexpected errors: {body}");
        Ok(body["data"].clone())
    }

    /// The server's counter of SQL statements, read from `/metrics` over HTTP.
    pub async fn sql_statements(&self) -> anyhow::Result<u64> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base_url))
            .send()
            .await?
            .text()
            .await?;
        text.lines()
            .find_map(|l| l.strip_prefix("patchbay_db_statements_total "))
            .context("no statement counter in /metrics")?
            .trim()
            .parse()
            .context("statement counter")
    }

    /// Open a graphql-ws connection (`graphql-transport-ws`) to `/graphql/ws`, initialised with
    /// `token` (none: anonymous) and acknowledged by the server.
    pub async fn ws(&self, token: Option<&str>) -> anyhow::Result<WsClient> {
        WsClient::connect(&self.base_url, token).await
    }
}
