//! Connector sources and GraphQL documents shared by the tests.

/// A small valid connector whose action titles and names are given, so search can find them.
pub fn connector_source(title: &str, actions: &[(&str, &str)]) -> String {
    let actions: Vec<String> = actions
        .iter()
        .map(|(name, action_title)| {
            format!(
                "    {name}: #{{\n      title: \"{action_title}\",\n      input_fields: [ #{{ name: \"id\" }} ],\n      output_fields: [ #{{ name: \"ok\", type: \"boolean\" }} ],\n      execute: |connection, input| get(`/items/${{input.id}}`),\n    }},\n"
            )
        })
        .collect();
    format!(
        "#{{\n  title: \"{title}\",\n  description: \"Test connector\",\n  allowed_hosts: [\"api.example.com\"],\n  connection: #{{\n    fields: [ #{{ name: \"api_key\", control_type: \"password\" }} ],\n    authorization: #{{ type: \"api_key\", header: \"X-Api-Key\", value: |c| c.api_key }},\n    base_uri: |c| \"https://api.example.com\",\n  }},\n  test: |connection| get(\"/me\"),\n  actions: #{{\n{}  }},\n}}\n",
        actions.concat()
    )
}

pub const CREATE_CONNECTOR: &str = r#"
mutation($input: CreateConnectorInput!) {
  createConnector(input: $input) {
    connector { id slug name category keywords owners { handle } latestVersion { version sha256 } }
    version { version sha256 capabilities { actions { name title } allowedHosts } }
    userErrors { field message code line column }
  }
}"#;

pub const PUBLISH_VERSION: &str = r#"
mutation($input: PublishVersionInput!) {
  publishVersion(input: $input) {
    version { version sha256 breaking breakingMessage releaseNotes capabilities { actions { name title } } }
    userErrors { field message code line column }
  }
}"#;
