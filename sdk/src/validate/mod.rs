//! Turns the value a connector script evaluates to into [`Capabilities`], or says which part of
//! the definition is wrong and why.
//!
//! The checks work on [`Item`], a plain copy of the definition the JavaScript module exports
//! (`js::value::item` makes it), so no check touches the engine.

use std::collections::{BTreeMap, BTreeSet};

use crate::capabilities::{
    AUTHORIZATION_TYPES, Capabilities, ConnectionSpec, FIELD_TYPES, Field, Operation,
};
use crate::path::Path;

mod hosts;
use hosts::check_host;

pub(crate) const DEFINITION_KEYS: &[&str] = &[
    "title",
    "description",
    "connection",
    "test",
    "actions",
    "triggers",
    "methods",
    "pick_lists",
    "object_definitions",
    "allowed_hosts",
];
pub(crate) const CONNECTION_KEYS: &[&str] = &["fields", "authorization", "base_uri"];
pub(crate) const ACTION_KEYS: &[&str] = &[
    "title",
    "description",
    "input_fields",
    "output_fields",
    "execute",
];
pub(crate) const TRIGGER_KEYS: &[&str] = &[
    "title",
    "description",
    "input_fields",
    "output_fields",
    "poll",
    "dedup",
];
pub(crate) const FIELD_KEYS: &[&str] = &[
    "name",
    "label",
    "type",
    "optional",
    "control_type",
    "hint",
    "secret",
    "pick_list",
    "properties",
];
const OBJECT_DEFINITION_KEYS: &[&str] = &["fields"];

/// How deeply `properties` may nest fields within fields.
const MAX_FIELD_DEPTH: usize = 16;

/// A value of a connector's definition, whatever engine produced it. Maps are sorted by key, so
/// every engine reports the same first error for the same definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// `undefined` and `null`: counts as absent.
    Nothing,
    Bool(bool),
    Integer(i64),
    Number(f64),
    Text(String),
    List(Vec<Item>),
    Map(BTreeMap<String, Item>),
    /// A function.
    Function,
    /// Anything else, by its engine's type name.
    Other(String),
}

/// What is wrong with the definition, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) path: Path,
    pub(crate) message: String,
}

type Result<T> = std::result::Result<T, Invalid>;

/// Validates the definition a connector exports.
pub(crate) fn definition(value: Item) -> Result<Capabilities> {
    let root = Node::new(value, Path::default());
    if !matches!(root.value, Item::Map(_)) {
        let found = describe(&root.value);
        return Err(root.invalid(format!(
            "a connector's `export default` must be an object of its definition, not {found}"
        )));
    }
    Checker {
        pick_lists: BTreeSet::new(),
    }
    .definition(root)
}

struct Checker {
    /// Filled before any field is read, so a field's `pick_list` can be checked.
    pick_lists: BTreeSet<String>,
}

impl Checker {
    fn definition(mut self, root: Node) -> Result<Capabilities> {
        let mut definition = root.table(DEFINITION_KEYS)?;
        let title = definition.required("title")?.text()?;
        let description = definition
            .optional("description")
            .map(Node::string)
            .transpose()?
            .unwrap_or_default();
        let pick_lists = self.functions(definition.optional("pick_lists"))?;
        self.pick_lists = pick_lists.iter().cloned().collect();
        let methods = self.functions(definition.optional("methods"))?;
        let connection = match definition.optional("connection") {
            Some(connection) => self.connection(connection)?,
            None => ConnectionSpec::default(),
        };
        if let Some(test) = definition.optional("test") {
            self.function(test)?;
        }
        let actions = self.operations(definition.optional("actions"), Kind::Action)?;
        let triggers = self.operations(definition.optional("triggers"), Kind::Trigger)?;
        let object_definitions =
            self.object_definitions(definition.optional("object_definitions"))?;
        let allowed_hosts = match definition.optional("allowed_hosts") {
            Some(hosts) => allowed_hosts(hosts)?,
            None => Vec::new(),
        };
        Ok(Capabilities {
            title,
            description,
            connection,
            actions,
            triggers,
            allowed_hosts,
            methods,
            pick_lists,
            object_definitions,
        })
    }

    fn connection(&self, node: Node) -> Result<ConnectionSpec> {
        let mut connection = node.table(CONNECTION_KEYS)?;
        let fields = match connection.optional("fields") {
            Some(fields) => self.fields(fields, 0)?,
            None => Vec::new(),
        };
        let authorization = connection
            .optional("authorization")
            .map(authorization)
            .transpose()?;
        let base_uri = match connection.optional("base_uri") {
            Some(uri) if matches!(uri.value, Item::Text(_)) => uri.text().map(|_| true)?,
            Some(function) if matches!(function.value, Item::Function) => {
                self.function(function).map(|()| true)?
            }
            Some(other) => return Err(other.expected("a function or a URL string")),
            None => false,
        };
        Ok(ConnectionSpec {
            fields,
            authorization,
            base_uri,
        })
    }

    fn operations(&self, node: Option<Node>, kind: Kind) -> Result<Vec<Operation>> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        node.named_entries()?
            .into_iter()
            .map(|(name, operation)| self.operation(name, operation, kind))
            .collect()
    }

    fn operation(&self, name: String, node: Node, kind: Kind) -> Result<Operation> {
        let mut operation = node.table(kind.keys())?;
        let title = operation.required("title")?.text()?;
        let description = operation
            .optional("description")
            .map(Node::string)
            .transpose()?;
        let input_fields = self.field_source(operation.optional("input_fields"))?;
        let output_fields = self.field_source(operation.optional("output_fields"))?;
        match kind {
            Kind::Action => self.function(operation.required("execute")?)?,
            Kind::Trigger => {
                self.function(operation.required("poll")?)?;
                if let Some(dedup) = operation.optional("dedup") {
                    self.function(dedup)?;
                }
            }
        }
        Ok(Operation {
            name,
            title,
            description,
            input_fields,
            output_fields,
        })
    }

    /// Fields written out as an array, or computed by a function (recorded as none).
    fn field_source(&self, node: Option<Node>) -> Result<Vec<Field>> {
        match node {
            None => Ok(Vec::new()),
            Some(node) if matches!(node.value, Item::Function) => {
                self.function(node).map(|()| Vec::new())
            }
            Some(node) if matches!(node.value, Item::List(_)) => self.fields(node, 0),
            Some(node) => Err(node.expected("an array of fields or a function returning one")),
        }
    }

    fn fields(&self, node: Node, depth: usize) -> Result<Vec<Field>> {
        if depth > MAX_FIELD_DEPTH {
            return Err(node.invalid(format!(
                "fields nest more than {MAX_FIELD_DEPTH} levels deep"
            )));
        }
        let mut names = BTreeSet::new();
        let mut fields = Vec::new();
        for item in node.array()? {
            let name_path = item.path.key("name");
            let field = self.field(item, depth)?;
            if !names.insert(field.name.clone()) {
                return Err(Invalid {
                    path: name_path,
                    message: format!("duplicate field name `{}`", field.name),
                });
            }
            fields.push(field);
        }
        Ok(fields)
    }

    fn field(&self, node: Node, depth: usize) -> Result<Field> {
        let mut field = node.table(FIELD_KEYS)?;
        let name = field.required("name")?.identifier()?;
        let label = match field.optional("label") {
            Some(label) => label.text()?,
            None => name.clone(),
        };
        let field_type = match field.optional("type") {
            Some(field_type) => field_type.one_of(&FIELD_TYPES)?,
            None => "string".to_string(),
        };
        let optional = field.optional("optional").map(Node::boolean).transpose()?;
        let control_type = field.optional("control_type").map(Node::text).transpose()?;
        let hint = field.optional("hint").map(Node::string).transpose()?;
        let secret = field.optional("secret").map(Node::boolean).transpose()?;
        let pick_list = field
            .optional("pick_list")
            .map(|node| self.pick_list(node))
            .transpose()?;
        let properties = match field.optional("properties") {
            Some(properties) if field_type != "object" && field_type != "array" => {
                return Err(properties.invalid(format!(
                    "only fields of type object or array have properties, not {field_type}"
                )));
            }
            Some(properties) => self.fields(properties, depth + 1)?,
            None => Vec::new(),
        };
        Ok(Field {
            secret: secret.unwrap_or(false) || control_type.as_deref() == Some("password"),
            name,
            label,
            field_type,
            optional: optional.unwrap_or(false),
            control_type,
            hint,
            pick_list,
            properties,
        })
    }

    fn pick_list(&self, node: Node) -> Result<String> {
        let name = node.clone().string()?;
        if self.pick_lists.contains(&name) {
            Ok(name)
        } else {
            Err(node.invalid(format!("there is no pick list named `{name}`")))
        }
    }

    fn object_definitions(&self, node: Option<Node>) -> Result<Vec<String>> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let mut names = Vec::new();
        for (name, definition) in node.named_entries()? {
            let mut definition = definition.table(OBJECT_DEFINITION_KEYS)?;
            let fields = definition.required("fields")?;
            self.field_source(Some(fields))?;
            names.push(name);
        }
        Ok(names)
    }

    /// An object from names to functions, such as `methods`; returns the names, sorted.
    fn functions(&self, node: Option<Node>) -> Result<Vec<String>> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let mut names = Vec::new();
        for (name, function) in node.named_entries()? {
            self.function(function)?;
            names.push(name);
        }
        Ok(names)
    }

    /// A function.
    fn function(&self, node: Node) -> Result<()> {
        match node.value {
            Item::Function => Ok(()),
            _ => Err(node.expected("a function")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Action,
    Trigger,
}

impl Kind {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Action => ACTION_KEYS,
            Self::Trigger => TRIGGER_KEYS,
        }
    }
}

/// Records only the type: the rest of an authorization is functions and values used at run time.
fn authorization(node: Node) -> Result<String> {
    let path = node.path.clone();
    let mut authorization = node.map()?;
    match authorization.remove("type") {
        Some(kind) => Node::new(kind, path.key("type")).one_of(&AUTHORIZATION_TYPES),
        None => Err(Invalid {
            path,
            message: "missing `type`".into(),
        }),
    }
}

fn allowed_hosts(node: Node) -> Result<Vec<String>> {
    let mut hosts = Vec::new();
    for item in node.array()? {
        let host = item.clone().string()?;
        if let Err(problem) = check_host(&host) {
            return Err(item.invalid(format!("`{host}` is not an allowed host: {problem}")));
        }
        if hosts.contains(&host) {
            return Err(item.invalid(format!("`{host}` is listed twice")));
        }
        hosts.push(host);
    }
    Ok(hosts)
}

/// Names of actions, triggers, fields and helpers: `[a-z][a-z0-9_]*`.
fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

const IDENTIFIER_RULE: &str =
    "use lowercase letters, digits and underscores, starting with a letter";

/// A value from the definition, with the path that leads to it.
#[derive(Debug, Clone)]
struct Node {
    value: Item,
    path: Path,
}

impl Node {
    fn new(value: Item, path: Path) -> Self {
        Self { value, path }
    }

    fn invalid(&self, message: String) -> Invalid {
        Invalid {
            path: self.path.clone(),
            message,
        }
    }

    fn expected(&self, what: &str) -> Invalid {
        self.invalid(format!("expected {what}, found {}", describe(&self.value)))
    }

    fn string(self) -> Result<String> {
        match self.value {
            Item::Text(text) => Ok(text),
            _ => Err(self.expected("a string")),
        }
    }

    /// A string with something in it besides whitespace.
    fn text(self) -> Result<String> {
        let path = self.path.clone();
        let text = self.string()?;
        if text.trim().is_empty() {
            return Err(Invalid {
                path,
                message: "must not be empty".into(),
            });
        }
        Ok(text)
    }

    fn identifier(self) -> Result<String> {
        let path = self.path.clone();
        let name = self.string()?;
        if !is_identifier(&name) {
            return Err(Invalid {
                path,
                message: format!("`{name}` is not a valid name: {IDENTIFIER_RULE}"),
            });
        }
        Ok(name)
    }

    fn one_of(self, allowed: &[&str]) -> Result<String> {
        let path = self.path.clone();
        let text = self.string()?;
        if !allowed.contains(&text.as_str()) {
            return Err(Invalid {
                path,
                message: format!("`{text}` is not one of {}", allowed.join(", ")),
            });
        }
        Ok(text)
    }

    fn boolean(self) -> Result<bool> {
        match self.value {
            Item::Bool(flag) => Ok(flag),
            _ => Err(self.expected("true or false")),
        }
    }

    fn array(self) -> Result<Vec<Node>> {
        match self.value {
            Item::List(items) => Ok(items
                .into_iter()
                .enumerate()
                .map(|(index, item)| Node::new(item, self.path.index(index)))
                .collect()),
            _ => Err(self.expected("an array")),
        }
    }

    fn map(self) -> Result<BTreeMap<String, Item>> {
        match self.value {
            Item::Map(map) => Ok(map),
            _ => Err(self.expected("an object")),
        }
    }

    /// An object whose keys must all be among `allowed`.
    fn table(self, allowed: &[&str]) -> Result<Table> {
        let path = self.path.clone();
        let entries = self.map()?;
        if let Some(key) = entries.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(Invalid {
                path: path.key(key),
                message: format!(
                    "unknown key `{key}`; expected one of {}",
                    allowed.join(", ")
                ),
            });
        }
        Ok(Table { entries, path })
    }

    /// An object from names (sorted) to values, such as `actions`.
    fn named_entries(self) -> Result<Vec<(String, Node)>> {
        let path = self.path.clone();
        let mut entries = Vec::new();
        for (name, value) in self.map()? {
            let node = Node::new(value, path.key(&name));
            if !is_identifier(&name) {
                return Err(
                    node.invalid(format!("`{name}` is not a valid name: {IDENTIFIER_RULE}"))
                );
            }
            entries.push((name, node));
        }
        Ok(entries)
    }
}

/// An object of the definition whose entries are taken out as they are read.
struct Table {
    entries: BTreeMap<String, Item>,
    path: Path,
}

impl Table {
    /// The value at `key`; `undefined` and `null` count as absent.
    fn optional(&mut self, key: &str) -> Option<Node> {
        let node = Node::new(self.entries.remove(key)?, self.path.key(key));
        (node.value != Item::Nothing).then_some(node)
    }

    fn required(&mut self, key: &str) -> Result<Node> {
        self.optional(key).ok_or_else(|| Invalid {
            path: self.path.clone(),
            message: format!("missing `{key}`"),
        })
    }
}

/// A value's kind in the words of the connector format.
fn describe(value: &Item) -> String {
    let kind = match value {
        Item::Nothing => "nothing (`undefined` or `null`)",
        Item::Bool(_) => "a boolean",
        Item::Integer(_) => "an integer",
        Item::Number(_) => "a number",
        Item::Text(_) => "a string",
        Item::List(_) => "an array",
        Item::Map(_) => "an object",
        Item::Function => "a function",
        Item::Other(type_name) => return format!("a value of type {type_name}"),
    };
    kind.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_identifiers() {
        assert!(is_identifier("create_issue2"));
        for name in ["", "Create", "2x", "_x", "create-issue", "créer"] {
            assert!(!is_identifier(name), "{name}");
        }
    }
}
