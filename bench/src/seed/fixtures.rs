//! The small, service-made fixtures the benchmark harness needs: the `bench` user, the
//! workspaces it administers, and the package source workspace with released connectors and
//! recipes (written in bulk: 1,000 recipes through the service would take minutes).

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Value};
use serde_json::json;
use service::auth::{self, Principal};
use service::error::ServiceError;
use service::{authz, db, lifecycle, recipes, workspaces};

use super::bulk::{BulkInsert, scalar};
use super::catalog::GenListing;
use super::sources::{Family, SourceVersion};
use super::{
    BENCH_USER, BENCH_WORKSPACES, PACKAGE_CONNECTORS, PACKAGE_RECIPES, PACKAGE_SOURCE,
    PACKAGE_TARGET,
};

/// A listing chosen for the package source, with its latest version.
type Chosen<'a> = (&'a GenListing, &'a SourceVersion);

fn svc(e: ServiceError) -> anyhow::Error {
    e.into_anyhow()
}

pub(super) async fn seed_bench_fixtures(
    db: &DatabaseConnection,
    listings: &[GenListing],
    families: &[Family],
) -> anyhow::Result<()> {
    let principal = bench_user_and_workspaces(db).await?;
    let chosen = choose_connectors(listings, families)?;
    let copy_ids = install_and_release(db, &principal, &chosen).await?;
    let workspace_id = scalar(
        db,
        &format!("SELECT id FROM workspaces WHERE slug = '{PACKAGE_SOURCE}'"),
    )
    .await?;
    write_recipes(db, &chosen, &copy_ids, workspace_id).await
}

/// The `bench` user, admin of `bench-01` … and of the package source and target.
async fn bench_user_and_workspaces(db: &DatabaseConnection) -> anyhow::Result<Principal> {
    let user = auth::create_user(db, BENCH_USER, "Benchmark", "bench@example.com", Utc::now())
        .await
        .map_err(svc)?;
    for i in 1..=BENCH_WORKSPACES {
        let (slug, name) = (format!("bench-{i:02}"), format!("Bench {i}"));
        workspaces::create_workspace(db, &user, &slug, &name, "development")
            .await
            .map_err(svc)?;
    }
    workspaces::create_workspace(db, &user, PACKAGE_SOURCE, "Package source", "development")
        .await
        .map_err(svc)?;
    workspaces::create_workspace(db, &user, PACKAGE_TARGET, "Package target", "production")
        .await
        .map_err(svc)?;
    Ok(Principal { user: Some(user) })
}

/// 100 listings spread over the catalog whose latest version has a trigger and actions.
fn choose_connectors<'a>(
    listings: &'a [GenListing],
    families: &'a [Family],
) -> anyhow::Result<Vec<Chosen<'a>>> {
    let mut chosen: Vec<Chosen<'a>> = Vec::new();
    for l in listings.iter().step_by((listings.len() / 500).max(1)) {
        let Some(&(_, index, _)) = l.versions.last() else {
            continue;
        };
        let v = &families[l.family].versions[index];
        if v.has_trigger && !v.actions.is_empty() {
            chosen.push((l, v));
        }
        if chosen.len() == PACKAGE_CONNECTORS {
            break;
        }
    }
    anyhow::ensure!(
        chosen.len() == PACKAGE_CONNECTORS,
        "only {} listings have a trigger and actions",
        chosen.len()
    );
    Ok(chosen)
}

/// Install each chosen listing into the package source and release the copy; the copies' ids.
async fn install_and_release(
    db: &DatabaseConnection,
    principal: &Principal,
    chosen: &[Chosen<'_>],
) -> anyhow::Result<Vec<i64>> {
    // The service path decides through an authorizer of its own.
    let authorizer = authz::Authorizer::new().await?;
    let mut copy_ids = Vec::with_capacity(chosen.len());
    for (l, _) in chosen {
        let copy = lifecycle::install(db, &authorizer, principal, PACKAGE_SOURCE, &l.slug, None)
            .await
            .map_err(svc)?
            .copy;
        lifecycle::release(db, &authorizer, principal, copy.id)
            .await
            .map_err(svc)?;
        copy_ids.push(copy.id);
    }
    Ok(copy_ids)
}

/// 1,000 recipes, each a trigger of one connector and three actions of others, and which
/// copies each uses.
async fn write_recipes(
    db: &DatabaseConnection,
    chosen: &[Chosen<'_>],
    copy_ids: &[i64],
    workspace_id: i64,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let mut rng = StdRng::seed_from_u64(1000);
    let now = Utc::now();
    let recipe_base = scalar(db, "SELECT MAX(id) FROM recipes").await?;
    let txn = db::begin_write(db).await?;
    let mut ins = BulkInsert::new(
        backend,
        "recipes",
        "id, workspace_id, asset_id, folder, name, description, definition, state, created_at, updated_at",
        "(?, ?, ?, ?, ?, ?, ?, 'stopped', ?, ?)",
        1_000,
    );
    let columns = "recipe_id, workspace_connector_id";
    let mut uses = BulkInsert::new(backend, "recipe_connectors", columns, "(?, ?)", 5_000);
    for r in 0..PACKAGE_RECIPES {
        let id = recipe_base + 1 + r as i64;
        let (definition, used) = recipe(&mut rng, chosen);
        let values: [Value; 9] = [
            id.into(),
            workspace_id.into(),
            recipes::new_asset_id().into(),
            format!("bench/group-{:02}", r % 10).into(),
            format!("Recipe {r:04}").into(),
            format!("Benchmark recipe {r}").into(),
            definition.into(),
            now.into(),
            now.into(),
        ];
        ins.push(&txn, values).await?;
        for u in used {
            uses.push(&txn, [id.into(), copy_ids[u].into()]).await?;
        }
    }
    ins.flush(&txn).await?;
    uses.flush(&txn).await?;
    txn.commit().await?;
    if backend == DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('recipes', 'id'), (SELECT MAX(id) FROM recipes))",
        )
        .await?;
    }
    Ok(())
}

/// One recipe's definition and the chosen connectors it uses (indexes, trigger first).
fn recipe(rng: &mut StdRng, chosen: &[Chosen<'_>]) -> (serde_json::Value, Vec<usize>) {
    let t = rng.random_range(0..chosen.len());
    let mut used = vec![t];
    let mut steps = Vec::new();
    for _ in 0..3 {
        let a = rng.random_range(0..chosen.len());
        let (l, v) = chosen[a];
        let action = &v.actions[rng.random_range(0..v.actions.len())];
        steps.push(json!({ "connector": l.slug, "action": action }));
        if !used.contains(&a) {
            used.push(a);
        }
    }
    let (tl, tv) = chosen[t];
    let definition = json!({
        "trigger": { "connector": tl.slug, "trigger": tv.first_trigger },
        "steps": steps,
    });
    (definition, used)
}
