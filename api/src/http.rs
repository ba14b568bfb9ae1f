//! HTTP routes. The GraphQL schema does not know about poem: this layer turns the
//! `Authorization` header into a principal, enforces body and batch limits, refuses mutations over
//! GET, and hands each request to the schema with its own data loader.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use async_graphql::http::MultipartOptions;
use async_graphql::{BatchRequest, BatchResponse};
use bytes::Bytes;
use poem::http::{HeaderMap, Method, StatusCode, header};
use poem::web::{Data, Html};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use serde_json::json;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::auth::{self, Principal};
use crate::error::{ErrorCode, ServiceError};
use crate::graphql::PatchbaySchema;
use crate::graphql::context::{RequestData, request_loader};
use crate::graphql::limits::DocumentLimits;
use crate::state::AppState;
use crate::telemetry::Metrics;

/// What the routes share.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    pub schema: PatchbaySchema,
}

/// All routes, with access logging and counters around them.
pub fn routes(app: App) -> impl Endpoint {
    let metrics = app.state.metrics.clone();
    Route::new()
        .at("/graphql", get(graphql).post(graphql))
        .at("/graphql/ws", get(crate::ws::graphql_ws))
        .at("/graphiql", get(graphiql))
        .at("/packages/:id/archive", get(package_archive))
        .at("/livez", get(livez))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics_text))
        // The web UI (`web`): the page, its assets, and its client-side routes.
        .at("/", get(crate::web::index))
        .at("/app.js", get(crate::web::app_js))
        .at("/app.css", get(crate::web::app_css))
        .at("/connectors", get(crate::web::index))
        .at("/connectors/:slug", get(crate::web::index))
        .data(app)
        .around(move |ep, req| {
            let metrics = metrics.clone();
            async move {
                let started = Instant::now();
                let method = req.method().clone();
                let path = req.uri().path().to_owned();
                let response = ep.call(req).await;
                let status = match &response {
                    Ok(resp) => resp.status(),
                    Err(err) => err.status(),
                };
                Metrics::add(&metrics.http_requests, 1);
                if status.is_server_error() {
                    Metrics::add(&metrics.http_server_errors, 1);
                }
                tracing::info!(
                    %method,
                    path,
                    status = status.as_u16(),
                    micros = started.elapsed().as_micros() as u64,
                    "request"
                );
                response
            }
        })
}

/// A GraphQL-shaped error response for failures before execution.
fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

async fn principal_of(headers: &HeaderMap, app: &App) -> Result<Principal, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Principal::anonymous());
    };
    let unauthenticated = |message: &str| {
        error_response(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            message,
        )
    };
    let token = value
        .to_str()
        .ok()
        .and_then(auth::bearer_token)
        .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <token>`"))?;
    match auth::authenticate(&app.state.db, token).await {
        Ok(user) => Ok(Principal { user: Some(user) }),
        Err(ServiceError::Unauthenticated) => Err(unauthenticated(
            "the API token is invalid, expired or revoked",
        )),
        Err(other) => {
            tracing::error!(error = ?other, "authenticating a request");
            Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalServerError,
                "internal server error",
            ))
        }
    }
}

/// What the GraphQL handler needs of a request, owned, so that the work runtime can answer it.
struct Head {
    method: Method,
    query: String,
    headers: HeaderMap,
}

/// Headers that a browser cannot send cross-site without a CORS preflight; a multipart upload
/// must carry one of them (the first is what Apollo's upload clients send).
pub const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-patchbay-preflight"];

/// How a POST body is to be read, from its media type. Only the GraphQL-over-HTTP media type
/// (`application/json`) and, for uploads, `multipart/form-data` are accepted: `text/plain`,
/// `application/x-www-form-urlencoded` or no type at all are what a cross-site form or a
/// "simple" `fetch` sends without a preflight.
enum BodyKind {
    Json,
    Multipart(String),
}

/// The media type's verdict; a refusal is its status and message (code `BAD_USER_INPUT`).
fn body_kind(headers: &HeaderMap) -> Result<BodyKind, (StatusCode, &'static str)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "multipart/form-data" => {
            let preflighted = PREFLIGHT_HEADERS
                .iter()
                .any(|name| headers.get(*name).is_some_and(|v| !v.is_empty()));
            if preflighted {
                Ok(BodyKind::Multipart(content_type.to_owned()))
            } else {
                Err((
                    StatusCode::BAD_REQUEST,
                    "a multipart upload must carry the header `Apollo-Require-Preflight` (or \
                     `X-Patchbay-Preflight`) with any value",
                ))
            }
        }
        _ => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes `Content-Type: application/json` (or `multipart/form-data` for \
             uploads)",
        )),
    }
}

/// The request's operations, and for a JSON or GET request the raw bytes that identify it
/// (the key of the anonymous response cache).
async fn read_batch(
    head: &Head,
    body: Body,
    app: &App,
    principal: &Principal,
) -> Result<(BatchRequest, Option<Bytes>), Response> {
    let bad = |message: String| {
        error_response(StatusCode::BAD_REQUEST, ErrorCode::BadUserInput, &message)
    };
    if head.method == Method::GET {
        let mut request = async_graphql::http::parse_query_string(&head.query)
            .map_err(|err| bad(format!("malformed GraphQL request: {err}")))?;
        if is_mutation(&mut request, app) {
            return Err(error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadUserInput,
                "mutations must be sent with POST",
            ));
        }
        let key = Bytes::copy_from_slice(format!("GET {}", head.query).as_bytes());
        return Ok((BatchRequest::Single(request), Some(key)));
    }
    let content_type = match body_kind(&head.headers) {
        Ok(BodyKind::Json) => None,
        Ok(BodyKind::Multipart(content_type)) => Some(content_type),
        Err((status, message)) => {
            return Err(error_response(status, ErrorCode::BadUserInput, message));
        }
    };
    if let Some(content_type) = content_type {
        if principal.user.is_none() {
            // Uploads are for signed-in callers only: refuse before reading a byte of the body.
            return Err(error_response(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "uploads need a valid API token (`Authorization: Bearer <token>`)",
            ));
        }
        // A package upload: one file, at most the packager's archive limit (checked again,
        // precisely, when the archive is read).
        let options = MultipartOptions::default()
            .max_num_files(1)
            .max_file_size(packager::Limits::default().max_archive_size as usize + 1024);
        let batch = async_graphql::http::receive_batch_body(
            Some(content_type),
            body.into_async_read().compat(),
            options,
        )
        .await
        .map_err(|err| bad(format!("malformed multipart GraphQL request: {err}")))?;
        return Ok((batch, None));
    }
    let limit = app.state.config.limits.max_body_bytes;
    let bytes = body.into_bytes_limit(limit).await.map_err(|_| {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::LimitExceeded,
            &format!("the request body is larger than {limit} bytes"),
        )
    })?;
    let batch = serde_json::from_slice::<BatchRequest>(&bytes)
        .map_err(|err| bad(format!("malformed GraphQL request body: {err}")))?;
    Ok((batch, Some(bytes)))
}

/// Does the operation this request would run write anything? The document is bounded and
/// parsed by the same guard the schema uses (and kept parsed); a document the guard refuses is
/// no mutation here, and the schema answers with the guard's error.
fn is_mutation(request: &mut async_graphql::Request, app: &App) -> bool {
    let limits = DocumentLimits::from_config(&app.state.config.limits);
    let operation_name = request.operation_name.clone();
    let Ok(doc) = crate::graphql::limits::check(request, &limits) else {
        return false;
    };
    crate::graphql::runs_mutation(doc, operation_name.as_deref())
}

#[handler]
async fn graphql(req: &Request, body: Body, Data(app): Data<&App>) -> Response {
    let head = Head {
        method: req.method().clone(),
        query: req.uri().query().unwrap_or_default().to_owned(),
        headers: req.headers().clone(),
    };
    crate::work::run(answer(head, body, app.clone())).await
}

/// Answer one GraphQL request (on the work runtime).
async fn answer(head: Head, body: Body, app: App) -> Response {
    let app = &app;
    let principal = match principal_of(&head.headers, app).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let (batch, raw) = match read_batch(&head, body, app, &principal).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let max_batch = app.state.config.limits.max_batch;
    if let BatchRequest::Batch(requests) = &batch
        && requests.len() > max_batch
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::LimitExceeded,
            &format!("a batch may hold at most {max_batch} operations"),
        );
    }
    // An anonymous single query may be answered from the response cache (see
    // `response_cache`); mutations empty it as they run, so they never reach `put`.
    let cache = &app.state.responses;
    let wants_fresh = head
        .headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-cache") || v.contains("no-store"));
    let cacheable = match (&batch, raw) {
        (BatchRequest::Single(_), Some(key)) if principal.user.is_none() && cache.enabled() => {
            if wants_fresh {
                Some((key, cache.ticket()))
            } else {
                match cache.get(&key) {
                    Ok(body) => {
                        Metrics::add(&app.state.metrics.graphql_requests, 1);
                        Metrics::add(&app.state.metrics.response_cache_hits, 1);
                        return json_response(body);
                    }
                    Err(ticket) => Some((key, ticket)),
                }
            }
        }
        _ => None,
    };
    let principal = Arc::new(principal);
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(with_request_data(r, &principal, app)),
        BatchRequest::Batch(rs) => BatchRequest::Batch(
            rs.into_iter()
                .map(|r| with_request_data(r, &principal, app))
                .collect(),
        ),
    };
    let response = app.schema.execute_batch(batch).await;
    count_operations(&app.state.metrics, &response);
    let body = match serde_json::to_vec(&response) {
        Ok(body) => Bytes::from(body),
        Err(err) => {
            tracing::error!(error = %err, "serialising a GraphQL response");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalServerError,
                "internal server error",
            );
        }
    };
    if let (Some((key, ticket)), BatchResponse::Single(single)) = (cacheable, &response) {
        if single.is_ok() {
            cache.put(ticket, key, body.clone());
        } else {
            cache.abandon(&key);
        }
    }
    json_response(body)
}

fn json_response(body: Bytes) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(body)
}

fn with_request_data(
    request: async_graphql::Request,
    principal: &Arc<Principal>,
    app: &App,
) -> async_graphql::Request {
    request.data(RequestData {
        principal: Principal::clone(principal),
        loader: request_loader(app.state.service.clone()),
    })
}

fn count_operations(metrics: &Metrics, response: &BatchResponse) {
    let responses: Vec<&async_graphql::Response> = match response {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    for r in responses {
        Metrics::add(&metrics.graphql_requests, 1);
        if r.is_err() {
            Metrics::add(&metrics.graphql_errors, 1);
        }
    }
}

#[handler]
fn graphiql(Data(app): Data<&App>) -> Response {
    if !app.state.config.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
    .into_response()
}

/// Download an exported package. Same bearer token as the API; needs `package.export`.
#[handler]
async fn package_archive(
    req: &Request,
    poem::web::Path(id): poem::web::Path<i64>,
    Data(app): Data<&App>,
) -> Response {
    let principal = match principal_of(req.headers(), app).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match crate::packages::download(&app.state.db, &app.state.authz, &principal, id).await {
        Ok((name, bytes)) => Response::builder()
            .content_type("application/zip")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )
            .body(bytes),
        Err(err) => {
            let status = StatusCode::from_u16(err.code().http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = err.message();
            if let ServiceError::Internal(inner) = &err {
                tracing::error!(error = format!("{inner:#}"), "downloading a package");
            }
            error_response(status, err.code(), &message)
        }
    }
}

#[handler]
fn livez() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(Data(app): Data<&App>) -> Response {
    match app.state.readiness.check(&app.state.db).await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "not ready: the database cannot be written");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable or read-only",
            )
                .into_response()
        }
    }
}

#[handler]
fn metrics_text(Data(app): Data<&App>) -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(app.state.metrics.render())
}
