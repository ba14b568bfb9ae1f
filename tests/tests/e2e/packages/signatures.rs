//! A workspace that requires signed packages, trusting one key.

use packager::testing::edit_manifest;

use super::hostile::refused;
use super::*;

/// [`arrange_sales_export`], with `acme-prod` requiring packages signed by the key of seed 7: the
/// server and the package read from the (unsigned) archive.
async fn arrange_signed_only(
    backend: Backend,
) -> anyhow::Result<(Dev, Vec<u8>, packager::Package)> {
    let (dev, _, good) = arrange_sales_export(backend).await?;
    let package = read(&good)?;
    let trusted = packager::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let key = base64_standard(trusted.as_bytes());
    let policy = ok(
        &dev.app,
        &dev.admin,
        SET_POLICY,
        "setPackagePolicy",
        json!({ "workspace": "acme-prod", "requireSigned": true, "trustedKeys": [key] }),
    )
    .await?;
    assert_eq!(policy["requireSigned"], true);
    Ok((dev, good, package))
}

async fn unsigned_and_untrusted_refused(backend: Backend) -> anyhow::Result<()> {
    let (Dev { app, admin, .. }, good, package) = arrange_signed_only(backend).await?;
    refused(&app, &admin, "unsigned", &good, "SIGNATURE_REQUIRED").await?;
    refused(
        &app,
        &admin,
        "signed by another key",
        &signed(&package, 8)?,
        "UNTRUSTED_KEY",
    )
    .await?;
    let forged = edit_manifest(&signed(&package, 7)?, |m| m["exporter"] = "mallory".into());
    refused(
        &app,
        &admin,
        "signature over another manifest",
        &forged,
        "BAD_SIGNATURE",
    )
    .await?;
    app.stop().await
}

tests::on_both_backends!(
    a_workspace_requiring_signatures_refuses_unsigned_untrusted_and_forged_packages_whole,
    super::unsigned_and_untrusted_refused
);

async fn signed_accepted(backend: Backend) -> anyhow::Result<()> {
    let (Dev { app, admin, .. }, good, package) = arrange_signed_only(backend).await?;
    refused(&app, &admin, "unsigned", &good, "SIGNATURE_REQUIRED").await?;
    let good_signed = signed(&package, 7)?;
    let (dry, applied) = plan_and_apply(&app, &admin, &good_signed).await?;
    assert_eq!(dry["plan"]["creates"], 4, "{dry}");
    assert_eq!(applied["package"]["outcome"], "applied");
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["recipes"].as_array().map(Vec::len), Some(2));
    // Refused imports leave no trace in the history: only the signed package's two records.
    assert_eq!(prod["packages"].as_array().map(Vec::len), Some(2), "{prod}");
    app.stop().await
}

tests::on_both_backends!(
    a_package_signed_by_a_trusted_key_is_planned_and_applied_where_unsigned_ones_leave_no_trace,
    super::signed_accepted
);
