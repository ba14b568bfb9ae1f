//! Keeping the full-text index current: FTS5 on SQLite, a weighted tsvector on PostgreSQL.

use entities::connector;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The text a listing is found by, split by weight.
struct SearchDocument {
    name: String,
    summary: String,
    description: String,
    keywords: String,
    capabilities: String,
}

impl SearchDocument {
    fn new(listing: &connector::Model, capabilities: Option<&sdk::Capabilities>) -> Self {
        let keywords = listing
            .keywords
            .as_array()
            .map(|words| {
                words
                    .iter()
                    .filter_map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let capabilities = capabilities
            .map(|caps| {
                caps.actions
                    .iter()
                    .chain(caps.triggers.iter())
                    .map(|op| format!("{} {}", op.title, op.name.replace('_', " ")))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        Self {
            name: format!("{} {}", listing.name, listing.slug.replace('-', " ")),
            summary: listing.summary.clone(),
            description: listing.description.clone(),
            keywords,
            capabilities,
        }
    }
}

/// Write `listing`'s search document, replacing any earlier one.
pub async fn index_listing(
    db: &impl ConnectionTrait,
    listing: &connector::Model,
    capabilities: Option<&sdk::Capabilities>,
) -> Result<(), DbErr> {
    let doc = SearchDocument::new(listing, capabilities);
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Sqlite => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "DELETE FROM connector_search WHERE rowid = ?",
                [listing.id.into()],
            ))
            .await?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO connector_search (rowid, name, summary, description, keywords, capabilities) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                [
                    listing.id.into(),
                    doc.name.into(),
                    doc.summary.into(),
                    doc.description.into(),
                    doc.keywords.into(),
                    doc.capabilities.into(),
                ],
            ))
            .await?;
        }
        DbBackend::Postgres => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE connectors SET search_vector = \
                   setweight(to_tsvector('english', $1), 'A') || \
                   setweight(to_tsvector('english', $2), 'A') || \
                   setweight(to_tsvector('english', $3), 'B') || \
                   setweight(to_tsvector('english', $4), 'B') || \
                   setweight(to_tsvector('english', $5), 'C') \
                 WHERE id = $6",
                [
                    doc.name.into(),
                    doc.keywords.into(),
                    doc.summary.into(),
                    doc.capabilities.into(),
                    doc.description.into(),
                    listing.id.into(),
                ],
            ))
            .await?;
        }
        other => {
            return Err(DbErr::Custom(format!("unsupported backend {other:?}")));
        }
    }
    Ok(())
}
