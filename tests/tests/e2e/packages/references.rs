//! References this server cannot resolve: the dry run plans a conflict with the reason, the apply
//! is refused and writes nothing, and production stays empty.

use super::*;
use crate::fixtures::ACME_ERP_1_1_0;

fn set_reference(
    connector: &mut packager::ConnectorAsset,
    listing: &str,
    version: &str,
    sha256: &str,
) {
    connector.sha256 = sha256.to_owned();
    connector.content = packager::ConnectorContent::Reference(packager::CatalogReference {
        listing: listing.to_owned(),
        version: version.to_owned(),
        sha256: sha256.to_owned(),
    });
}

/// The closed-source export with its reference changed by `tamper` is planned as a conflict for
/// `reason` and cannot be applied; production stays empty.
async fn unresolvable(
    backend: Backend,
    what: &str,
    tamper: impl FnOnce(&mut packager::PackageInput),
    reason: Value,
) -> anyhow::Result<()> {
    let (app, admin, archive) = arrange_closed_export(backend).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let tampered = rebuilt(&read(&archive)?, tamper)?;
    let dry = import(&app, &admin, "acme-prod", &tampered, true, None).await?;
    assert_eq!(dry["plan"]["applicable"], false, "{what}: {dry}");
    assert_eq!(dry["plan"]["conflicts"], 1, "{what}: {dry}");
    assert_eq!(dry["plan"]["missingDependencies"], 0, "{what}: {dry}");
    let step = &dry["plan"]["detail"]["connectors"][0];
    assert_eq!(step["action"], "conflict", "{what}: {dry}");
    assert_eq!(
        step["reasons"],
        json!([{ "code": "NOT_IN_TARGET" }, reason]),
        "{what}: {dry}"
    );
    assert_eq!(step["create_version"], Value::Null, "{what}: {dry}");
    let fp = fingerprint(&dry);
    assert_apply_refused(
        &app,
        &admin,
        what,
        &tampered,
        Some(&fp),
        "CONFLICT",
        "archive",
    )
    .await?;
    let prod = app
        .data(Some(&admin), CLOSED_STATE, json!({ "ws": "acme-prod" }))
        .await?;
    assert_eq!(prod["workspace"]["connectors"], json!([]));
    assert_eq!(prod["workspace"]["recipes"], json!([]));
    app.stop().await
}

async fn unknown_version(backend: Backend) -> anyhow::Result<()> {
    let sha = sha256_hex(ACME_ERP_1_1_0);
    unresolvable(
        backend,
        "unknown version",
        |input| set_reference(&mut input.connectors[0], ERP, "9.9.9", &sha),
        json!({ "code": "UNKNOWN_VERSION", "listing": ERP, "version": "9.9.9" }),
    )
    .await
}

tests::on_both_backends!(
    a_reference_to_a_version_the_catalog_lacks_is_a_conflict,
    super::unknown_version
);

async fn wrong_sha256(backend: Backend) -> anyhow::Result<()> {
    let other_sha = sha256_hex("export default { title: \"Not Acme ERP\" };\n");
    unresolvable(
        backend,
        "wrong sha256",
        |input| set_reference(&mut input.connectors[0], ERP, "1.1.0", &other_sha),
        json!({ "code": "CATALOG_SHA256_DIFFERS", "listing": ERP, "version": "1.1.0" }),
    )
    .await
}

tests::on_both_backends!(
    a_reference_whose_sha256_is_not_the_catalog_versions_is_a_conflict,
    super::wrong_sha256
);

async fn another_versions_sha256(backend: Backend) -> anyhow::Result<()> {
    let sha = sha256_hex(ACME_ERP_1_1_0);
    unresolvable(
        backend,
        "another version's sha256",
        |input| set_reference(&mut input.connectors[0], ERP, "1.0.0", &sha),
        json!({ "code": "CATALOG_SHA256_DIFFERS", "listing": ERP, "version": "1.0.0" }),
    )
    .await
}

tests::on_both_backends!(
    a_reference_carrying_another_versions_sha256_is_a_conflict,
    super::another_versions_sha256
);

async fn unknown_listing(backend: Backend) -> anyhow::Result<()> {
    let sha = sha256_hex(ACME_ERP_1_1_0);
    let tamper = |input: &mut packager::PackageInput| {
        let connector = &mut input.connectors[0];
        connector.slug = "ghost-erp".into();
        connector.parent = None;
        set_reference(connector, "ghost-erp", "1.1.0", &sha);
        for recipe in &mut input.recipes {
            let text = recipe.definition.to_string().replace(ERP, "ghost-erp");
            recipe.definition = serde_json::from_str(&text).unwrap_or_default();
        }
    };
    unresolvable(
        backend,
        "unknown listing",
        tamper,
        json!({ "code": "UNKNOWN_LISTING", "listing": "ghost-erp" }),
    )
    .await
}

tests::on_both_backends!(
    a_reference_to_a_listing_the_catalog_lacks_is_a_conflict,
    super::unknown_listing
);
