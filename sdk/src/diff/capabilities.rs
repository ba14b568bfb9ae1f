//! What changed between two versions' capabilities: operations, their fields, connection
//! fields and hosts, with hints for what a change breaks.

use std::collections::{BTreeMap, BTreeSet};

use crate::{Capabilities, Field, Operation};

/// What changed between two versions' capabilities. Every list is sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CapabilityDiff {
    pub actions_added: Vec<String>,
    pub actions_removed: Vec<String>,
    pub actions_changed: Vec<OperationChange>,
    pub triggers_added: Vec<String>,
    pub triggers_removed: Vec<String>,
    pub triggers_changed: Vec<OperationChange>,
    pub hosts_added: Vec<String>,
    pub hosts_removed: Vec<String>,
    pub connection_fields_added: Vec<String>,
    pub connection_fields_removed: Vec<String>,
    /// The sorted [`CapabilityDiff::breaking_hints`], worked out by [`capability_diff`] because
    /// they need facts the lists above drop (whether a field is required, its type, the
    /// authorization type). Not serialized: the lists above are the diff's public shape.
    #[serde(skip)]
    pub(crate) breaking: Vec<String>,
}

/// How one action or trigger present in both versions changed. Field names are top-level; a
/// field is changed when its type, its optionality or (recursively) its properties differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperationChange {
    pub name: String,
    pub title_changed: bool,
    pub input_fields_added: Vec<String>,
    pub input_fields_removed: Vec<String>,
    pub input_fields_changed: Vec<String>,
    pub output_fields_added: Vec<String>,
    pub output_fields_removed: Vec<String>,
    pub output_fields_changed: Vec<String>,
}

impl CapabilityDiff {
    /// Whether nothing the diff tracks changed, breaking hints included (an authorization change
    /// or a connection field's new type shows only there). Titles and descriptions of the
    /// connector, labels, hints, methods, pick lists and object definitions are not tracked.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Changes that may break existing recipes or connections, e.g. "action create_issue
    /// removed", "input field x of action y is now required", "output field z of action y
    /// removed"; nested fields are named by path (`labels.color`). Sorted.
    pub fn breaking_hints(&self) -> Vec<String> {
        self.breaking.clone()
    }
}

/// What changed between two versions' capabilities.
pub fn capability_diff(old: &Capabilities, new: &Capabilities) -> CapabilityDiff {
    let mut breaking = Vec::new();
    let actions = operations_diff("action", &old.actions, &new.actions, &mut breaking);
    let triggers = operations_diff("trigger", &old.triggers, &new.triggers, &mut breaking);
    let (hosts_added, hosts_removed) = added_removed(
        old.allowed_hosts.iter().map(String::as_str).collect(),
        new.allowed_hosts.iter().map(String::as_str).collect(),
    );
    breaking.extend(
        hosts_removed
            .iter()
            .map(|host| format!("host {host} removed")),
    );
    let (old_fields, new_fields) = (&old.connection.fields, &new.connection.fields);
    let (connection_fields_added, connection_fields_removed) =
        added_removed(names(old_fields), names(new_fields));
    field_hints(
        Role::Connection,
        "",
        "",
        old_fields,
        new_fields,
        &mut breaking,
    );
    breaking.extend(authorization_hint(old, new));
    breaking.sort();
    CapabilityDiff {
        actions_added: actions.added,
        actions_removed: actions.removed,
        actions_changed: actions.changed,
        triggers_added: triggers.added,
        triggers_removed: triggers.removed,
        triggers_changed: triggers.changed,
        hosts_added,
        hosts_removed,
        connection_fields_added,
        connection_fields_removed,
        breaking,
    }
}

/// Existing connections hold credentials for the old authorization type.
fn authorization_hint(old: &Capabilities, new: &Capabilities) -> Option<String> {
    let (old, new) = (&old.connection.authorization, &new.connection.authorization);
    let show = |auth: &Option<String>| auth.clone().unwrap_or_else(|| "none".to_string());
    (old != new).then(|| format!("authorization changed from {} to {}", show(old), show(new)))
}

struct OperationsDiff {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<OperationChange>,
}

/// `kind` is "action" or "trigger", for the hints.
fn operations_diff(
    kind: &str,
    old: &[Operation],
    new: &[Operation],
    breaking: &mut Vec<String>,
) -> OperationsDiff {
    let old: BTreeMap<&str, &Operation> = old.iter().map(|op| (op.name.as_str(), op)).collect();
    let new: BTreeMap<&str, &Operation> = new.iter().map(|op| (op.name.as_str(), op)).collect();
    let (added, removed) =
        added_removed(old.keys().copied().collect(), new.keys().copied().collect());
    breaking.extend(removed.iter().map(|name| format!("{kind} {name} removed")));
    let changed = old
        .iter()
        .filter_map(|(name, old_op)| Some((*old_op, *new.get(name)?)))
        .filter_map(|(old_op, new_op)| operation_change(kind, old_op, new_op, breaking))
        .collect();
    OperationsDiff {
        added,
        removed,
        changed,
    }
}

/// `None` when nothing the diff tracks changed (a new description alone is not a change).
fn operation_change(
    kind: &str,
    old: &Operation,
    new: &Operation,
    breaking: &mut Vec<String>,
) -> Option<OperationChange> {
    let owner = format!(" of {kind} {}", new.name);
    let (old_in, new_in) = (&old.input_fields, &new.input_fields);
    let (old_out, new_out) = (&old.output_fields, &new.output_fields);
    field_hints(Role::Input, "", &owner, old_in, new_in, breaking);
    field_hints(Role::Output, "", &owner, old_out, new_out, breaking);
    let (input, output) = (fields_diff(old_in, new_in), fields_diff(old_out, new_out));
    let change = OperationChange {
        name: new.name.clone(),
        title_changed: old.title != new.title,
        input_fields_added: input.added,
        input_fields_removed: input.removed,
        input_fields_changed: input.changed,
        output_fields_added: output.added,
        output_fields_removed: output.removed,
        output_fields_changed: output.changed,
    };
    let changed = change.title_changed || field_lists(&change).iter().any(|l| !l.is_empty());
    changed.then_some(change)
}

fn field_lists(change: &OperationChange) -> [&Vec<String>; 6] {
    [
        &change.input_fields_added,
        &change.input_fields_removed,
        &change.input_fields_changed,
        &change.output_fields_added,
        &change.output_fields_removed,
        &change.output_fields_changed,
    ]
}

struct FieldsDiff {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

fn fields_diff(old: &[Field], new: &[Field]) -> FieldsDiff {
    let (added, removed) = added_removed(names(old), names(new));
    let new = by_name(new);
    let changed = by_name(old)
        .into_iter()
        .filter(|(name, field)| new.get(name).is_some_and(|n| shape_differs(field, n)))
        .map(|(name, _)| name.to_string())
        .collect();
    FieldsDiff {
        added,
        removed,
        changed,
    }
}

/// The parts of a field that a mapping or a stored value depends on; labels and hints are not.
fn shape_differs(old: &Field, new: &Field) -> bool {
    old.field_type != new.field_type
        || old.optional != new.optional
        || properties_differ(&old.properties, &new.properties)
}

fn properties_differ(old: &[Field], new: &[Field]) -> bool {
    let (old, new) = (by_name(old), by_name(new));
    old.len() != new.len()
        || old
            .iter()
            .any(|(name, field)| new.get(name).is_none_or(|n| shape_differs(field, n)))
}

/// Which list a field belongs to; it decides which of its changes can break something.
#[derive(Clone, Copy)]
enum Role {
    /// Recipes map values into these: removals drop mapped values, new required ones lack one.
    Input,
    /// Later recipe steps read these: removals and type changes break their mappings.
    Output,
    /// Existing connections hold these values: new required ones are missing there.
    Connection,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Output => "output",
            Role::Connection => "connection",
        }
    }

    fn removal_breaks(self) -> bool {
        !matches!(self, Role::Connection)
    }

    fn needs_values(self) -> bool {
        !matches!(self, Role::Output)
    }
}

/// Pushes the breaking hints for one field list, recursing into the properties of fields kept;
/// `prefix` is the dotted path of the parent field, `owner` names the operation (" of action x").
fn field_hints(
    role: Role,
    prefix: &str,
    owner: &str,
    old: &[Field],
    new: &[Field],
    breaking: &mut Vec<String>,
) {
    let (old, new) = (by_name(old), by_name(new));
    let label = role.label();
    for (name, old_field) in &old {
        let path = format!("{prefix}{name}");
        match new.get(name) {
            Some(new_field) => {
                kept_field_hints(role, &path, owner, old_field, new_field, breaking);
                let (old_props, new_props) = (&old_field.properties, &new_field.properties);
                field_hints(
                    role,
                    &format!("{path}."),
                    owner,
                    old_props,
                    new_props,
                    breaking,
                );
            }
            None if role.removal_breaks() => {
                breaking.push(format!("{label} field {path}{owner} removed"));
            }
            None => {}
        }
    }
    let added = new.iter().filter(|(name, _)| !old.contains_key(*name));
    for (name, _) in added.filter(|(_, field)| role.needs_values() && !field.optional) {
        breaking.push(format!(
            "{label} field {prefix}{name}{owner} added as required"
        ));
    }
}

fn kept_field_hints(
    role: Role,
    path: &str,
    owner: &str,
    old: &Field,
    new: &Field,
    breaking: &mut Vec<String>,
) {
    let label = role.label();
    if old.field_type != new.field_type {
        let (from, to) = (&old.field_type, &new.field_type);
        breaking.push(format!(
            "{label} field {path}{owner} changed type from {from} to {to}"
        ));
    }
    if role.needs_values() && old.optional && !new.optional {
        breaking.push(format!("{label} field {path}{owner} is now required"));
    }
}

fn by_name(fields: &[Field]) -> BTreeMap<&str, &Field> {
    fields.iter().map(|f| (f.name.as_str(), f)).collect()
}

fn names(fields: &[Field]) -> BTreeSet<&str> {
    fields.iter().map(|f| f.name.as_str()).collect()
}

/// The names only in `new` and the names only in `old`, each sorted.
fn added_removed(old: BTreeSet<&str>, new: BTreeSet<&str>) -> (Vec<String>, Vec<String>) {
    let only = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| -> Vec<String> {
        a.difference(b).map(|s| s.to_string()).collect()
    };
    (only(&new, &old), only(&old, &new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConnectionSpec;

    fn field(name: &str, field_type: &str, optional: bool) -> Field {
        Field {
            name: name.to_string(),
            label: name.to_string(),
            field_type: field_type.to_string(),
            optional,
            control_type: None,
            hint: None,
            secret: false,
            pick_list: None,
            properties: Vec::new(),
        }
    }

    fn object(name: &str, optional: bool, properties: Vec<Field>) -> Field {
        Field {
            properties,
            ..field(name, "array", optional)
        }
    }

    fn operation(name: &str, title: &str, input: Vec<Field>, output: Vec<Field>) -> Operation {
        Operation {
            name: name.to_string(),
            title: title.to_string(),
            description: None,
            input_fields: input,
            output_fields: output,
        }
    }

    fn capabilities(
        actions: Vec<Operation>,
        triggers: Vec<Operation>,
        connection: Vec<Field>,
        authorization: &str,
        hosts: &[&str],
    ) -> Capabilities {
        Capabilities {
            title: "Tracker".to_string(),
            description: String::new(),
            connection: ConnectionSpec {
                fields: connection,
                authorization: Some(authorization.to_string()),
                base_uri: true,
            },
            actions,
            triggers,
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            methods: Vec::new(),
            pick_lists: Vec::new(),
            object_definitions: Vec::new(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn old_tracker() -> Capabilities {
        let create = operation(
            "create_issue",
            "Create issue",
            vec![
                field("title", "string", false),
                field("body", "string", true),
                object("labels", true, vec![field("name", "string", false)]),
            ],
            vec![field("id", "integer", false), field("url", "string", false)],
        );
        let delete = operation(
            "delete_issue",
            "Delete issue",
            vec![field("id", "integer", false)],
            vec![],
        );
        let list = operation(
            "list_issues",
            "List issues",
            vec![],
            vec![field("id", "integer", false)],
        );
        let new_issue = operation(
            "new_issue",
            "New issue",
            vec![],
            vec![field("id", "integer", false)],
        );
        capabilities(
            vec![create, delete, list],
            vec![new_issue],
            vec![
                field("api_key", "string", false),
                field("subdomain", "string", false),
            ],
            "api_key",
            &["api.example.com", "*.example.com"],
        )
    }

    fn new_tracker() -> Capabilities {
        let create = operation(
            "create_issue",
            "Create an issue",
            vec![
                field("title", "string", false),
                field("body", "string", false),
                object(
                    "labels",
                    true,
                    vec![
                        field("name", "string", false),
                        field("color", "string", false),
                    ],
                ),
                field("project", "integer", false),
                field("assignee", "string", true),
            ],
            vec![
                field("id", "string", false),
                field("html_url", "string", false),
            ],
        );
        let close = operation(
            "close_issue",
            "Close issue",
            vec![field("id", "integer", false)],
            vec![],
        );
        let list = operation(
            "list_issues",
            "List issues",
            vec![],
            vec![field("id", "integer", false)],
        );
        let mut new_issue = operation(
            "new_issue",
            "New issue",
            vec![],
            vec![field("id", "integer", false)],
        );
        new_issue.description = Some("Fires for every new issue.".to_string());
        let updated = operation("updated_issue", "Updated issue", vec![], vec![]);
        capabilities(
            vec![close, create, list],
            vec![new_issue, updated],
            vec![
                field("api_key", "string", false),
                field("region", "string", true),
            ],
            "bearer",
            &["api.example.com", "uploads.example.com"],
        )
    }

    #[test]
    fn capability_diff_reports_every_kind_of_change() {
        let diff = capability_diff(&old_tracker(), &new_tracker());
        let expected = CapabilityDiff {
            actions_added: strings(&["close_issue"]),
            actions_removed: strings(&["delete_issue"]),
            actions_changed: vec![OperationChange {
                name: "create_issue".to_string(),
                title_changed: true,
                input_fields_added: strings(&["assignee", "project"]),
                input_fields_removed: vec![],
                input_fields_changed: strings(&["body", "labels"]),
                output_fields_added: strings(&["html_url"]),
                output_fields_removed: strings(&["url"]),
                output_fields_changed: strings(&["id"]),
            }],
            triggers_added: strings(&["updated_issue"]),
            triggers_removed: vec![],
            triggers_changed: vec![],
            hosts_added: strings(&["uploads.example.com"]),
            hosts_removed: strings(&["*.example.com"]),
            connection_fields_added: strings(&["region"]),
            connection_fields_removed: strings(&["subdomain"]),
            breaking: diff.breaking.clone(),
        };
        assert_eq!(diff, expected);
        assert!(!diff.is_empty());
        assert_eq!(
            diff.breaking_hints(),
            strings(&[
                "action delete_issue removed",
                "authorization changed from api_key to bearer",
                "host *.example.com removed",
                "input field body of action create_issue is now required",
                "input field labels.color of action create_issue added as required",
                "input field project of action create_issue added as required",
                "output field id of action create_issue changed type from integer to string",
                "output field url of action create_issue removed",
            ])
        );
    }

    #[test]
    fn capability_diff_of_the_reverse_update() {
        let diff = capability_diff(&new_tracker(), &old_tracker());
        assert_eq!(
            diff.actions_changed[0].input_fields_removed,
            strings(&["assignee", "project"])
        );
        assert_eq!(diff.connection_fields_added, strings(&["subdomain"]));
        assert_eq!(
            diff.breaking_hints(),
            strings(&[
                "action close_issue removed",
                "authorization changed from bearer to api_key",
                "connection field subdomain added as required",
                "host uploads.example.com removed",
                "input field assignee of action create_issue removed",
                "input field labels.color of action create_issue removed",
                "input field project of action create_issue removed",
                "output field html_url of action create_issue removed",
                "output field id of action create_issue changed type from string to integer",
                "trigger updated_issue removed",
            ])
        );
    }

    #[test]
    fn connection_field_changes_are_hinted() {
        let old = capabilities(
            vec![],
            vec![],
            vec![field("token", "string", true)],
            "bearer",
            &[],
        );
        let new = capabilities(
            vec![],
            vec![],
            vec![field("token", "integer", false)],
            "bearer",
            &[],
        );
        let diff = capability_diff(&old, &new);
        assert_eq!(
            diff.breaking_hints(),
            strings(&[
                "connection field token changed type from string to integer",
                "connection field token is now required",
            ])
        );
        assert!(!diff.is_empty());
    }

    #[test]
    fn identical_capabilities_give_an_empty_diff() {
        let diff = capability_diff(&old_tracker(), &old_tracker());
        assert_eq!(diff, CapabilityDiff::default());
        assert!(diff.is_empty());
        assert!(diff.breaking_hints().is_empty());
    }

    #[test]
    fn capability_diff_serializes_only_the_lists() -> Result<(), serde_json::Error> {
        let diff = capability_diff(&old_tracker(), &new_tracker());
        let json = serde_json::to_value(&diff)?;
        let keys: Vec<&String> = json
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 10);
        assert!(json.get("breaking").is_none());
        assert_eq!(
            json["actions_changed"][0]["input_fields_changed"],
            serde_json::json!(["body", "labels"])
        );
        Ok(())
    }
}
