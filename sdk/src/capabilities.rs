//! What a valid connector declares: the definition a listing shows and a diff compares.

use serde::{Deserialize, Serialize};

/// The validated definition of a connector, as declared by its source. Its default declares
/// nothing, with an empty title.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    pub title: String,
    /// Empty when the connector has none.
    pub description: String,
    pub connection: ConnectionSpec,
    /// Sorted by name.
    pub actions: Vec<Operation>,
    /// Sorted by name.
    pub triggers: Vec<Operation>,
    /// Host names, each optionally `*.`-prefixed and `:port`-suffixed, in declaration order.
    pub allowed_hosts: Vec<String>,
    /// Names of the helper methods, sorted.
    pub methods: Vec<String>,
    /// Names of the pick lists, sorted.
    pub pick_lists: Vec<String>,
    /// Names of the object definitions, sorted.
    pub object_definitions: Vec<String>,
}

/// What a user supplies to connect, and how the connector authorizes its requests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionSpec {
    pub fields: Vec<Field>,
    /// `api_key`, `basic`, `bearer` or `custom`; `None` when the connector declares none.
    pub authorization: Option<String>,
    /// Whether the connector declares a `base_uri`.
    pub base_uri: bool,
}

/// An action or a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    /// Empty when the fields are computed by a closure.
    pub input_fields: Vec<Field>,
    /// Empty when the fields are computed by a closure.
    pub output_fields: Vec<Field>,
}

/// One field of a connection, an input or an output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// The name when the source gives no label.
    pub label: String,
    /// One of [`FIELD_TYPES`]; `string` by default.
    #[serde(rename = "type")]
    pub field_type: String,
    pub optional: bool,
    pub control_type: Option<String>,
    pub hint: Option<String>,
    /// Set by `control_type: "password"` or `secret: true`; secret values are never shown or logged.
    pub secret: bool,
    /// The name of the pick list that offers this field's values.
    #[serde(default)]
    pub pick_list: Option<String>,
    /// The fields of an object, or of each object in an array.
    pub properties: Vec<Field>,
}

/// The values a field's `type` may take.
pub const FIELD_TYPES: [&str; 8] = [
    "string",
    "integer",
    "number",
    "boolean",
    "date",
    "date_time",
    "object",
    "array",
];

/// The values an authorization's `type` may take.
pub const AUTHORIZATION_TYPES: [&str; 4] = ["api_key", "basic", "bearer", "custom"];
