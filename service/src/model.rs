//! The records the domain hands out, by their domain names: plain data the transport reads and
//! shapes. They are the entities' rows; the transport gets no way to query or write them.

pub use entities::audit_event::Model as AuditEvent;
pub use entities::connection::Model as Connection;
pub use entities::connector::Model as Listing;
pub use entities::connector_version::Model as ListingVersion;
pub use entities::job::Model as Job;
pub use entities::job_step::Model as JobStep;
pub use entities::notification::Model as Notice;
pub use entities::package::Model as PackageRecord;
pub use entities::recipe::Model as Recipe;
pub use entities::user::Model as User;
pub use entities::workspace::Model as Workspace;
pub use entities::workspace_connector::Model as WorkspaceCopy;
pub use entities::workspace_connector_version::Model as CopyVersion;
