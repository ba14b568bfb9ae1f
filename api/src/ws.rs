//! graphql-ws connections (`/graphql/ws`), whose rights are checked for as long as they stay
//! open: the token travels in the connection-init payload as `{"authorization": "Bearer <token>"}`
//! (browsers cannot set headers on WebSockets), and
//! - every [`RECHECK_EVERY`] the connection authenticates its token again: a revoked or expired
//!   token closes it with `4403 Forbidden`, as graphql-ws closes a refused `connection_init`;
//! - a subscription whose caller lost the right to it (a member removed from the workspace)
//!   asks the connection to close the same way, through [`WsSession::forbid`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket as GraphQLSession, WsMessage};
use async_graphql_poem::GraphQLProtocol;
use futures_util::{SinkExt as _, StreamExt as _, future};
use poem::web::Data;
use poem::web::websocket::{Message, WebSocket, WebSocketConfig, WebSocketStream};
use poem::{IntoResponse, handler};
use tokio::sync::Notify;

use crate::auth::{self, Principal};
use crate::error::ServiceError;
use crate::graphql::context::{RequestData, request_loader};
use crate::graphql::errors::IntoGraphql;
use crate::http::App;

/// graphql-ws's close code for a connection that is not (or no longer) allowed.
pub const FORBIDDEN_CLOSE: u16 = 4403;

/// How often an open connection's token is authenticated again.
pub const RECHECK_EVERY: Duration = Duration::from_secs(2);

/// What a subscription can ask of the connection it runs on; in the connection's data.
#[derive(Clone, Default)]
pub struct WsSession {
    forbidden: Arc<Notify>,
}

impl WsSession {
    /// Close the connection with `4403 Forbidden`: its caller lost a right a subscription needs.
    pub fn forbid(&self) {
        self.forbidden.notify_one();
    }
}

/// Upgrade to graphql-ws (either protocol async-graphql speaks).
#[handler]
pub fn graphql_ws(
    protocol: GraphQLProtocol,
    websocket: WebSocket,
    Data(app): Data<&App>,
) -> impl IntoResponse {
    let app = app.clone();
    // A message is one request's JSON: no larger than an HTTP request body may be.
    let largest = app.state.config.limits.max_body_bytes;
    let config = WebSocketConfig::default()
        .max_message_size(Some(largest))
        .max_frame_size(Some(largest));
    websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .config(config)
        // Documents are parsed, validated and executed as on `/graphql`: on the work runtime,
        // never on the threads that answer the probes.
        .on_upgrade(move |socket| crate::work::run(serve(app, socket, protocol)))
}

async fn serve(app: App, socket: WebSocketStream, protocol: GraphQLProtocol) {
    let (mut sink, incoming) = socket.split();
    let incoming = incoming
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| future::ready(message.ok().filter(|m| m.is_text() || m.is_binary())))
        .map(Message::into_bytes);
    let session = WsSession::default();
    // The token the connection was initialised with, once it has been.
    let token: Arc<Mutex<Option<String>>> = Arc::default();
    let on_init = {
        let (app, session, token) = (app.clone(), session.clone(), token.clone());
        move |payload: serde_json::Value| async move {
            let (principal, secret) = principal_of(&app, &payload).await?;
            if let Ok(mut slot) = token.lock() {
                *slot = secret;
            }
            let mut data = async_graphql::Data::default();
            data.insert(RequestData {
                principal,
                loader: request_loader(app.state.service.clone()),
            });
            data.insert(session);
            Ok(data)
        }
    };
    let outgoing = GraphQLSession::new(app.schema.clone(), incoming, protocol.0)
        .on_connection_init(on_init)
        .map(|message| match message {
            WsMessage::Text(text) => Message::text(text),
            WsMessage::Close(code, reason) => Message::close_with(code, reason),
        });
    futures_util::pin_mut!(outgoing);
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            message = outgoing.next() => match message {
                Some(message) => message,
                None => break,
            },
            () = session.forbidden.notified() => {
                forbidden("a subscription's caller lost access to what it watches")
            }
            _ = recheck.tick() => {
                let secret = token.lock().ok().and_then(|slot| slot.clone());
                let Some(secret) = secret else { continue };
                match auth::authenticate(&app.state.db, &secret).await {
                    Err(ServiceError::Unauthenticated) => {
                        forbidden("the API token is invalid, expired or revoked")
                    }
                    // A database hiccup is no reason to drop a subscriber.
                    _ => continue,
                }
            }
        };
        let closing = matches!(message, Message::Close(_));
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
}

fn forbidden(reason: &str) -> Message {
    Message::close_with(FORBIDDEN_CLOSE, format!("Forbidden: {reason}"))
}

/// The caller a connection-init payload names, and the token it did so with.
async fn principal_of(
    app: &App,
    payload: &serde_json::Value,
) -> async_graphql::Result<(Principal, Option<String>)> {
    let header = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str());
    let Some(header) = header else {
        return Ok((Principal::anonymous(), None));
    };
    let token =
        auth::bearer_token(header).ok_or_else(|| ServiceError::Unauthenticated.into_graphql())?;
    let user = auth::authenticate(&app.state.db, token)
        .await
        .map_err(IntoGraphql::into_graphql)?;
    Ok((Principal { user: Some(user) }, Some(token.to_owned())))
}
