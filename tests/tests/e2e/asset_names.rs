//! Recipe and connection names and folders follow the package format's rule (`packager::names`):
//! whatever a workspace saves can be exported, so a name or folder that export would refuse is
//! refused when saving, with BAD_USER_INPUT on the field, and nothing is written.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::payload;
use crate::lifecycle::create_workspace;
use crate::packages::db_signature;

const WS: &str = "names";

const CREATE_RECIPE: &str = "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id } userErrors { field message code } } }";
const CREATE_CONNECTION: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connection { id } userErrors { field message code } } }";

fn recipe(folder: &str, name: &str) -> Value {
    json!({
        "workspace": WS,
        "folder": folder,
        "name": name,
        "definition": {
            "trigger": { "connector": "absent", "trigger": "new_item", "input": {} },
            "steps": [],
        },
    })
}

/// Each input is refused by `query` with BAD_USER_INPUT on `["input", field]`, and writes nothing.
async fn refused(
    backend: Backend,
    query: &str,
    mutation: &str,
    field: &str,
    inputs: Vec<Value>,
) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = app.user_with_token("admin").await?;
    create_workspace(&app, &admin, WS).await?;
    for input in inputs {
        let before = db_signature(&app).await?;
        let body = app
            .graphql(Some(&admin), query, json!({ "input": input }))
            .await?;
        assert_eq!(error_code(&body), None, "a user error: {body}");
        let p = payload(&body, mutation)?;
        let error = &p["userErrors"][0];
        assert_eq!(error["code"], "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(error["field"], json!(["input", field]), "{input}: {body}");
        assert_eq!(db_signature(&app).await?, before, "{input} wrote");
    }
    app.stop().await
}

async fn device_names(backend: Backend) -> anyhow::Result<()> {
    let inputs = ["CON", "nul", "Com1", "LPT9.json", "aux.recipe"]
        .iter()
        .map(|name| recipe("sync", name))
        .collect();
    refused(backend, CREATE_RECIPE, "createRecipe", "name", inputs).await
}
tests::on_both_backends!(
    a_recipe_named_like_a_windows_device_is_refused,
    super::device_names
);

async fn non_ascii_names(backend: Backend) -> anyhow::Result<()> {
    let inputs = ["Caf\u{e9} sync", "\u{540c}\u{6b65}", "leads \u{2192} slack"]
        .iter()
        .map(|name| recipe("sync", name))
        .collect();
    refused(backend, CREATE_RECIPE, "createRecipe", "name", inputs).await
}
tests::on_both_backends!(
    a_recipe_name_outside_ascii_is_refused,
    super::non_ascii_names
);

async fn connectors_folder(backend: Backend) -> anyhow::Result<()> {
    let inputs = [
        "connectors/",
        "connectors",
        "Connectors/slack",
        "CONNECTORS/x/y",
    ]
    .iter()
    .map(|folder| recipe(folder, "nightly"))
    .collect();
    refused(backend, CREATE_RECIPE, "createRecipe", "folder", inputs).await
}
tests::on_both_backends!(
    a_recipe_in_the_connectors_folder_is_refused,
    super::connectors_folder
);

async fn non_ascii_folders(backend: Backend) -> anyhow::Result<()> {
    let inputs = vec![recipe("ventes/r\u{e9}gion", "nightly")];
    refused(backend, CREATE_RECIPE, "createRecipe", "folder", inputs).await
}
tests::on_both_backends!(
    a_recipe_folder_outside_ascii_is_refused,
    super::non_ascii_folders
);

async fn connection_places(backend: Backend) -> anyhow::Result<()> {
    let connection = |folder: &str| json!({ "workspace": WS, "folder": folder, "name": "main", "connector": "absent", "values": {} });
    let inputs = vec![connection("connectors/"), connection("caf\u{e9}")];
    refused(
        backend,
        CREATE_CONNECTION,
        "createConnection",
        "folder",
        inputs,
    )
    .await
}
tests::on_both_backends!(
    a_connection_folder_export_would_refuse_is_refused,
    super::connection_places
);

async fn accepted_places(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let admin = app.user_with_token("admin").await?;
    create_workspace(&app, &admin, WS).await?;
    for (folder, name) in [
        (" /sales/EMEA/ ", "Sync leads (v2)"),
        ("my connectors", "COM0"),
    ] {
        let body = app
            .graphql(
                Some(&admin),
                CREATE_RECIPE,
                json!({ "input": recipe(folder, name) }),
            )
            .await?;
        let errors = &payload(&body, "createRecipe")?["userErrors"];
        for error in errors.as_array().into_iter().flatten() {
            let field = &error["field"];
            assert!(
                *field != json!(["input", "name"]) && *field != json!(["input", "folder"]),
                "{folder:?}/{name:?} is a place the format accepts: {body}"
            );
        }
    }
    app.stop().await
}
tests::on_both_backends!(
    names_and_folders_the_format_accepts_pass_the_name_rule,
    super::accepted_places
);
