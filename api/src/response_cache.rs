//! A short-lived cache of the responses to anonymous read-only GraphQL requests.
//!
//! What a caller without a token may see — the public catalog, listing pages, search — is the
//! same for every such caller, and it is the most read part of the service. So an anonymous
//! query's response is kept, keyed by the exact request, for at most `cache.anonymous_ttl_ms`
//! (one second by default):
//!
//! - every mutation executed by this process empties the cache and starts a new generation; a
//!   response computed while a mutation ran is not stored, so this process always reads its
//!   own writes;
//! - a write made through another process (a second server, the CLI) shows after at most the
//!   time to live;
//! - responses with errors, batches, uploads and signed-in requests are never cached: a
//!   signed-in caller may see private data.
//!
//! When an entry expires, the first request for it recomputes it while the others keep getting
//! the expired answer (for at most [`STALE_LIMIT`] more): a popular page is recomputed once per
//! time to live, not by every connection that asks in the same instant. A request with
//! `Cache-Control: no-cache` is always computed (and refreshes the entry).
//!
//! Memory is bounded by `cache.max_bytes`: when a new entry would not fit, expired entries go,
//! and if that is not enough, everything does.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Variables};
use bytes::Bytes;

use crate::config::CacheConfig;

/// Responses to anonymous queries, for a short time.
pub struct ResponseCache {
    ttl: Duration,
    max_bytes: usize,
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    bytes: usize,
    entries: HashMap<Bytes, Entry>,
}

struct Entry {
    body: Bytes,
    stored_at: Instant,
    /// A request is recomputing this expired entry; others get the expired answer meanwhile.
    refreshing: AtomicBool,
}

/// How long past its time to live an entry may still be served while one request recomputes it.
pub const STALE_LIMIT: Duration = Duration::from_secs(10);

/// Where a response was computed: the generation it may be stored under.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl ResponseCache {
    pub fn new(config: &CacheConfig) -> Self {
        Self {
            ttl: Duration::from_millis(config.anonymous_ttl_ms),
            max_bytes: config.max_bytes,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// Is caching switched on?
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_bytes > 0
    }

    /// The stored response to `key` if it is fresh, or expired while another request
    /// recomputes it; otherwise a ticket to store the response this caller computes.
    pub fn get(&self, key: &[u8]) -> Result<Bytes, Ticket> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = inner.entries.get(key) else {
            return Err(Ticket(inner.generation));
        };
        let age = entry.stored_at.elapsed();
        if age < self.ttl {
            return Ok(entry.body.clone());
        }
        let someone_else_refreshes = entry
            .refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err();
        if someone_else_refreshes && age < self.ttl + STALE_LIMIT {
            return Ok(entry.body.clone());
        }
        Err(Ticket(inner.generation))
    }

    /// A ticket without reading: for a caller that wants a freshly computed answer.
    pub fn ticket(&self) -> Ticket {
        Ticket(
            self.inner
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .generation,
        )
    }

    /// The caller that took `key` to recompute will not store an answer (it had errors): let
    /// the next caller try.
    pub fn abandon(&self, key: &[u8]) {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = inner.entries.get(key) {
            entry.refreshing.store(false, Ordering::Release);
        }
    }

    /// Keep `body` as the response to `key`, unless a write happened since `ticket` was taken.
    pub fn put(&self, ticket: Ticket, key: Bytes, body: Bytes) {
        let size = key.len() + body.len();
        if size > self.max_bytes / 8 {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.generation != ticket.0 {
            return;
        }
        if inner.bytes + size > self.max_bytes {
            let ttl = self.ttl;
            inner.entries.retain(|_, e| e.stored_at.elapsed() < ttl);
            inner.bytes = inner
                .entries
                .iter()
                .map(|(k, e)| k.len() + e.body.len())
                .sum();
            if inner.bytes + size > self.max_bytes {
                inner.entries.clear();
                inner.bytes = 0;
            }
        }
        let entry = Entry {
            body,
            stored_at: Instant::now(),
            refreshing: AtomicBool::new(false),
        };
        if let Some(old) = inner.entries.insert(key.clone(), entry) {
            inner.bytes -= key.len() + old.body.len();
        }
        inner.bytes += size;
    }

    /// A write is about to run or has run: forget everything, and refuse responses computed
    /// before now.
    pub fn invalidate(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        inner.entries.clear();
        inner.bytes = 0;
    }
}

/// Schema extension: after any mutation, whatever the transport (HTTP, WebSocket), empty the
/// cache.
pub struct ForgetOnWrite(pub Arc<ResponseCache>);

impl ExtensionFactory for ForgetOnWrite {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ForgetOnWriteExtension {
            cache: self.0.clone(),
            writes: AtomicBool::new(false),
        })
    }
}

struct ForgetOnWriteExtension {
    cache: Arc<ResponseCache>,
    writes: AtomicBool,
}

#[async_graphql::async_trait::async_trait]
impl Extension for ForgetOnWriteExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // Any operation of the document: the one to run is not known yet, and forgetting once
        // too often is harmless.
        let writes = crate::graphql::runs_mutation(&document, None);
        self.writes.store(writes, Ordering::Relaxed);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if self.writes.load(Ordering::Relaxed) {
            self.cache.invalidate();
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl_ms: u64, max_bytes: usize) -> ResponseCache {
        ResponseCache::new(&CacheConfig {
            anonymous_ttl_ms: ttl_ms,
            max_bytes,
        })
    }

    fn key(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn a_stored_response_is_served_until_it_expires() {
        let c = cache(50, 1 << 20);
        let ticket = c.get(b"q").expect_err("empty cache");
        c.put(ticket, key("q"), key("answer"));
        assert_eq!(c.get(b"q").ok(), Some(key("answer")));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get(b"q").is_err(), "expired");
    }

    #[test]
    fn one_caller_recomputes_an_expired_entry_while_the_others_get_it() {
        let c = cache(20, 1 << 20);
        let ticket = c.get(b"q").expect_err("empty cache");
        c.put(ticket, key("q"), key("old"));
        std::thread::sleep(Duration::from_millis(30));
        let _refresher = c
            .get(b"q")
            .expect_err("the first caller after expiry recomputes");
        assert_eq!(
            c.get(b"q").ok(),
            Some(key("old")),
            "the others get the old answer"
        );
        c.abandon(b"q");
        let refresher = c
            .get(b"q")
            .expect_err("after a failure, the next one tries");
        c.put(refresher, key("q"), key("new"));
        assert_eq!(c.get(b"q").ok(), Some(key("new")));
    }

    #[test]
    fn a_write_empties_it_and_refuses_answers_computed_before() {
        let c = cache(60_000, 1 << 20);
        let ticket = c.get(b"q").expect_err("empty");
        c.put(ticket, key("q"), key("old"));
        let stale_ticket = c.get(b"other").expect_err("not stored");
        c.invalidate();
        assert!(c.get(b"q").is_err(), "emptied by the write");
        c.put(stale_ticket, key("other"), key("computed before the write"));
        assert!(c.get(b"other").is_err(), "a pre-write answer is not kept");
        let ticket = c.get(b"other").expect_err("still empty");
        c.put(ticket, key("other"), key("new"));
        assert_eq!(c.get(b"other").ok(), Some(key("new")));
    }

    #[test]
    fn memory_stays_within_its_bound() {
        let c = cache(60_000, 800);
        for i in 0..100 {
            let k = format!("query {i}");
            let ticket = c.get(k.as_bytes()).expect_err("new key");
            c.put(ticket, key(&k), Bytes::from(vec![b'x'; 80]));
            let inner = c.inner.read().expect("lock");
            assert!(inner.bytes <= 800, "{} bytes held", inner.bytes);
            let counted: usize = inner
                .entries
                .iter()
                .map(|(k, e)| k.len() + e.body.len())
                .sum();
            assert_eq!(inner.bytes, counted);
        }
        // Too large for the cache at all: not stored.
        let ticket = c.get(b"big").expect_err("new key");
        c.put(ticket, key("big"), Bytes::from(vec![b'x'; 200]));
        assert!(c.get(b"big").is_err());
    }
}
