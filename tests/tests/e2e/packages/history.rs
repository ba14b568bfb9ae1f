//! What the story leaves on record: each workspace's package history and its audit log.

use super::*;

async fn history_newest_first(backend: Backend) -> anyhow::Result<()> {
    let rounds = arrange_two_rounds(backend).await?;
    apply_again(&rounds).await?;
    let TwoRounds {
        dev, first, second, ..
    } = rounds;
    let dev_state = state_of(&dev.app, &dev.admin, "acme-dev").await?;
    let dev_history: Vec<(Value, Value)> = dev_state["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["direction"].clone(), p["outcome"].clone()))
        .collect();
    assert_eq!(dev_history, vec![(json!("export"), json!("exported")); 2]);
    assert_eq!(dev_state["packages"][0]["packageId"], second["packageId"]);
    assert_eq!(dev_state["packages"][1]["packageId"], first["packageId"]);
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    let prod_history: Vec<Value> = prod["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            json!([
                p["direction"],
                p["outcome"],
                p["packageId"],
                p["downloadPath"]
            ])
        })
        .collect();
    let (first_id, second_id) = (&first["packageId"], &second["packageId"]);
    assert_eq!(
        prod_history,
        vec![
            json!(["import", "applied", second_id, null]),
            json!(["import", "applied", second_id, null]),
            json!(["import", "planned", second_id, null]),
            json!(["import", "applied", first_id, null]),
            json!(["import", "planned", first_id, null]),
        ]
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    the_history_holds_exports_in_development_and_dry_runs_and_applies_in_production_newest_first,
    super::history_newest_first
);

/// The audit events of `ws` with `action`, each of which must be a successful one on a package.
async fn package_events(
    app: &TestApp,
    token: &str,
    ws: &str,
    action: &str,
) -> anyhow::Result<Vec<Value>> {
    let audit = app.data(Some(token), AUDIT, json!({ "ws": ws })).await?;
    let events = filtered(&audit["workspace"]["auditEvents"], |e| {
        e["action"] == action
    });
    assert!(
        events
            .iter()
            .all(|e| e["objectType"] == "package" && e["outcome"] == "success"),
        "{audit}"
    );
    Ok(events.into_iter().cloned().collect())
}

async fn exports_and_imports_audited(backend: Backend) -> anyhow::Result<()> {
    let rounds = arrange_two_rounds(backend).await?;
    apply_again(&rounds).await?;
    let Dev { app, admin, .. } = rounds.dev;
    let exports = package_events(&app, &admin, "acme-dev", "package.export").await?;
    assert_eq!(exports.len(), 2, "{exports:?}");
    let imports = package_events(&app, &admin, "acme-prod", "package.import").await?;
    assert_eq!(imports.len(), 5, "{imports:?}");
    app.stop().await
}

tests::on_both_backends!(
    every_export_and_every_import_is_audited_as_a_success,
    super::exports_and_imports_audited
);
