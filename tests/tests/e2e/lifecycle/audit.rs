//! The audit log: the whole story, told once with every request of it, leaves each change on the
//! log in order (and the analyst's denied attempt), and nothing for what changed nothing; the log
//! is the admin's to read.

use serde_json::{Value, json};
use tests::{Backend, error_code};

use super::AUDIT;
use super::story::{Step, Story, missing_copy, source_broken, source_edited};

/// The workspace's audit events, oldest first, each `detail` parsed.
async fn events_oldest_first(story: &Story) -> anyhow::Result<Vec<Value>> {
    let audit = story
        .app
        .data(Some(&story.admin), AUDIT, json!({ "ws": "ops" }))
        .await?;
    let mut events = Vec::new();
    for event in audit["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut event = event.clone();
        let detail = event["detail"].as_str().unwrap_or_default();
        event["detail"] = serde_json::from_str(detail)?;
        events.push(event);
    }
    events.reverse();
    Ok(events)
}

/// The story's events: the workspace and its members by the admin, the analyst's denied install,
/// then every change the developer made to the copy `raw_id`.
fn story_events(raw_id: &str) -> Vec<Value> {
    let by_admin = |action: &str, object_type: &str, object_id: &str, detail: Value| {
        json!({ "action": action, "objectType": object_type, "objectId": object_id,
                "outcome": "success", "actor": { "handle": "admin" }, "detail": detail })
    };
    let copy_event = |action: &str, detail: Value| {
        json!({ "action": action, "objectType": "workspace_connector", "objectId": raw_id,
                "outcome": "success", "actor": { "handle": "dev" }, "detail": detail })
    };
    vec![
        by_admin("workspace.create", "workspace", "ops", json!({})),
        by_admin(
            "workspace.manage_members",
            "member",
            "dev",
            json!({ "role": "developer" }),
        ),
        by_admin(
            "workspace.manage_members",
            "member",
            "analyst",
            json!({ "role": "analyst" }),
        ),
        json!({ "action": "connector.install", "objectType": "workspace", "objectId": "ops",
                "outcome": "denied", "actor": { "handle": "analyst" }, "detail": { "role": "analyst" } }),
        copy_event(
            "connector.install",
            json!({ "listing": "weather", "version": "1.0.0" }),
        ),
        copy_event("connector.edit", json!({ "number": 2 })),
        copy_event("connector.release", json!({ "from": null, "to": 2 })),
        copy_event(
            "connector.edit",
            json!({ "to": "1.1.0", "number": 3, "strategy": "merge" }),
        ),
        copy_event("connector.release", json!({ "from": 2, "to": 3 })),
        copy_event(
            "connector.edit",
            json!({ "to": "2.0.0", "number": 4, "strategy": "replace" }),
        ),
        copy_event("connector.edit", json!({ "restored": 2, "number": 5 })),
        copy_event("connector.release", json!({ "from": 3, "to": 5 })),
        json!({ "action": "notification.read", "objectType": "workspace", "objectId": "ops",
                "outcome": "success", "actor": { "handle": "dev" }, "detail": { "marked": 2 } }),
        copy_event("connector.uninstall", json!({ "name": "Weather" })),
    ]
}

/// The copy's id as the audit log names it: the database's number.
fn raw_copy_id(id: &Value) -> anyhow::Result<String> {
    id.as_str()
        .and_then(|id| {
            api::graphql::ids::decode_as(api::graphql::ids::Kind::WorkspaceConnector, id)
        })
        .map(|id| id.to_string())
        .ok_or_else(|| anyhow::anyhow!("not a workspace connector id: {id}"))
}

/// The smoke test: the whole story, each step and each attempt and read in its place.
async fn the_story_is_on_the_audit_log_in_order(backend: Backend) -> anyhow::Result<()> {
    let mut s = Story::arrange(backend, Step::MembersAdded).await?;
    s.my_workspaces().await?;
    s.analyst_tries_to_install().await?;
    s.take(Step::Installed).await?;
    s.take(Step::Edited).await?;
    s.try_edit(&source_edited()).await?;
    s.try_edit(&source_broken()).await?;
    s.copy().await?;
    let outsider = s.app.user_with_token("outsider").await?;
    s.release_as(&outsider, s.id.clone()).await?;
    s.release_as(&s.dev, missing_copy()).await?;
    s.take(Step::Released).await?;
    s.try_release().await?;
    s.notices(false).await?;
    s.take(Step::Published110).await?;
    s.notices(true).await?;
    s.preview(&s.dev).await?;
    s.preview(&s.analyst).await?;
    s.analyst_reads_copy().await?;
    s.try_update(None).await?;
    s.take(Step::Merged).await?;
    s.copy().await?;
    s.take(Step::MergeReleased).await?;
    s.take(Step::Published200).await?;
    s.notices(false).await?;
    s.copy().await?;
    s.try_update(Some("MERGE")).await?;
    s.copy().await?;
    for step in [Step::Replaced, Step::Restored, Step::RolledBack] {
        s.take(step).await?;
    }
    s.copy().await?;
    s.take(Step::NoticesRead).await?;
    s.notices(true).await?;
    s.metrics().await?;
    s.take(Step::Uninstalled).await?;
    s.copies_and_copy().await?;
    s.metrics().await?;
    assert_eq!(
        events_oldest_first(&s).await?,
        story_events(&raw_copy_id(&s.id)?)
    );
    s.end().await
}
tests::on_both_backends!(
    the_story_is_on_the_audit_log_in_order,
    super::the_story_is_on_the_audit_log_in_order
);

async fn the_audit_log_is_the_admins_to_read_not_a_developers(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Uninstalled).await?;
    let hidden = story
        .app
        .graphql(Some(&story.dev), AUDIT, json!({ "ws": "ops" }))
        .await?;
    assert_eq!(error_code(&hidden), Some("FORBIDDEN"), "{hidden}");
    story.end().await
}
tests::on_both_backends!(
    the_audit_log_is_the_admins_to_read_not_a_developers,
    super::the_audit_log_is_the_admins_to_read_not_a_developers
);
