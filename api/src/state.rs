//! What every request can reach: the domain's handle, and what the transport itself keeps.

use std::sync::Arc;

use service::Service;

use crate::response_cache::ResponseCache;

/// Shared, cheap to clone. Derefs to the [`Service`] handle it carries.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    /// Recent answers to anonymous queries.
    pub responses: Arc<ResponseCache>,
}

impl std::ops::Deref for AppState {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}
