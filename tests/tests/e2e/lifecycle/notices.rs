//! Notices: each new version of an installed listing tells the workspace, with its release notes
//! and breaking message, newest first, until the notices are marked read.

use serde_json::{Value, json};
use tests::Backend;

use super::story::{BREAKING_200, NOTES_110, Step, Story};

/// The notice of weather `version` to the copy `id`, unread.
fn notice(id: &Value, version: &str, message: &str, breaking: Option<&str>) -> Value {
    json!({
        "kind": "connector_update_available", "title": format!("Weather {version} is available"),
        "message": message, "breakingMessage": breaking, "workspaceConnectorId": id,
        "version": { "version": version }, "readAt": null,
    })
}

async fn no_notice_until_a_new_version_is_published(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Released).await?;
    assert_eq!(
        story.notices(false).await?,
        json!({ "unreadNotificationCount": 0, "notifications": [] })
    );
    story.end().await
}
tests::on_both_backends!(
    no_notice_until_a_new_version_is_published,
    super::no_notice_until_a_new_version_is_published
);

async fn a_new_version_is_announced_with_its_release_notes(backend: Backend) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Released).await?;
    story.take(Step::Published110).await?;
    assert_eq!(
        story.notices(true).await?,
        json!({
            "unreadNotificationCount": 1,
            "notifications": [notice(&story.id, "1.1.0", NOTES_110, None)],
        })
    );
    story.end().await
}
tests::on_both_backends!(
    a_new_version_is_announced_with_its_release_notes,
    super::a_new_version_is_announced_with_its_release_notes
);

async fn a_breaking_version_is_announced_with_its_breaking_message_newest_first(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::MergeReleased).await?;
    story.take(Step::Published200).await?;
    let notes = story.notices(false).await?;
    assert_eq!(notes["unreadNotificationCount"], 2);
    assert_eq!(
        notes["notifications"],
        json!([
            notice(&story.id, "2.0.0", "Second edition", Some(BREAKING_200)),
            notice(&story.id, "1.1.0", NOTES_110, None),
        ])
    );
    story.end().await
}
tests::on_both_backends!(
    a_breaking_version_is_announced_with_its_breaking_message_newest_first,
    super::a_breaking_version_is_announced_with_its_breaking_message_newest_first
);

async fn marking_the_notices_read_leaves_none_unread(backend: Backend) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::RolledBack).await?;
    let marked = story.take(Step::NoticesRead).await?;
    assert_eq!(marked, json!({ "marked": 2, "unreadCount": 0 }));
    assert_eq!(
        story.notices(true).await?,
        json!({ "unreadNotificationCount": 0, "notifications": [] })
    );
    story.end().await
}
tests::on_both_backends!(
    marking_the_notices_read_leaves_none_unread,
    super::marking_the_notices_read_leaves_none_unread
);
