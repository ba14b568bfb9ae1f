//! The story's cast, its sources and its steps. A test arranges the story up to the step before
//! the one it is about (`Story::arrange(backend, Step::Edited)`), takes that step
//! (`story.take(Step::Released)`) and checks what it answered; the attempts that change nothing
//! (`try_…`) and the reads are here too, so the smoke test in `audit.rs` can tell it all.

use serde_json::{Value, json};
use tests::{Backend, TestApp};

use super::{
    COPY, EDIT, INSTALL, INSTALL_COPY, LISTING_METRICS, LOCAL_DESCRIPTION, MARK_READ,
    NOTIFICATIONS, ORIGINAL_DESCRIPTION, PREVIEW, RELEASE, RESTORE, UNINSTALL, UPDATE,
    V2_DESCRIPTION, WORKSPACE_COPY, changed, copy_mutation, copy_of, create_listing,
    create_workspace, publish, set_member,
};
use crate::fixtures::{connector_source, payload};

/// Weather 1.0.0, as the author first publishes it.
pub fn source_100() -> String {
    connector_source("Weather", &[("forecast", "Forecast")])
}

/// The workspace's edit of 1.0.0: a description of its own.
pub fn source_edited() -> String {
    source_100().replace(ORIGINAL_DESCRIPTION, LOCAL_DESCRIPTION)
}

/// The edit with a syntax error on line 13.
pub fn source_broken() -> String {
    source_edited().replace("title: \"Forecast\",", "title: ,")
}

/// Weather 1.1.0: an action added below the line the workspace edited.
pub fn source_110() -> String {
    connector_source("Weather", &[("forecast", "Forecast"), ("alerts", "Alerts")])
}

/// What MERGE makes of the edit and 1.1.0: both changes.
pub fn source_merged() -> String {
    source_110().replace(ORIGINAL_DESCRIPTION, LOCAL_DESCRIPTION)
}

/// Weather 2.0.0: the very line the workspace edited, changed otherwise.
pub fn source_200() -> String {
    source_110().replace(ORIGINAL_DESCRIPTION, V2_DESCRIPTION)
}

/// A copy id no workspace has.
pub fn missing_copy() -> Value {
    let missing = api::graphql::ids::encode(api::graphql::ids::Kind::WorkspaceConnector, 1_000_000);
    json!(missing.as_str())
}

/// The release notes of 1.1.0.
pub const NOTES_110: &str = "- New action **Alerts**";

/// The breaking message of 2.0.0.
pub const BREAKING_200: &str = "The forecast action now needs a city";

/// The story's steps, in the order they are taken.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Step {
    /// The author publishes weather 1.0.0.
    Listed,
    /// An admin creates the workspace `ops`; answers the workspace.
    WorkspaceCreated,
    /// The admin adds the developer and the analyst.
    MembersAdded,
    /// The developer installs weather: version 1; answers the copy.
    Installed,
    /// The developer edits the description: version 2.
    Edited,
    /// The developer releases version 2.
    Released,
    /// The author publishes 1.1.0; answers the version.
    Published110,
    /// The developer merges 1.1.0 into the edit: version 3.
    Merged,
    /// The developer releases version 3.
    MergeReleased,
    /// The author publishes the breaking 2.0.0.
    Published200,
    /// The developer replaces the copy with 2.0.0: version 4.
    Replaced,
    /// The developer restores version 2 as version 5.
    Restored,
    /// The developer releases version 5, which rolls the workspace back.
    RolledBack,
    /// The developer marks the notices read; answers `markNotificationsRead`.
    NoticesRead,
    /// The developer uninstalls the copy; answers `uninstallWorkspaceConnector`.
    Uninstalled,
}

impl Step {
    const ALL: [Step; 15] = [
        Step::Listed,
        Step::WorkspaceCreated,
        Step::MembersAdded,
        Step::Installed,
        Step::Edited,
        Step::Released,
        Step::Published110,
        Step::Merged,
        Step::MergeReleased,
        Step::Published200,
        Step::Replaced,
        Step::Restored,
        Step::RolledBack,
        Step::NoticesRead,
        Step::Uninstalled,
    ];
}

/// The server, the people of the story and the workspace's copy of weather (`Null` until it is
/// installed).
pub struct Story {
    pub app: TestApp,
    pub author: String,
    pub admin: String,
    pub dev: String,
    pub analyst: String,
    pub id: Value,
}

impl Story {
    /// A fresh server with the cast: an author, an admin, a developer and an analyst.
    pub async fn cast(backend: Backend) -> anyhow::Result<Self> {
        let app = TestApp::spawn(backend).await?;
        Ok(Self {
            author: app.user_with_token("author").await?,
            admin: app.user_with_token("admin").await?,
            dev: app.user_with_token("dev").await?,
            analyst: app.user_with_token("analyst").await?,
            id: Value::Null,
            app,
        })
    }

    /// The story up to and including `last`, each step required to succeed.
    pub async fn arrange(backend: Backend, last: Step) -> anyhow::Result<Self> {
        let mut story = Self::cast(backend).await?;
        for step in Step::ALL.into_iter().take_while(|step| *step <= last) {
            story.take(step).await?;
        }
        Ok(story)
    }

    /// Takes `step`, which must succeed (and change the copy, where it is a change to the copy);
    /// returns what it answers: the copy, the version, the workspace or the payload.
    pub async fn take(&mut self, step: Step) -> anyhow::Result<Value> {
        let (app, author, admin) = (&self.app, self.author.as_str(), self.admin.as_str());
        match step {
            Step::Listed => {
                create_listing(app, author, "weather", "Weather", &source_100()).await?;
                Ok(Value::Null)
            }
            Step::WorkspaceCreated => create_workspace(app, admin, "ops").await,
            Step::MembersAdded => {
                set_member(app, admin, "ops", "dev", "developer").await?;
                set_member(app, admin, "ops", "analyst", "analyst").await?;
                Ok(Value::Null)
            }
            Step::Installed => {
                let input = json!({ "workspace": "ops", "connector": "weather" });
                let copy = self.change(INSTALL_COPY, "installConnector", input).await?;
                self.id = copy["id"].clone();
                Ok(copy)
            }
            Step::Edited => {
                let input = json!({ "workspaceConnectorId": self.id, "source": source_edited() });
                self.change(EDIT, "editWorkspaceConnector", input).await
            }
            Step::Released | Step::MergeReleased | Step::RolledBack => {
                let input = json!({ "workspaceConnectorId": self.id });
                self.change(RELEASE, "releaseWorkspaceConnector", input)
                    .await
            }
            Step::Published110 => {
                let input = json!({ "slug": "weather", "version": "1.1.0",
                                    "source": source_110(), "releaseNotes": NOTES_110 });
                publish(app, author, input).await
            }
            Step::Merged => self.update("MERGE").await,
            Step::Published200 => {
                let input = json!({ "slug": "weather", "version": "2.0.0", "source": source_200(),
                                    "releaseNotes": "Second edition", "breaking": BREAKING_200 });
                publish(app, author, input).await
            }
            Step::Replaced => self.update("REPLACE").await,
            Step::Restored => {
                let input = json!({ "workspaceConnectorId": self.id, "number": 2 });
                self.change(RESTORE, "restoreWorkspaceConnectorVersion", input)
                    .await
            }
            Step::NoticesRead => self.mark_notices_read().await,
            Step::Uninstalled => self.uninstall().await,
        }
    }

    /// A change to the copy by the developer, which must succeed and change something.
    async fn change(&self, document: &str, field: &str, input: Value) -> anyhow::Result<Value> {
        changed(&self.app, &self.dev, document, field, input).await
    }

    async fn update(&self, strategy: &str) -> anyhow::Result<Value> {
        let input = json!({ "workspaceConnectorId": self.id, "strategy": strategy });
        self.change(UPDATE, "updateWorkspaceConnector", input).await
    }

    async fn mark_notices_read(&self) -> anyhow::Result<Value> {
        let marked = self
            .app
            .data(
                Some(&self.dev),
                MARK_READ,
                json!({ "input": { "workspace": "ops" } }),
            )
            .await?;
        Ok(marked["markNotificationsRead"].clone())
    }

    async fn uninstall(&self) -> anyhow::Result<Value> {
        let body = self
            .app
            .graphql(
                Some(&self.dev),
                UNINSTALL,
                json!({ "input": { "workspaceConnectorId": self.id } }),
            )
            .await?;
        let p = payload(&body, "uninstallWorkspaceConnector")?;
        anyhow::ensure!(p["userErrors"] == json!([]), "uninstall: {body}");
        Ok(p.clone())
    }

    // ---- Attempts, which may fail or change nothing: each answers its payload or body. ----

    /// The analyst tries to install weather into `ops`; answers the whole body.
    pub async fn analyst_tries_to_install(&self) -> anyhow::Result<Value> {
        self.app
            .graphql(
                Some(&self.analyst),
                INSTALL,
                json!({ "input": { "workspace": "ops", "connector": "weather" } }),
            )
            .await
    }

    /// The developer saves `source` as the copy's next version.
    pub async fn try_edit(&self, source: &str) -> anyhow::Result<Value> {
        let input = json!({ "workspaceConnectorId": self.id, "source": source });
        copy_mutation(&self.app, &self.dev, EDIT, "editWorkspaceConnector", input).await
    }

    /// The developer releases the copy's latest version.
    pub async fn try_release(&self) -> anyhow::Result<Value> {
        let input = json!({ "workspaceConnectorId": self.id });
        copy_mutation(
            &self.app,
            &self.dev,
            RELEASE,
            "releaseWorkspaceConnector",
            input,
        )
        .await
    }

    /// The holder of `token` releases the copy `target`; answers the whole body.
    pub async fn release_as(&self, token: &str, target: Value) -> anyhow::Result<Value> {
        self.app
            .graphql(
                Some(token),
                &format!("{RELEASE}{COPY}"),
                json!({ "input": { "workspaceConnectorId": target } }),
            )
            .await
    }

    /// The developer updates the copy to the newest version, with `strategy` if one is given.
    pub async fn try_update(&self, strategy: Option<&str>) -> anyhow::Result<Value> {
        let mut input = json!({ "workspaceConnectorId": self.id });
        if let Some(strategy) = strategy {
            input["strategy"] = json!(strategy);
        }
        copy_mutation(
            &self.app,
            &self.dev,
            UPDATE,
            "updateWorkspaceConnector",
            input,
        )
        .await
    }

    // ---- Reads. ----

    /// The copy, its versions and the update available, as the developer reads them.
    pub async fn copy(&self) -> anyhow::Result<Value> {
        copy_of(&self.app, &self.dev, "ops", &self.id).await
    }

    /// The developer's workspaces, with their role and permissions in each.
    pub async fn my_workspaces(&self) -> anyhow::Result<Value> {
        let mine = self
            .app
            .data(
                Some(&self.dev),
                "{ myWorkspaces { role permissions workspace { slug environment role } } }",
                json!({}),
            )
            .await?;
        Ok(mine["myWorkspaces"].clone())
    }

    /// The ids of the workspace's copies, and the copy `id` looked up by id.
    pub async fn copies_and_copy(&self) -> anyhow::Result<Value> {
        let found = self
            .app
            .data(
                Some(&self.dev),
                "query($id: ID!) { workspace(slug: \"ops\") { connectors { id } connector(id: $id) { id } } }",
                json!({ "id": self.id }),
            )
            .await?;
        Ok(found["workspace"].clone())
    }

    /// The copy with its source, as the analyst asks for it; answers the whole body.
    pub async fn analyst_reads_copy(&self) -> anyhow::Result<Value> {
        self.app
            .graphql(
                Some(&self.analyst),
                &format!("{WORKSPACE_COPY}{COPY}"),
                json!({ "ws": "ops", "id": self.id }),
            )
            .await
    }

    /// The workspace's notices (only the unread ones if `unread_only`), as the developer reads
    /// them, with the unread count.
    pub async fn notices(&self, unread_only: bool) -> anyhow::Result<Value> {
        let data = self
            .app
            .data(
                Some(&self.dev),
                NOTIFICATIONS,
                json!({ "ws": "ops", "unreadOnly": unread_only }),
            )
            .await?;
        Ok(data["workspace"].clone())
    }

    /// The update available to the copy and its preview, as the holder of `token` reads them.
    pub async fn preview(&self, token: &str) -> anyhow::Result<Value> {
        let data = self
            .app
            .data(Some(token), PREVIEW, json!({ "ws": "ops", "id": self.id }))
            .await?;
        Ok(data["workspace"]["connector"].clone())
    }

    /// The listing's install counters, in total and per version.
    pub async fn metrics(&self) -> anyhow::Result<Value> {
        let data = self
            .app
            .data(None, LISTING_METRICS, json!({ "slug": "weather" }))
            .await?;
        Ok(data["connector"].clone())
    }

    /// Stops the server.
    pub async fn end(self) -> anyhow::Result<()> {
        self.app.stop().await
    }
}
