//! Workspace writes that hostile or careless input once turned into internal errors: uninstalling
//! a copy that recipes and connections use, and NUL characters in JSON (which PostgreSQL cannot
//! store). Each answers with its own code, names what is wrong, and writes nothing.

use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{payload, recipe_connector_source};
use crate::lifecycle::{UNINSTALL, create_listing, create_workspace};
use crate::packages::db_signature;

const WS: &str = "inputs";
const LISTING: &str = "inputs-conn";

const INSTALL: &str = "mutation($input: InstallConnectorInput!) { installConnector(input: $input) { workspaceConnector { id } userErrors { field message code } } }";
const RELEASE: &str = "mutation($input: WorkspaceConnectorInput!) { releaseWorkspaceConnector(input: $input) { userErrors { field message code } } }";
const CREATE_RECIPE: &str = "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id } userErrors { field message code } } }";
const CREATE_CONNECTION: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connection { id } userErrors { field message code } } }";
const UPDATE_CONNECTION: &str = "mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { connection { id } userErrors { field message code } } }";
const RUN_ACTION: &str = "mutation($input: RunActionInput!) { runAction(input: $input) { run { ok } userErrors { field message code } } }";

/// An admin's workspace with the recipe listing installed and released; (token, copy id).
async fn arrange(app: &TestApp) -> anyhow::Result<(String, String)> {
    let admin = app.user_with_token("admin").await?;
    create_workspace(app, &admin, WS).await?;
    create_listing(
        app,
        &admin,
        LISTING,
        "Inputs",
        &recipe_connector_source("Inputs"),
    )
    .await?;
    let body = app
        .graphql(
            Some(&admin),
            INSTALL,
            json!({ "input": { "workspace": WS, "connector": LISTING } }),
        )
        .await?;
    let id = payload(&body, "installConnector")?["workspaceConnector"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no copy: {body}"))?;
    let body = app
        .graphql(
            Some(&admin),
            RELEASE,
            json!({ "input": { "workspaceConnectorId": id } }),
        )
        .await?;
    anyhow::ensure!(payload(&body, "releaseWorkspaceConnector")?["userErrors"] == json!([]));
    Ok((admin, id))
}

fn definition() -> Value {
    json!({
        "trigger": { "connector": LISTING, "trigger": "new_item", "input": {} },
        "steps": [ { "connector": LISTING, "action": "get_item", "input": { "id": "1" } } ],
    })
}

async fn must(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    input: Value,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), query, json!({ "input": input }))
        .await?;
    let p = payload(&body, field)?;
    anyhow::ensure!(p["userErrors"] == json!([]), "{field}: {body}");
    Ok(p.clone())
}

async fn uninstall_in_use(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (admin, copy) = arrange(&app).await?;
    let uninstall = json!({ "input": { "workspaceConnectorId": copy } });

    // A connection alone, then a recipe as well.
    let input = json!({ "workspace": WS, "folder": "prod", "name": "main", "connector": LISTING, "values": { "region": "eu" } });
    must(&app, &admin, CREATE_CONNECTION, "createConnection", input).await?;
    for with_recipe in [false, true] {
        if with_recipe {
            let input = json!({ "workspace": WS, "folder": "sync", "name": "nightly", "definition": definition() });
            must(&app, &admin, CREATE_RECIPE, "createRecipe", input).await?;
        }
        let before = db_signature(&app).await?;
        let body = app
            .graphql(Some(&admin), UNINSTALL, uninstall.clone())
            .await?;
        assert_eq!(
            error_code(&body),
            None,
            "a user error, not a GraphQL error: {body}"
        );
        let errors = &payload(&body, "uninstallWorkspaceConnector")?["userErrors"];
        assert_eq!(errors[0]["code"], "CONFLICT", "{body}");
        assert_eq!(
            errors[0]["field"],
            json!(["input", "workspaceConnectorId"]),
            "{body}"
        );
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("connection `prod/main`"), "{message}");
        assert_eq!(
            message.contains("recipe `sync/nightly`"),
            with_recipe,
            "{message}"
        );
        assert_eq!(
            db_signature(&app).await?,
            before,
            "a refused uninstall wrote"
        );
    }
    app.stop().await
}
tests::on_both_backends!(
    uninstalling_a_copy_in_use_is_a_conflict,
    super::uninstall_in_use
);

/// One case: a mutation, its input with a NUL somewhere, and the field path the answer names.
struct NulCase {
    what: &'static str,
    query: &'static str,
    field: &'static str,
    input: Value,
    names: Value,
}

/// The recipe cases: a NUL in a step's input value or key, a trigger's list item, an action's or a
/// connector's name, or the recipe's name.
fn recipe_nul_cases() -> Vec<NulCase> {
    let recipe =
        |definition: Value| json!({ "workspace": WS, "name": "r", "definition": definition });
    let case = |what, input, names| NulCase {
        what,
        query: CREATE_RECIPE,
        field: "createRecipe",
        input,
        names,
    };
    let mut step_value = definition();
    step_value["steps"][0]["input"]["id"] = json!("a\u{0}b");
    let mut step_key = definition();
    step_key["steps"][0]["input"] = json!({ "i\u{0}d": "1" });
    let mut trigger_list = definition();
    trigger_list["trigger"]["input"] = json!({ "ids": ["1", "2\u{0}"] });
    let mut action_name = definition();
    action_name["steps"][0]["action"] = json!("get\u{0}item");
    let mut connector_name = definition();
    connector_name["trigger"]["connector"] = json!("inputs\u{0}conn");
    vec![
        case(
            "recipe step input value",
            recipe(step_value),
            json!(["input", "definition", "steps", "0", "input", "id"]),
        ),
        case(
            "recipe JSON key",
            recipe(step_key),
            json!(["input", "definition", "steps", "0", "input", "i\\u0000d"]),
        ),
        case(
            "recipe trigger list item",
            recipe(trigger_list),
            json!(["input", "definition", "trigger", "input", "ids", "1"]),
        ),
        case(
            "recipe action name",
            recipe(action_name),
            json!(["input", "definition", "steps", "0", "action"]),
        ),
        case(
            "recipe connector name",
            recipe(connector_name),
            json!(["input", "definition", "trigger", "connector"]),
        ),
        case(
            "recipe name",
            json!({ "workspace": WS, "name": "r\u{0}", "definition": definition() }),
            json!(["input", "name"]),
        ),
    ]
}

/// The connection cases: a NUL in a value, a secret or a key of a new connection, or in a value
/// of an update to `connection_id`.
fn connection_nul_cases(connection_id: &Value) -> Vec<NulCase> {
    let create = |what, input, names| NulCase {
        what,
        query: CREATE_CONNECTION,
        field: "createConnection",
        input,
        names,
    };
    vec![
        create(
            "connection value",
            json!({ "workspace": WS, "name": "c1", "connector": LISTING, "values": { "region": "e\u{0}u" } }),
            json!(["input", "values", "region"]),
        ),
        create(
            "connection secret",
            json!({ "workspace": WS, "name": "c2", "connector": LISTING, "values": { "api_key": "k\u{0}" } }),
            json!(["input", "values", "api_key"]),
        ),
        create(
            "connection key",
            json!({ "workspace": WS, "name": "c3", "connector": LISTING, "values": { "reg\u{0}ion": "eu" } }),
            json!(["input", "values"]),
        ),
        NulCase {
            what: "connection update",
            query: UPDATE_CONNECTION,
            field: "updateConnection",
            input: json!({ "connectionId": connection_id, "values": { "region": "\u{0}" } }),
            names: json!(["input", "values", "region"]),
        },
    ]
}

/// Run every case as the admin: each must write nothing (checked at once), and must answer
/// `BAD_USER_INPUT` naming its field (checked by the caller, after every case was tried).
/// Returns the cases that answered otherwise, with their answers.
async fn wrong_answers(
    app: &TestApp,
    admin: &str,
    cases: Vec<NulCase>,
) -> anyhow::Result<Vec<String>> {
    let mut wrong = Vec::new();
    for case in cases {
        let before = db_signature(app).await?;
        let body = app
            .graphql(Some(admin), case.query, json!({ "input": case.input }))
            .await?;
        let error = &body["data"][case.field]["userErrors"][0];
        if error["code"] != "BAD_USER_INPUT" || error["field"] != case.names {
            wrong.push(format!("{}: {body}", case.what));
        }
        assert_eq!(db_signature(app).await?, before, "{} wrote", case.what);
    }
    Ok(wrong)
}

/// The cases that were not `BAD_USER_INPUT` naming the field, if any, fail the test.
fn assert_none_wrong(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "not BAD_USER_INPUT naming the field:\n{}",
        wrong.join("\n")
    );
}

async fn nul_in_recipes(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (admin, _) = arrange(&app).await?;
    let wrong = wrong_answers(&app, &admin, recipe_nul_cases()).await?;
    assert_none_wrong(&wrong);
    app.stop().await
}
tests::on_both_backends!(
    a_nul_in_a_recipe_is_bad_input_naming_its_field,
    super::nul_in_recipes
);

async fn nul_in_connections(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (admin, _) = arrange(&app).await?;
    let input = json!({ "workspace": WS, "name": "kept", "connector": LISTING, "values": { "region": "eu" } });
    let connection = must(&app, &admin, CREATE_CONNECTION, "createConnection", input).await?;
    let cases = connection_nul_cases(&connection["connection"]["id"]);
    let wrong = wrong_answers(&app, &admin, cases).await?;
    assert_none_wrong(&wrong);
    app.stop().await
}
tests::on_both_backends!(
    a_nul_in_a_connection_is_bad_input_naming_its_field,
    super::nul_in_connections
);

/// The debugger stores nothing but its audit entry; a NUL in a run's names or values is bad
/// input all the same.
async fn nul_in_debugger_runs(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (admin, copy) = arrange(&app).await?;
    let mut wrong = Vec::new();
    for (what, input) in [
        (
            "debugger action name",
            json!({ "target": { "workspaceConnectorId": copy }, "action": "get\u{0}item" }),
        ),
        (
            "debugger input",
            json!({ "target": { "workspaceConnectorId": copy }, "action": "get_item", "input": { "id": "\u{0}" } }),
        ),
        (
            "debugger values",
            json!({ "target": { "workspaceConnectorId": copy, "connectionValues": { "api_key": "\u{0}" } }, "action": "get_item" }),
        ),
    ] {
        let before = db_signature(&app).await?;
        let body = app
            .graphql(Some(&admin), RUN_ACTION, json!({ "input": input }))
            .await?;
        let code = error_code(&body).map(str::to_owned).or_else(|| {
            body["data"]["runAction"]["userErrors"][0]["code"]
                .as_str()
                .map(str::to_owned)
        });
        if code.as_deref() != Some("BAD_USER_INPUT") {
            wrong.push(format!("{what}: {body}"));
        }
        assert_eq!(db_signature(&app).await?, before, "{what} wrote");
    }
    assert_none_wrong(&wrong);
    app.stop().await
}
tests::on_both_backends!(
    a_nul_in_a_debugger_run_is_bad_input,
    super::nul_in_debugger_runs
);

/// A package whose assets carry NUL (a recipe's description or definition, a connection's
/// fields) is refused before anything is planned or written, naming the asset's file.
async fn nul_in_packages(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (admin, _) = arrange(&app).await?;
    let source = recipe_connector_source("Inputs");
    let package = |description: &str, definition: Value, region: &str| -> anyhow::Result<Vec<u8>> {
        let input = packager::PackageInput {
            package_id: "6f1c1f3e-8a51-4a4e-9a0e-0d8f3b0c2a11".to_owned(),
            created_at: "2026-05-01T12:00:00Z".to_owned(),
            source: packager::PackageSource {
                workspace: "dev".to_owned(),
                environment: "development".to_owned(),
            },
            exporter: "admin".to_owned(),
            recipes: vec![packager::Recipe {
                asset_id: "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e01".to_owned(),
                folder: "sync".to_owned(),
                name: "nightly".to_owned(),
                description: description.to_owned(),
                definition,
                state: packager::RecipeState::Stopped,
            }],
            connections: vec![packager::Connection {
                asset_id: "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e02".to_owned(),
                folder: "prod".to_owned(),
                name: "main".to_owned(),
                connector: LISTING.to_owned(),
                fields: [("region".to_owned(), json!(region))].into_iter().collect(),
            }],
            connectors: vec![packager::ConnectorAsset {
                slug: LISTING.to_owned(),
                name: "Inputs".to_owned(),
                workspace_version: 1,
                content: packager::ConnectorContent::Source(source.clone()),
                sha256: packager::canonical::sha256_hex(source.as_bytes()),
                parent: None,
            }],
        };
        Ok(packager::build(&input, &packager::BuildOptions::default())?)
    };
    let mut nul_definition = definition();
    nul_definition["steps"][0]["input"]["id"] = json!("\u{0}");
    let cases = [
        (
            "description",
            package("a\u{0}b", definition(), "eu")?,
            "sync/nightly.recipe.json",
        ),
        (
            "definition",
            package("", nul_definition, "eu")?,
            "sync/nightly.recipe.json",
        ),
        (
            "connection field",
            package("", definition(), "e\u{0}u")?,
            "prod/main.connection.json",
        ),
    ];
    for (what, archive, file) in cases {
        let before = db_signature(&app).await?;
        let body = crate::packages::import_raw(&app, &admin, WS, &archive, false, None).await?;
        let error = &body["data"]["importPackage"]["userErrors"][0];
        assert_eq!(error["code"], "BAD_USER_INPUT", "{what}: {body}");
        assert_eq!(error["field"][2], file, "{what}: {body}");
        assert_eq!(db_signature(&app).await?, before, "{what} wrote");
    }
    // The same package without NUL imports.
    let clean = package("nightly sync", definition(), "eu")?;
    let body = crate::packages::import_raw(&app, &admin, WS, &clean, false, None).await?;
    assert_eq!(
        body["data"]["importPackage"]["userErrors"],
        json!([]),
        "{body}"
    );
    app.stop().await
}
tests::on_both_backends!(
    nul_characters_in_packages_are_bad_input,
    super::nul_in_packages
);
