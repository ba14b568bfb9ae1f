//! Comparing and merging connector versions: the source diff and capability diff that an update
//! preview shows, and the three-way merge behind a `MERGE` update. Pure functions of two or
//! three versions; the service decides when they run.

mod capabilities;
mod text;

pub use capabilities::{CapabilityDiff, OperationChange, capability_diff};
pub use text::{DiffStats, MergeConflict, diff_stats, merge, unified_diff};
