//! Uninstalling, and the listing's counters around it: an active install follows its copy to the
//! version it is on; an uninstall ends it but the install stays counted; installing again makes
//! a new copy.

use serde_json::{Value, json};
use tests::Backend;

use super::story::{Step, Story, source_200};

/// Weather's counters: `installs` in total (one of 1.0.0, `installs_200` of 2.0.0), and `active`
/// installs, all on 2.0.0.
fn weather_metrics(installs: u32, active: u32, installs_200: u32) -> Value {
    json!({
        "metrics": { "totalInstalls": installs, "activeInstalls": active },
        "versions": { "edges": [
            { "node": { "version": "2.0.0", "installs": installs_200, "activeInstalls": active } },
            { "node": { "version": "1.1.0", "installs": 0, "activeInstalls": 0 } },
            { "node": { "version": "1.0.0", "installs": 1, "activeInstalls": 0 } },
        ] },
    })
}

async fn an_active_install_follows_the_copy_to_its_version(backend: Backend) -> anyhow::Result<()> {
    let story = Story::arrange(backend, Step::NoticesRead).await?;
    assert_eq!(story.metrics().await?, weather_metrics(1, 1, 0));
    story.end().await
}
tests::on_both_backends!(
    an_active_install_follows_the_copy_to_its_version,
    super::an_active_install_follows_the_copy_to_its_version
);

async fn uninstalling_ends_the_active_install_but_the_install_stays_counted(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::NoticesRead).await?;
    let uninstalled = story.take(Step::Uninstalled).await?;
    assert_eq!(
        uninstalled,
        json!({ "uninstalledId": story.id, "userErrors": [] })
    );
    assert_eq!(
        story.copies_and_copy().await?,
        json!({ "connectors": [], "connector": null })
    );
    assert_eq!(story.metrics().await?, weather_metrics(1, 0, 0));
    story.end().await
}
tests::on_both_backends!(
    uninstalling_ends_the_active_install_but_the_install_stays_counted,
    super::uninstalling_ends_the_active_install_but_the_install_stays_counted
);

async fn installing_again_makes_a_new_copy_of_the_newest_version(
    backend: Backend,
) -> anyhow::Result<()> {
    let mut story = Story::arrange(backend, Step::Uninstalled).await?;
    let uninstalled = story.id.clone();
    let again = story.take(Step::Installed).await?;
    assert_ne!(again["id"], uninstalled);
    assert_eq!(again["latestNumber"], 1);
    assert_eq!(again["releasedNumber"], Value::Null);
    assert_eq!(again["parentVersion"], json!({ "version": "2.0.0" }));
    assert_eq!(again["latest"]["origin"], "INSTALLED");
    assert_eq!(again["latest"]["source"], source_200().as_str());
    assert_eq!(story.metrics().await?, weather_metrics(2, 1, 1));
    story.end().await
}
tests::on_both_backends!(
    installing_again_makes_a_new_copy_of_the_newest_version,
    super::installing_again_makes_a_new_copy_of_the_newest_version
);
