//! GraphQL views of what a connector version can do, mirrored from `sdk::Capabilities`.

use async_graphql::SimpleObject;

/// What a connector version can do, as its source declares it. Extracted by the SDK when the
/// version was published.
#[derive(SimpleObject, Debug, Clone)]
pub struct Capabilities {
    /// The connector's own title.
    pub title: String,
    /// The connector's own description.
    pub description: String,
    /// How a connection to the service is configured and authorized.
    pub connection: ConnectionSpec,
    /// Operations a recipe step can run, sorted by name.
    pub actions: Vec<Operation>,
    /// Events a recipe can start from, sorted by name.
    pub triggers: Vec<Operation>,
    /// The only hosts the connector may send requests to.
    pub allowed_hosts: Vec<String>,
}

/// The fields a connection asks for, and how requests are authorized.
#[derive(SimpleObject, Debug, Clone)]
pub struct ConnectionSpec {
    /// Fields the user fills in to connect; secret ones are never shown again.
    pub fields: Vec<Field>,
    /// `api_key`, `basic`, `bearer` or `custom`; absent when the service needs no credentials.
    pub authorization: Option<String>,
}

/// An action or a trigger.
#[derive(SimpleObject, Debug, Clone)]
pub struct Operation {
    /// Identifier used in recipes.
    pub name: String,
    /// Human title.
    pub title: String,
    /// What it does.
    pub description: Option<String>,
    /// What it takes.
    pub input_fields: Vec<Field>,
    /// What it gives back.
    pub output_fields: Vec<Field>,
}

/// One input, output or connection field.
#[derive(SimpleObject, Debug, Clone)]
pub struct Field {
    /// Identifier.
    pub name: String,
    /// Human label.
    pub label: String,
    /// `string`, `integer`, `number`, `boolean`, `date`, `date_time`, `object` or `array`.
    #[graphql(name = "type")]
    pub field_type: String,
    /// May be left empty.
    pub optional: bool,
    /// How a form renders it (`text`, `password`, `select`, …).
    pub control_type: Option<String>,
    /// Help text.
    pub hint: Option<String>,
    /// Never displayed, logged or exported.
    pub secret: bool,
    /// Nested fields of an object, or of an array's items.
    pub properties: Vec<Field>,
}

impl From<sdk::Capabilities> for Capabilities {
    fn from(caps: sdk::Capabilities) -> Self {
        Self {
            title: caps.title,
            description: caps.description,
            connection: ConnectionSpec {
                fields: fields(caps.connection.fields),
                authorization: caps.connection.authorization,
            },
            actions: caps.actions.into_iter().map(Operation::from).collect(),
            triggers: caps.triggers.into_iter().map(Operation::from).collect(),
            allowed_hosts: caps.allowed_hosts,
        }
    }
}

impl From<sdk::Operation> for Operation {
    fn from(op: sdk::Operation) -> Self {
        Self {
            name: op.name,
            title: op.title,
            description: op.description,
            input_fields: fields(op.input_fields),
            output_fields: fields(op.output_fields),
        }
    }
}

fn fields(fields: Vec<sdk::Field>) -> Vec<Field> {
    fields
        .into_iter()
        .map(|f| Field {
            name: f.name,
            label: f.label,
            field_type: f.field_type,
            optional: f.optional,
            control_type: f.control_type,
            hint: f.hint,
            secret: f.secret,
            properties: self::fields(f.properties),
        })
        .collect()
}
