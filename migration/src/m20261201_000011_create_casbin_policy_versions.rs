//! `casbin_policy_versions`: one counter per policy domain (a workspace, `ws:7`), moved by
//! triggers in the same transaction as every insert, update or delete of its `casbin_rule` lines.
//!
//! Each server process holds the policy in a casbin enforcer and asks this table, once per
//! request, whether the workspace's policy moved since it loaded it: a role change made through
//! any server (or by hand in SQL) is seen by every other one on its next request. Triggers rather
//! than a write in the service, so that no path that writes policy lines can forget the bump.
//!
//! A domain without a row has version 0; nothing needs backfilling.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CasbinPolicyVersions {
    Table,
    Domain,
    Version,
}

/// The domain of a policy line: `g` lines carry it in v2, `p` lines in v1 (casbin's
/// RBAC-with-domains layout). `{row}` is `NEW` or `OLD`.
fn domain_of(row: &str) -> String {
    format!("CASE WHEN substr({row}.ptype, 1, 1) = 'g' THEN {row}.v2 ELSE {row}.v1 END")
}

fn bump(row: &str) -> String {
    format!(
        "INSERT INTO casbin_policy_versions (domain, version) VALUES ({}, 1) \
         ON CONFLICT (domain) DO UPDATE SET version = casbin_policy_versions.version + 1;",
        domain_of(row)
    )
}

fn sqlite_triggers() -> Vec<String> {
    vec![
        format!(
            "CREATE TRIGGER trg_casbin_policy_insert AFTER INSERT ON casbin_rule BEGIN {} END",
            bump("NEW")
        ),
        format!(
            "CREATE TRIGGER trg_casbin_policy_delete AFTER DELETE ON casbin_rule BEGIN {} END",
            bump("OLD")
        ),
        format!(
            "CREATE TRIGGER trg_casbin_policy_update AFTER UPDATE ON casbin_rule BEGIN {} {} END",
            bump("OLD"),
            bump("NEW")
        ),
    ]
}

fn postgres_triggers() -> Vec<String> {
    vec![
        format!(
            "CREATE FUNCTION patchbay_casbin_policy_version() RETURNS trigger LANGUAGE plpgsql \
             AS $$ BEGIN \
               IF TG_OP IN ('UPDATE', 'DELETE') THEN {} END IF; \
               IF TG_OP IN ('UPDATE', 'INSERT') THEN {} END IF; \
               RETURN NULL; \
             END $$",
            bump("OLD"),
            bump("NEW")
        ),
        "CREATE TRIGGER trg_casbin_policy_version AFTER INSERT OR UPDATE OR DELETE \
         ON casbin_rule FOR EACH ROW EXECUTE FUNCTION patchbay_casbin_policy_version()"
            .to_owned(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CasbinPolicyVersions::Table)
                    .col(string(CasbinPolicyVersions::Domain).primary_key())
                    .col(big_integer(CasbinPolicyVersions::Version).default(0))
                    .to_owned(),
            )
            .await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        let db = manager.get_connection();
        for sql in triggers {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DbBackend::Postgres => &[
                "DROP TRIGGER trg_casbin_policy_version ON casbin_rule",
                "DROP FUNCTION patchbay_casbin_policy_version()",
            ],
            _ => &[
                "DROP TRIGGER trg_casbin_policy_insert",
                "DROP TRIGGER trg_casbin_policy_delete",
                "DROP TRIGGER trg_casbin_policy_update",
            ],
        };
        for sql in drops {
            db.execute_unprepared(sql).await?;
        }
        manager
            .drop_table(Table::drop().table(CasbinPolicyVersions::Table).to_owned())
            .await
    }
}
