//! Relay pagination: page info, capped page sizes.

use async_graphql::SimpleObject;

use super::errors::GqlResult;
use crate::error::{ErrorCode, graphql_error};

/// Where a page sits in the whole list.
#[derive(SimpleObject, Debug, Clone, Default)]
pub struct PageInfo {
    /// More items follow this page.
    pub has_next_page: bool,
    /// Items precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// Check a requested page size against the server's cap.
pub fn page_size(first: Option<i32>, default: u64, max: usize) -> GqlResult<u64> {
    match first {
        None => Ok(default.min(max as u64)),
        Some(n) if n < 0 => Err(graphql_error(
            ErrorCode::BadUserInput,
            "`first` must not be negative",
        )),
        Some(n) if n as usize > max => Err(graphql_error(
            ErrorCode::BadUserInput,
            format!("`first` must be at most {max}"),
        )),
        Some(n) => Ok(n as u64),
    }
}
