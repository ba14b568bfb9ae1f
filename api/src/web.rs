//! The community library in a browser: a few static files (`web/`) embedded in the binary. The
//! page talks to `/graphql` like any other client; there is no server-side rendering. Client-side
//! routes (`/connectors`, `/connectors/<slug>`) answer with the same `index.html`.
//!
//! Every response carries a strict Content-Security-Policy: scripts and styles only from this
//! origin (no inline script, no inline style sheets, no `eval`), requests only to this origin, no
//! framing. The Markdown the page renders is escaped before it is formatted (see `web/app.js`);
//! the policy is the second line of defence.

use poem::http::{StatusCode, header};
use poem::{Response, handler};

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");

/// The Content-Security-Policy of every page and asset.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type(content_type)
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// The single page: `/` and every client-side route.
#[handler]
pub fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// The page's script.
#[handler]
pub fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// The page's style sheet.
#[handler]
pub fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}
