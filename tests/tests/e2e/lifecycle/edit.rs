//! Editing, releasing and restoring a copy: each change is a new version, the workspace runs the
//! released one, and an old version comes back as a new one.

use serde_json::{Value, json};
use tests::{Backend, error_code};

use super::story::{
    Step, Story, missing_copy, source_100, source_200, source_broken, source_edited, source_merged,
};
use crate::fixtures::sha256_hex;

async fn an_edit_is_a_new_version_and_releases_nothing(backend: Backend) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Installed).await?;
    let copy = story.take(Step::Edited).await?;
    let source_edited = source_edited();
    assert_ne!(source_edited, source_100());
    assert_eq!(copy["latestNumber"], 2);
    assert_eq!(copy["releasedNumber"], Value::Null);
    assert_eq!(copy["parentVersion"], json!({ "version": "1.0.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 2, "sha256": sha256_hex(&source_edited), "origin": "EDITED",
                "source": source_edited, "baseVersion": { "version": "1.0.0" },
                "author": { "handle": "dev" } })
    );
    assert_eq!(copy["released"], Value::Null);
    story.end().await
}
tests::on_both_backends!(
    an_edit_is_a_new_version_and_releases_nothing,
    super::an_edit_is_a_new_version_and_releases_nothing
);

async fn saving_the_same_source_again_changes_nothing(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Edited).await?;
    let same = story.try_edit(&source_edited()).await?;
    assert_eq!(same["changed"], false, "{same}");
    assert_eq!(same["userErrors"], json!([]));
    assert_eq!(same["workspaceConnector"]["latestNumber"], 2);
    story.end().await
}
tests::on_both_backends!(
    saving_the_same_source_again_changes_nothing,
    super::saving_the_same_source_again_changes_nothing
);

async fn invalid_source_is_refused_at_its_line_and_nothing_is_written(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Edited).await?;
    let broken = story.try_edit(&source_broken()).await?;
    assert_eq!(broken["workspaceConnector"], Value::Null, "{broken}");
    assert_eq!(broken["changed"], false, "{broken}");
    assert_eq!(broken["userErrors"][0]["field"], json!(["input", "source"]));
    assert_eq!(broken["userErrors"][0]["code"], "BAD_USER_INPUT");
    assert_eq!(broken["userErrors"][0]["line"], 13, "{broken}");
    assert_eq!(story.copy().await?["latestNumber"], 2);
    story.end().await
}
tests::on_both_backends!(
    invalid_source_is_refused_at_its_line_and_nothing_is_written,
    super::invalid_source_is_refused_at_its_line_and_nothing_is_written
);

async fn to_an_outsider_a_copy_does_not_exist_exactly_like_a_missing_one(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Edited).await?;
    let outsider = story.app.user_with_token("outsider").await?;
    let theirs = story.release_as(&outsider, story.id.clone()).await?;
    assert_eq!(error_code(&theirs), Some("NOT_FOUND"), "{theirs}");
    let missing = story.release_as(&story.dev, missing_copy()).await?;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"), "{missing}");
    assert_eq!(theirs, missing);
    story.end().await
}
tests::on_both_backends!(
    to_an_outsider_a_copy_does_not_exist_exactly_like_a_missing_one,
    super::to_an_outsider_a_copy_does_not_exist_exactly_like_a_missing_one
);

async fn releasing_makes_the_latest_version_the_released_one(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Edited).await?;
    let copy = story.take(Step::Released).await?;
    assert_eq!(copy["releasedNumber"], 2);
    assert_eq!(
        copy["released"],
        json!({ "number": 2, "sha256": sha256_hex(&source_edited()), "origin": "EDITED" })
    );
    story.end().await
}
tests::on_both_backends!(
    releasing_makes_the_latest_version_the_released_one,
    super::releasing_makes_the_latest_version_the_released_one
);

async fn releasing_again_changes_nothing(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Released).await?;
    let again = story.try_release().await?;
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["userErrors"], json!([]));
    assert_eq!(again["workspaceConnector"]["latestNumber"], 2);
    assert_eq!(again["workspaceConnector"]["releasedNumber"], 2);
    story.end().await
}
tests::on_both_backends!(
    releasing_again_changes_nothing,
    super::releasing_again_changes_nothing
);

async fn restoring_a_version_makes_a_copy_of_it_the_latest_and_releases_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Replaced).await?;
    let copy = story.take(Step::Restored).await?;
    assert_eq!(copy["latestNumber"], 5);
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(copy["latest"]["number"], 5);
    assert_eq!(copy["latest"]["origin"], "RESTORED");
    assert_eq!(copy["latest"]["source"], source_edited().as_str());
    assert_eq!(
        copy["latest"]["sha256"],
        sha256_hex(&source_edited()).as_str()
    );
    story.end().await
}
tests::on_both_backends!(
    restoring_a_version_makes_a_copy_of_it_the_latest_and_releases_nothing,
    super::restoring_a_version_makes_a_copy_of_it_the_latest_and_releases_nothing
);

async fn releasing_a_restored_version_rolls_the_workspace_back(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Restored).await?;
    let copy = story.take(Step::RolledBack).await?;
    assert_eq!(copy["releasedNumber"], 5);
    assert_eq!(
        copy["released"],
        json!({ "number": 5, "sha256": sha256_hex(&source_edited()), "origin": "RESTORED" })
    );
    story.end().await
}
tests::on_both_backends!(
    releasing_a_restored_version_rolls_the_workspace_back,
    super::releasing_a_restored_version_rolls_the_workspace_back
);

async fn the_history_keeps_every_version_newest_first(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::RolledBack).await?;
    let history = story.copy().await?;
    let version = |number: u32, origin: &str, source: String| json!({ "number": number, "sha256": sha256_hex(&source), "origin": origin, "source": source });
    assert_eq!(
        history["versions"],
        json!([
            version(5, "RESTORED", source_edited()),
            version(4, "UPDATED", source_200()),
            version(3, "UPDATED", source_merged()),
            version(2, "EDITED", source_edited()),
            version(1, "INSTALLED", source_100()),
        ])
    );
    story.end().await
}
tests::on_both_backends!(
    the_history_keeps_every_version_newest_first,
    super::the_history_keeps_every_version_newest_first
);
