//! Summaries the catalog reads instead of recounting: per-author totals and listing counts per
//! (category, visibility, status), both kept current by triggers in the same transaction as the
//! change, so every path that writes listings, owners, versions or install counters (the
//! service, the demo seed, the scale generator, a hand-run SQL fix) keeps them exact.
//!
//! Plus the indexes the catalog's first pages need: listed listings by installs, per category.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuthorTotals {
    Table,
    UserId,
    Listings,
    Installs,
    ActiveInstalls,
    Versions,
    LastPublishedAt,
}

#[derive(DeriveIden)]
enum CatalogCounts {
    Table,
    Category,
    Visibility,
    Status,
    Listings,
}

/// Backfill for a database that already holds listings.
const BACKFILL: [&str; 3] = [
    "INSERT INTO catalog_counts (category, visibility, status, listings) \
     SELECT category, visibility, status, COUNT(*) FROM connectors \
     GROUP BY category, visibility, status",
    "INSERT INTO author_totals (user_id, listings, installs, active_installs, versions) \
     SELECT o.user_id, COUNT(*), SUM(c.install_count), SUM(c.active_installs), 0 \
     FROM connector_owners o JOIN connectors c ON c.id = o.connector_id GROUP BY o.user_id",
    "INSERT INTO author_totals (user_id, listings, installs, active_installs, versions, \
     last_published_at) \
     SELECT published_by, 0, 0, 0, COUNT(*), MAX(published_at) FROM connector_versions \
     WHERE true GROUP BY published_by \
     ON CONFLICT (user_id) DO UPDATE SET versions = excluded.versions, \
     last_published_at = excluded.last_published_at",
];

const SQLITE_TRIGGERS: [&str; 7] = [
    "CREATE TRIGGER trg_catalog_counts_insert AFTER INSERT ON connectors BEGIN \
       INSERT INTO catalog_counts (category, visibility, status, listings) \
       VALUES (NEW.category, NEW.visibility, NEW.status, 1) \
       ON CONFLICT (category, visibility, status) DO UPDATE SET listings = listings + 1; \
     END",
    "CREATE TRIGGER trg_catalog_counts_update AFTER UPDATE OF category, visibility, status \
     ON connectors \
     WHEN OLD.category IS NOT NEW.category OR OLD.visibility IS NOT NEW.visibility \
       OR OLD.status IS NOT NEW.status BEGIN \
       UPDATE catalog_counts SET listings = listings - 1 WHERE category = OLD.category \
         AND visibility = OLD.visibility AND status = OLD.status; \
       INSERT INTO catalog_counts (category, visibility, status, listings) \
       VALUES (NEW.category, NEW.visibility, NEW.status, 1) \
       ON CONFLICT (category, visibility, status) DO UPDATE SET listings = listings + 1; \
     END",
    "CREATE TRIGGER trg_catalog_counts_delete AFTER DELETE ON connectors BEGIN \
       UPDATE catalog_counts SET listings = listings - 1 WHERE category = OLD.category \
         AND visibility = OLD.visibility AND status = OLD.status; \
     END",
    "CREATE TRIGGER trg_author_totals_owner_added AFTER INSERT ON connector_owners BEGIN \
       INSERT INTO author_totals (user_id, listings, installs, active_installs, versions) \
       SELECT NEW.user_id, 1, c.install_count, c.active_installs, 0 FROM connectors c \
       WHERE c.id = NEW.connector_id \
       ON CONFLICT (user_id) DO UPDATE SET listings = listings + 1, \
         installs = installs + excluded.installs, \
         active_installs = active_installs + excluded.active_installs; \
     END",
    "CREATE TRIGGER trg_author_totals_owner_removed AFTER DELETE ON connector_owners BEGIN \
       UPDATE author_totals SET listings = listings - 1, \
         installs = installs - (SELECT install_count FROM connectors WHERE id = OLD.connector_id), \
         active_installs = active_installs \
           - (SELECT active_installs FROM connectors WHERE id = OLD.connector_id) \
       WHERE user_id = OLD.user_id; \
     END",
    "CREATE TRIGGER trg_author_totals_installs AFTER UPDATE OF install_count, active_installs \
     ON connectors \
     WHEN OLD.install_count <> NEW.install_count OR OLD.active_installs <> NEW.active_installs \
     BEGIN \
       UPDATE author_totals SET installs = installs + NEW.install_count - OLD.install_count, \
         active_installs = active_installs + NEW.active_installs - OLD.active_installs \
       WHERE user_id IN (SELECT user_id FROM connector_owners WHERE connector_id = NEW.id); \
     END",
    "CREATE TRIGGER trg_author_totals_version AFTER INSERT ON connector_versions BEGIN \
       INSERT INTO author_totals (user_id, listings, installs, active_installs, versions, \
         last_published_at) \
       VALUES (NEW.published_by, 0, 0, 0, 1, NEW.published_at) \
       ON CONFLICT (user_id) DO UPDATE SET versions = versions + 1, \
         last_published_at = CASE WHEN last_published_at IS NULL \
           OR excluded.last_published_at > last_published_at \
           THEN excluded.last_published_at ELSE last_published_at END; \
     END",
];

/// PostgreSQL: one function per summary. Owners are updated in user id order, so two
/// transactions touching listings with shared owners lock the owners' rows in the same order.
const POSTGRES_TRIGGERS: [&str; 9] = [
    "CREATE FUNCTION patchbay_catalog_counts() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP IN ('UPDATE', 'DELETE') THEN \
         UPDATE catalog_counts SET listings = listings - 1 WHERE category = OLD.category \
           AND visibility = OLD.visibility AND status = OLD.status; \
       END IF; \
       IF TG_OP IN ('UPDATE', 'INSERT') THEN \
         INSERT INTO catalog_counts (category, visibility, status, listings) \
         VALUES (NEW.category, NEW.visibility, NEW.status, 1) \
         ON CONFLICT (category, visibility, status) \
         DO UPDATE SET listings = catalog_counts.listings + 1; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_catalog_counts_insert_delete AFTER INSERT OR DELETE ON connectors \
     FOR EACH ROW EXECUTE FUNCTION patchbay_catalog_counts()",
    "CREATE TRIGGER trg_catalog_counts_update AFTER UPDATE OF category, visibility, status \
     ON connectors FOR EACH ROW \
     WHEN (OLD.category IS DISTINCT FROM NEW.category \
       OR OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.status IS DISTINCT FROM NEW.status) \
     EXECUTE FUNCTION patchbay_catalog_counts()",
    "CREATE FUNCTION patchbay_author_owner() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'INSERT' THEN \
         INSERT INTO author_totals (user_id, listings, installs, active_installs, versions) \
         SELECT NEW.user_id, 1, c.install_count, c.active_installs, 0 FROM connectors c \
         WHERE c.id = NEW.connector_id \
         ON CONFLICT (user_id) DO UPDATE SET listings = author_totals.listings + 1, \
           installs = author_totals.installs + excluded.installs, \
           active_installs = author_totals.active_installs + excluded.active_installs; \
       ELSE \
         UPDATE author_totals a SET listings = a.listings - 1, \
           installs = a.installs - c.install_count, \
           active_installs = a.active_installs - c.active_installs \
         FROM connectors c WHERE c.id = OLD.connector_id AND a.user_id = OLD.user_id; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_author_totals_owner AFTER INSERT OR DELETE ON connector_owners \
     FOR EACH ROW EXECUTE FUNCTION patchbay_author_owner()",
    "CREATE FUNCTION patchbay_author_installs() RETURNS trigger LANGUAGE plpgsql AS $$ \
     DECLARE owner_id bigint; \
     BEGIN \
       FOR owner_id IN SELECT user_id FROM connector_owners WHERE connector_id = NEW.id \
         ORDER BY user_id LOOP \
         UPDATE author_totals \
         SET installs = installs + NEW.install_count - OLD.install_count, \
           active_installs = active_installs + NEW.active_installs - OLD.active_installs \
         WHERE user_id = owner_id; \
       END LOOP; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_author_totals_installs AFTER UPDATE OF install_count, active_installs \
     ON connectors FOR EACH ROW \
     WHEN (OLD.install_count <> NEW.install_count OR OLD.active_installs <> NEW.active_installs) \
     EXECUTE FUNCTION patchbay_author_installs()",
    "CREATE FUNCTION patchbay_author_version() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       INSERT INTO author_totals (user_id, listings, installs, active_installs, versions, \
         last_published_at) \
       VALUES (NEW.published_by, 0, 0, 0, 1, NEW.published_at) \
       ON CONFLICT (user_id) DO UPDATE SET versions = author_totals.versions + 1, \
         last_published_at = GREATEST(author_totals.last_published_at, excluded.last_published_at); \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER trg_author_totals_version AFTER INSERT ON connector_versions \
     FOR EACH ROW EXECUTE FUNCTION patchbay_author_version()",
];

const INDEXES: [&str; 4] = [
    // The catalog's default browse: listed listings, most installed first.
    "CREATE INDEX idx_connectors_listed_installs ON connectors (install_count DESC, id) \
     WHERE visibility = 'public' AND status = 'published'",
    "CREATE INDEX idx_connectors_category_installs ON connectors (category, install_count DESC, id)",
    // The few listings search results leave out (`catalog::search::count`), with and without
    // deprecated ones; the conditions are spelled as the queries spell them.
    "CREATE INDEX idx_connectors_unlisted ON connectors (id) WHERE visibility <> 'public'",
    "CREATE INDEX idx_connectors_not_listed ON connectors (id) \
     WHERE (visibility <> 'public' OR status <> 'published')",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthorTotals::Table)
                    .col(big_integer(AuthorTotals::UserId).primary_key())
                    .col(big_integer(AuthorTotals::Listings).default(0))
                    .col(big_integer(AuthorTotals::Installs).default(0))
                    .col(big_integer(AuthorTotals::ActiveInstalls).default(0))
                    .col(big_integer(AuthorTotals::Versions).default(0))
                    .col(timestamp_with_time_zone_null(AuthorTotals::LastPublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogCounts::Table)
                    .col(string(CatalogCounts::Category))
                    .col(string(CatalogCounts::Visibility))
                    .col(string(CatalogCounts::Status))
                    .col(big_integer(CatalogCounts::Listings).default(0))
                    .primary_key(
                        Index::create()
                            .col(CatalogCounts::Category)
                            .col(CatalogCounts::Visibility)
                            .col(CatalogCounts::Status),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in BACKFILL.iter().chain(INDEXES.iter()) {
            db.execute_unprepared(sql).await?;
        }
        let triggers: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "DROP TRIGGER trg_catalog_counts_insert_delete ON connectors",
                "DROP TRIGGER trg_catalog_counts_update ON connectors",
                "DROP TRIGGER trg_author_totals_owner ON connector_owners",
                "DROP TRIGGER trg_author_totals_installs ON connectors",
                "DROP TRIGGER trg_author_totals_version ON connector_versions",
                "DROP FUNCTION patchbay_catalog_counts()",
                "DROP FUNCTION patchbay_author_owner()",
                "DROP FUNCTION patchbay_author_installs()",
                "DROP FUNCTION patchbay_author_version()",
            ],
            _ => &[
                "DROP TRIGGER trg_catalog_counts_insert",
                "DROP TRIGGER trg_catalog_counts_update",
                "DROP TRIGGER trg_catalog_counts_delete",
                "DROP TRIGGER trg_author_totals_owner_added",
                "DROP TRIGGER trg_author_totals_owner_removed",
                "DROP TRIGGER trg_author_totals_installs",
                "DROP TRIGGER trg_author_totals_version",
            ],
        };
        for sql in drops {
            db.execute_unprepared(sql).await?;
        }
        for index in [
            "idx_connectors_listed_installs",
            "idx_connectors_category_installs",
            "idx_connectors_unlisted",
            "idx_connectors_not_listed",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(Alias::new("connectors"))
                        .to_owned(),
                )
                .await?;
        }
        for table in ["author_totals", "catalog_counts"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
