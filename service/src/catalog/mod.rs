//! The community catalog: listings, their versions and owners, discovery and install metrics.
//!
//! Every write here authorizes first (through `crate::authz`), then acts in one transaction, so a
//! failed publish leaves nothing behind.

pub mod ledger;
pub mod listings;
pub mod reads;
pub mod search;
mod search_index;
pub mod stats;

pub use listings::{ListingPatch, NewListing, NewVersion, Visibility};
