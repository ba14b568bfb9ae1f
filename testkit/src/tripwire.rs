//! A listener that only counts the connections made to it: proof that a refused request
//! connected to nothing.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A listener on 127.0.0.1, port 0, that accepts and counts connections and answers none.
pub struct Tripwire {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Tripwire {
    /// Listen on 127.0.0.1, port 0.
    pub fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(Self { addr, hits })
    }

    /// Connections made so far.
    pub fn hits(&self) -> usize {
        // Let a connection in flight land before counting.
        std::thread::sleep(Duration::from_millis(50));
        self.hits.load(Ordering::SeqCst)
    }
}
