//! A graphql-ws client speaking the `graphql-transport-ws` protocol.

use anyhow::Context as _;
use serde_json::{Value, json};

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-ws client speaking the `graphql-transport-ws` protocol.
pub struct WsClient {
    socket: WsStream,
}

impl WsClient {
    /// Connect to `<base_url>/graphql/ws`, send `connection_init` with the token as
    /// `{"authorization": "Bearer …"}` and wait for `connection_ack`.
    pub async fn connect(base_url: &str, token: Option<&str>) -> anyhow::Result<Self> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        use tokio_tungstenite::tungstenite::http::HeaderValue;

        let url = format!("{}/graphql/ws", base_url.replacen("http://", "ws://", 1));
        let mut request = url.as_str().into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        anyhow::ensure!(
            protocol == Some("graphql-transport-ws"),
            "the server chose the protocol {protocol:?}"
        );
        let mut client = Self { socket };
        let payload = match token {
            Some(token) => json!({ "authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        let ack = client
            .next_message(std::time::Duration::from_secs(10))
            .await?;
        anyhow::ensure!(
            ack == json!({ "type": "connection_ack" }),
            "expected connection_ack, got {ack}"
        );
        Ok(client)
    }

    /// Send one protocol message.
    pub async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        use futures_util::SinkExt as _;
        use tokio_tungstenite::tungstenite::Message;
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await?;
        Ok(())
    }

    /// Start the subscription `id`.
    pub async fn subscribe(
        &mut self,
        id: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<()> {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await
    }

    /// The next protocol message within `wait` (pings are answered and skipped); an error when
    /// none arrives in time or the server closes the connection.
    pub async fn next_message(&mut self, wait: std::time::Duration) -> anyhow::Result<Value> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("no graphql-ws message within {wait:?}"))?;
            match next {
                None => anyhow::bail!("the server closed the graphql-ws connection"),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str())?;
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await?;
                        continue;
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    anyhow::bail!("the server closed the graphql-ws connection: {frame:?}")
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Wait up to `wait` for the server to close the connection, skipping the messages before
    /// (a subscription's `complete`, pings); the close code, or an error if it stays open.
    pub async fn close_code(&mut self, wait: std::time::Duration) -> anyhow::Result<Option<u16>> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("the connection was still open after {wait:?}"))?;
            match next {
                None => return Ok(None),
                Some(Ok(Message::Close(frame))) => return Ok(frame.map(|f| u16::from(f.code))),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Nothing but pings arrives within `wait`, and the connection is still open then: a closed
    /// connection is a failure here, not silence.
    pub async fn expect_silence(&mut self, wait: std::time::Duration) -> anyhow::Result<()> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let Ok(next) = tokio::time::timeout_at(deadline, self.socket.next()).await else {
                return Ok(());
            };
            match next {
                None | Some(Ok(Message::Close(_))) => {
                    anyhow::bail!("the server closed the graphql-ws connection")
                }
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str())?;
                    if message["type"] != "ping" {
                        anyhow::bail!("expected no message, got {message}");
                    }
                    self.send(json!({ "type": "pong" })).await?;
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Close the connection.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.socket.close(None).await?;
        Ok(())
    }
}
