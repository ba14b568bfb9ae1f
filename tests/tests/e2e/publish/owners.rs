//! Co-owners publish; owners can be removed, but never the last one.

use crate::fixtures::{ADD_OWNER, REMOVE_OWNER};

use super::*;

/// The tokens of ada (who created `shared`) and bob, and the source of every version.
struct Shared {
    ada: String,
    bob: String,
    source: String,
}

/// `shared`, created by ada; bob has an account but owns nothing.
async fn arrange_shared(app: &TestApp) -> anyhow::Result<Shared> {
    let ada = app.user_with_token("ada").await?;
    let bob = app.user_with_token("bob").await?;
    let source = connector_source("Shared", &[("ping", "Ping")]);
    arrange_listing(app, &ada, "shared", "Shared", "utilities", &source).await?;
    Ok(Shared { ada, bob, source })
}

/// `ADD` or `REMOVE` of `handle` on `shared`, by `token`; the payload.
async fn change_owner(
    app: &TestApp,
    token: &str,
    mutation_field: (&str, &str),
    handle: &str,
) -> anyhow::Result<Value> {
    let input = json!({ "slug": "shared", "handle": handle });
    mutation(app, token, mutation_field, input).await
}

const ADD: (&str, &str) = (ADD_OWNER, "addConnectorOwner");
const REMOVE: (&str, &str) = (REMOVE_OWNER, "removeConnectorOwner");

/// `shared` with bob added as an owner by ada; the `addConnectorOwner` payload.
async fn arrange_co_owned(app: &TestApp) -> anyhow::Result<(Shared, Value)> {
    let shared = arrange_shared(app).await?;
    let added = change_owner(app, &shared.ada, ADD, "bob").await?;
    Ok((shared, added))
}

/// `shared`, co-owned, with 1.1.0 published by bob; the `publishVersion` version.
async fn arrange_published_by_bob(app: &TestApp) -> anyhow::Result<(Shared, Value)> {
    let (shared, _) = arrange_co_owned(app).await?;
    let by_bob = publish(
        app,
        &shared.bob,
        json!({ "slug": "shared", "version": "1.1.0", "source": shared.source }),
    )
    .await?;
    Ok((shared, by_bob))
}

/// After bob's 1.1.0, bob removes ada; the `removeConnectorOwner` payload.
async fn arrange_handed_over(app: &TestApp) -> anyhow::Result<(Shared, Value)> {
    let (shared, _) = arrange_published_by_bob(app).await?;
    let removed = change_owner(app, &shared.bob, REMOVE, "ada").await?;
    Ok((shared, removed))
}

async fn only_owners(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let shared = arrange_shared(&app).await?;
    refused_publish(
        &app,
        &shared.bob,
        json!({ "slug": "shared", "version": "1.1.0", "source": shared.source }),
    )
    .await?;
    app.stop().await
}
tests::on_both_backends!(only_an_owner_may_publish, super::only_owners);

async fn adds(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, added) = arrange_co_owned(&app).await?;
    assert_eq!(added["userErrors"], json!([]), "{added}");
    assert_eq!(handles(&added["connector"]["owners"]), vec!["ada", "bob"]);
    app.stop().await
}
tests::on_both_backends!(an_owner_adds_a_co_owner, super::adds);

async fn adds_twice(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (shared, _) = arrange_co_owned(&app).await?;
    let again = change_owner(&app, &shared.ada, ADD, "bob").await?;
    assert_eq!(handles(&again["connector"]["owners"]), vec!["ada", "bob"]);
    app.stop().await
}
tests::on_both_backends!(adding_an_owner_twice_changes_nothing, super::adds_twice);

async fn unknown_handle(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (shared, _) = arrange_co_owned(&app).await?;
    let unknown = change_owner(&app, &shared.ada, ADD, "nobody").await?;
    assert_eq!(unknown["connector"], Value::Null);
    assert_eq!(
        unknown["userErrors"][0]["code"], "BAD_USER_INPUT",
        "{unknown}"
    );
    assert_eq!(
        unknown["userErrors"][0]["field"],
        json!(["input", "handle"])
    );
    app.stop().await
}
tests::on_both_backends!(
    an_unknown_handle_is_the_caller_s_mistake,
    super::unknown_handle
);

async fn co_owner_publishes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, by_bob) = arrange_published_by_bob(&app).await?;
    assert_eq!(by_bob["version"], "1.1.0");
    let after = listing(&app, None, json!({ "slug": "shared" })).await?;
    assert_eq!(after["latestVersion"]["version"], "1.1.0");
    assert_eq!(
        after["versions"]["edges"][0]["node"]["publishedBy"]["handle"],
        "bob"
    );
    assert_eq!(
        after["versions"]["edges"][1]["node"]["publishedBy"]["handle"],
        "ada"
    );
    app.stop().await
}
tests::on_both_backends!(
    a_co_owner_publishes_under_their_own_name,
    super::co_owner_publishes
);

async fn removed(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (shared, removed) = arrange_handed_over(&app).await?;
    assert_eq!(removed["userErrors"], json!([]), "{removed}");
    assert_eq!(handles(&removed["connector"]["owners"]), vec!["bob"]);
    let body = refused_publish(
        &app,
        &shared.ada,
        json!({ "slug": "shared", "version": "1.2.0", "source": shared.source }),
    )
    .await?;
    assert_eq!(body["data"], Value::Null, "{body}");
    app.stop().await
}
tests::on_both_backends!(a_removed_owner_may_no_longer_publish, super::removed);

async fn last_owner(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (shared, _) = arrange_handed_over(&app).await?;
    let last = change_owner(&app, &shared.bob, REMOVE, "bob").await?;
    assert_eq!(last["connector"], Value::Null);
    assert_eq!(
        last["userErrors"].as_array().map(Vec::len),
        Some(1),
        "{last}"
    );
    assert_eq!(last["userErrors"][0]["code"], "BAD_USER_INPUT");
    assert_eq!(last["userErrors"][0]["field"], json!(["input", "handle"]));
    let still = listing(&app, None, json!({ "slug": "shared" })).await?;
    assert_eq!(handles(&still["owners"]), vec!["bob"]);
    assert_eq!(still["versions"]["totalCount"], 2);
    app.stop().await
}
tests::on_both_backends!(the_last_owner_cannot_be_removed, super::last_owner);
