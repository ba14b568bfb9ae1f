//! Updates: a new version of the listing is previewed against the copy (source and capability
//! diffs), then applied by MERGE (keeping the local edits where they do not overlap) or REPLACE
//! (the new version exactly); a release stays where it is until someone releases.

use serde_json::{Value, json};
use tests::{Backend, error_code};

use super::story::{Step, Story, source_110, source_200, source_edited, source_merged};
use super::{LOCAL_DESCRIPTION, ORIGINAL_DESCRIPTION, changed_lines};
use crate::fixtures::sha256_hex;

/// The capability diff from the edited 1.0.0 to 1.1.0: one action added.
fn alerts_added() -> Value {
    json!({
        "actionsAdded": ["alerts"], "actionsRemoved": [], "actionsChanged": [],
        "triggersAdded": [], "triggersRemoved": [], "hostsAdded": [], "hostsRemoved": [],
        "connectionFieldsAdded": [], "connectionFieldsRemoved": [], "breakingHints": [],
    })
}

async fn the_preview_diffs_the_latest_version_against_the_new_one(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Published110).await?;
    let connector = story.preview(&story.dev).await?;
    assert_eq!(connector["updateAvailable"], json!({ "version": "1.1.0" }));
    let p = &connector["updatePreview"];
    assert_eq!(p["fromNumber"], 2);
    assert_eq!(p["toVersion"], json!({ "version": "1.1.0" }));
    assert_eq!(p["hasLocalEdits"], true);
    let diff = p["sourceDiff"].as_str().unwrap_or_default();
    assert_eq!(
        diff.lines().take(2).collect::<Vec<_>>(),
        vec!["--- workspace v2", "+++ community 1.1.0"],
        "{diff}"
    );
    let added_action = [
        "+    alerts: {",
        "+      title: \"Alerts\",",
        "+      input_fields: [ { name: \"id\" } ],",
        "+      output_fields: [ { name: \"ok\", type: \"boolean\" } ],",
        "+      execute: (connection, input) => get(`/items/${input.id}`),",
        "+    },",
    ];
    let mut expected_lines = vec![
        format!("-{LOCAL_DESCRIPTION}"),
        format!("+{ORIGINAL_DESCRIPTION}"),
    ];
    expected_lines.extend(added_action.iter().map(|l| (*l).to_owned()));
    assert_eq!(changed_lines(diff), expected_lines, "{diff}");
    assert_eq!(p["linesAdded"], 7);
    assert_eq!(p["linesRemoved"], 1);
    assert_eq!(p["capabilityDiff"], alerts_added());
    story.end().await
}
tests::on_both_backends!(
    the_preview_diffs_the_latest_version_against_the_new_one,
    super::the_preview_diffs_the_latest_version_against_the_new_one
);

async fn an_analyst_sees_what_an_update_changes_but_not_the_source(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Published110).await?;
    let developers = story.preview(&story.dev).await?;
    let seen = story.preview(&story.analyst).await?;
    let q = &seen["updatePreview"];
    assert_eq!(q["sourceDiff"], Value::Null);
    assert_eq!(q["linesAdded"], 7);
    assert_eq!(
        q["capabilityDiff"],
        developers["updatePreview"]["capabilityDiff"]
    );
    assert_eq!(q["capabilityDiff"], alerts_added());
    story.end().await
}
tests::on_both_backends!(
    an_analyst_sees_what_an_update_changes_but_not_the_source,
    super::an_analyst_sees_what_an_update_changes_but_not_the_source
);

async fn an_analyst_may_not_read_the_copys_source(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Published110).await?;
    let body = story.analyst_reads_copy().await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    story.end().await
}
tests::on_both_backends!(
    an_analyst_may_not_read_the_copys_source,
    super::an_analyst_may_not_read_the_copys_source
);

async fn updating_a_copy_with_local_edits_needs_a_strategy(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Published110).await?;
    let refused = story.try_update(None).await?;
    assert_eq!(
        refused,
        json!({
            "workspaceConnector": null, "changed": false,
            "userErrors": [{
                "field": ["input", "strategy"],
                "message": "the latest version has local edits: choose REPLACE (keep them only in history) or MERGE",
                "code": "BAD_USER_INPUT", "line": null, "column": null,
            }],
        })
    );
    story.end().await
}
tests::on_both_backends!(
    updating_a_copy_with_local_edits_needs_a_strategy,
    super::updating_a_copy_with_local_edits_needs_a_strategy
);

async fn merge_keeps_local_edits_that_do_not_overlap_and_the_release_stays(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Published110).await?;
    let copy = story.take(Step::Merged).await?;
    let source_merged = source_merged();
    assert_ne!(source_merged, source_110());
    assert_eq!(copy["latestNumber"], 3);
    assert_eq!(copy["releasedNumber"], 2);
    assert_eq!(copy["parentVersion"], json!({ "version": "1.1.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 3, "sha256": sha256_hex(&source_merged), "origin": "UPDATED",
                "source": source_merged, "baseVersion": { "version": "1.1.0" },
                "author": { "handle": "dev" } })
    );
    assert_eq!(
        copy["released"],
        json!({ "number": 2, "sha256": sha256_hex(&source_edited()), "origin": "EDITED" })
    );
    assert_eq!(story.copy().await?["updateAvailable"], Value::Null);
    story.end().await
}
tests::on_both_backends!(
    merge_keeps_local_edits_that_do_not_overlap_and_the_release_stays,
    super::merge_keeps_local_edits_that_do_not_overlap_and_the_release_stays
);

async fn a_merged_version_is_released_like_any_other(backend: Backend) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Merged).await?;
    let copy = story.take(Step::MergeReleased).await?;
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(
        copy["released"]["sha256"],
        sha256_hex(&source_merged()).as_str()
    );
    story.end().await
}
tests::on_both_backends!(
    a_merged_version_is_released_like_any_other,
    super::a_merged_version_is_released_like_any_other
);

async fn a_merge_that_conflicts_is_refused_at_its_line_and_writes_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::Published200).await?;
    let before = story.copy().await?;
    let conflict = story.try_update(Some("MERGE")).await?;
    assert_eq!(
        conflict,
        json!({
            "workspaceConnector": null, "changed": false,
            "userErrors": [{
                "field": ["input", "strategy"],
                "message": "merge conflict at line 3 of the local version: local and incoming both changed it",
                "code": "CONFLICT", "line": 3, "column": null,
            }],
        })
    );
    let after = story.copy().await?;
    assert_eq!(after, before);
    assert_eq!(after["latestNumber"], 3);
    assert_eq!(after["versions"].as_array().map(Vec::len), Some(3));
    assert_eq!(after["parentVersion"], json!({ "version": "1.1.0" }));
    story.end().await
}
tests::on_both_backends!(
    a_merge_that_conflicts_is_refused_at_its_line_and_writes_nothing,
    super::a_merge_that_conflicts_is_refused_at_its_line_and_writes_nothing
);

async fn replace_makes_the_new_version_exactly_and_the_release_stays(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Published200).await?;
    let copy = story.take(Step::Replaced).await?;
    let source_200 = source_200();
    assert_ne!(source_200, source_110());
    assert_eq!(copy["latestNumber"], 4);
    assert_eq!(copy["releasedNumber"], 3);
    assert_eq!(copy["parentVersion"], json!({ "version": "2.0.0" }));
    assert_eq!(
        copy["latest"],
        json!({ "number": 4, "sha256": sha256_hex(&source_200), "origin": "UPDATED",
                "source": source_200, "baseVersion": { "version": "2.0.0" },
                "author": { "handle": "dev" } })
    );
    story.end().await
}
tests::on_both_backends!(
    replace_makes_the_new_version_exactly_and_the_release_stays,
    super::replace_makes_the_new_version_exactly_and_the_release_stays
);
