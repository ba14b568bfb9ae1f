//! Comparing and merging connector versions: the source diff and capability diff that an update
//! preview shows, and the three-way merge behind a `MERGE` update.
//!
//! Texts are compared line by line. A CRLF line break compares equal to an LF one, so a copy saved
//! from an editor on Windows does not look rewritten; diffs and conflicts are shown with LF breaks.

use std::collections::{BTreeMap, BTreeSet};

use sdk::{Capabilities, Field, Operation};
use similar::{Algorithm, ChangeTag, TextDiff, TextMerge};

/// One hunk that could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MergeConflict {
    /// 1-based line in the local (ours) text where the conflict starts; for a hunk the local
    /// side deleted, the line that now follows the deletion.
    pub start_line: usize,
    /// The hunk's lines in each text, each line ending with `\n`; empty when that side has none.
    pub local: String,
    pub incoming: String,
    pub base: String,
}

/// Three-way merge: `base` = the community version the copy was made from, `local` = the
/// workspace's latest (with edits), `incoming` = the new community version. Ok(merged text) or
/// Err(all conflicts, in local line order).
///
/// Non-overlapping changes on both sides merge cleanly; identical changes on both sides merge;
/// overlapping different changes conflict. Like git, changes that touch without an unchanged line
/// between them conflict too: nothing anchors how they relate, and a silently wrong merge of code
/// is worse than a question to the user.
///
/// Whether the text ends with a newline, and whether it uses CRLF breaks, are merged as
/// whole-file traits (the local choice wins if the workspace changed it), so that an editor
/// dropping the final newline does not turn into a conflict on the last line.
pub fn merge(base: &str, local: &str, incoming: &str) -> Result<String, Vec<MergeConflict>> {
    // Byte-exact answers when one side did nothing.
    if local == base || local == incoming {
        return Ok(incoming.to_string());
    }
    if incoming == base {
        return Ok(local.to_string());
    }
    let (base, local, incoming) = (Text::of(base), Text::of(local), Text::of(incoming));
    let merged = TextMerge::from_lines(
        base.body.as_str(),
        local.body.as_str(),
        incoming.body.as_str(),
    );
    let conflicts = conflicts(&merged);
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let crlf = pick(base.crlf, local.crlf, incoming.crlf);
    let final_newline = pick(
        base.final_newline,
        local.final_newline,
        incoming.final_newline,
    );
    Ok(render(&merged.to_string(), crlf, final_newline))
}

/// A unified diff (like `diff -u`) from `old` to `new`, with 3 lines of context and headers
/// `--- {old_name}` / `+++ {new_name}`; empty string when both have the same lines.
///
/// CRLF and LF breaks compare equal and the diff is written with LF; a missing final newline is
/// a change of the last line, marked `\ No newline at end of file` as `diff -u` does.
pub fn unified_diff(old_name: &str, old: &str, new_name: &str, new: &str) -> String {
    let (old, new) = (to_lf(old), to_lf(new));
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        // Without this, `similar` omits the missing-newline marker when neither text ends in one.
        .newline_terminated(true)
        .diff_lines(old.as_str(), new.as_str())
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Line counts of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DiffStats {
    pub added: usize,
    pub removed: usize,
}

/// The `+` and `-` line counts of [`unified_diff`] between the same texts.
pub fn diff_stats(old: &str, new: &str) -> DiffStats {
    let (old, new) = (to_lf(old), to_lf(new));
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(old.as_str(), new.as_str());
    let mut stats = DiffStats::default();
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => stats.added += 1,
            ChangeTag::Delete => stats.removed += 1,
            ChangeTag::Equal => {}
        }
    }
    stats
}

/// A text prepared for merging: LF breaks and a final newline, with the two traits that
/// normalising took away.
struct Text {
    /// LF breaks; ends with `\n` unless empty.
    body: String,
    /// Whether the first line break is CRLF; decides the style of the whole text.
    crlf: bool,
    /// An empty text counts as ending with a newline: it has no last line to lack one.
    final_newline: bool,
}

impl Text {
    fn of(text: &str) -> Self {
        let crlf = text
            .split_once('\n')
            .is_some_and(|(first, _)| first.ends_with('\r'));
        let mut body = to_lf(text);
        let final_newline = body.is_empty() || body.ends_with('\n');
        if !final_newline {
            body.push('\n');
        }
        Self {
            body,
            crlf,
            final_newline,
        }
    }
}

fn to_lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Turns a merged LF body back into a text of the merged style.
fn render(body: &str, crlf: bool, final_newline: bool) -> String {
    let body = if final_newline {
        body
    } else {
        body.strip_suffix('\n').unwrap_or(body)
    };
    if crlf {
        body.replace('\n', "\r\n")
    } else {
        body.to_string()
    }
}

/// The three-way answer for a whole-file trait: the local value if the workspace changed it,
/// otherwise the incoming one.
fn pick(base: bool, local: bool, incoming: bool) -> bool {
    if local == base { incoming } else { local }
}

fn conflicts(merged: &TextMerge<'_, '_, '_, str>) -> Vec<MergeConflict> {
    merged
        .conflicts()
        .map(|region| MergeConflict {
            start_line: region.ours_range().start + 1,
            local: region
                .ours_range()
                .filter_map(|n| merged.ours_line(n))
                .collect(),
            incoming: region
                .theirs_range()
                .filter_map(|n| merged.theirs_line(n))
                .collect(),
            base: region
                .base_range()
                .filter_map(|n| merged.base_line(n))
                .collect(),
        })
        .collect()
}

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
    use sdk::ConnectionSpec;

    fn conflict(start_line: usize, local: &str, incoming: &str, base: &str) -> MergeConflict {
        MergeConflict {
            start_line,
            local: local.to_string(),
            incoming: incoming.to_string(),
            base: base.to_string(),
        }
    }

    const BASE: &str = "a\nb\nc\nd\ne\n";

    #[test]
    fn non_overlapping_edits_merge_cleanly() {
        let merged = merge(BASE, "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n");
        assert_eq!(merged, Ok("A\nb\nc\nd\nE\n".to_string()));
    }

    #[test]
    fn insertions_and_deletions_on_both_sides_merge_cleanly() {
        let merged = merge(BASE, "top\na\nb\nc\nd\ne\n", "a\nb\nd\ne\nend\n");
        assert_eq!(merged, Ok("top\na\nb\nd\ne\nend\n".to_string()));
    }

    #[test]
    fn the_same_edit_on_both_sides_merges() {
        assert_eq!(
            merge(BASE, "a\nB\nc\nd\nx\n", "a\nB\nc\nd\ne\n"),
            Ok("a\nB\nc\nd\nx\n".to_string())
        );
        assert_eq!(merge(BASE, "a\nB\n", "a\nB\n"), Ok("a\nB\n".to_string()));
    }

    #[test]
    fn different_edits_of_a_line_conflict() {
        assert_eq!(
            merge("a\nb\nc\n", "a\nlocal\nc\n", "a\nincoming\nc\n"),
            Err(vec![conflict(2, "local\n", "incoming\n", "b\n")])
        );
    }

    #[test]
    fn every_conflict_is_reported_at_its_local_line() {
        let base = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let local = "0a\n0b\n1\n2\n3\n4\nL5\n6\n7\n8\nL9\n";
        let incoming = "1\n2\n3\n4\nI5a\nI5b\n6\n7\n8\nI9\n";
        assert_eq!(
            merge(base, local, incoming),
            Err(vec![
                conflict(7, "L5\n", "I5a\nI5b\n", "5\n"),
                conflict(11, "L9\n", "I9\n", "9\n"),
            ])
        );
    }

    #[test]
    fn unchanged_local_takes_incoming_as_is() {
        let incoming = "x\r\ny";
        assert_eq!(merge(BASE, BASE, incoming), Ok(incoming.to_string()));
    }

    #[test]
    fn unchanged_incoming_keeps_local_as_is() {
        let local = "a\r\nB\r\nc";
        assert_eq!(merge(BASE, local, BASE), Ok(local.to_string()));
    }

    #[test]
    fn deletion_against_edit_conflicts() {
        assert_eq!(
            merge("a\nb\nc\n", "a\nc\n", "a\nB\nc\n"),
            Err(vec![conflict(2, "", "B\n", "b\n")])
        );
        assert_eq!(
            merge("a\nb\nc\n", "a\nB\nc\n", "a\nc\n"),
            Err(vec![conflict(2, "B\n", "", "b\n")])
        );
    }

    #[test]
    fn edits_of_adjacent_lines_conflict() {
        assert_eq!(
            merge("a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nC\nd\n"),
            Err(vec![conflict(2, "B\nc\n", "b\nC\n", "b\nc\n")])
        );
    }

    #[test]
    fn different_insertions_at_the_same_place_conflict() {
        assert_eq!(
            merge("a\n", "a\nl\n", "a\ni\n"),
            Err(vec![conflict(2, "l\n", "i\n", "")])
        );
    }

    #[test]
    fn final_newline_is_merged_apart_from_the_last_line() {
        // Incoming adds the final newline, local edits the first line.
        let base = "a\nb\nc\nd\ne";
        assert_eq!(
            merge(base, "A\nb\nc\nd\ne", "a\nb\nc\nd\nE\n"),
            Ok("A\nb\nc\nd\nE\n".to_string())
        );
        // Local drops it (as a browser text area does) while incoming edits the last line.
        assert_eq!(
            merge("a\nb\nc\nd\n", "A\nb\nc\nd", "a\nb\nc\nD\n"),
            Ok("A\nb\nc\nD".to_string())
        );
    }

    #[test]
    fn crlf_lines_match_lf_lines_and_the_changed_style_wins() {
        let crlf_base = "a\r\nb\r\nc\r\nd\r\ne\r\n";
        assert_eq!(
            merge(crlf_base, "A\r\nb\r\nc\r\nd\r\ne\r\n", "a\nb\nc\nd\nE\n"),
            Ok("A\nb\nc\nd\nE\n".to_string())
        );
        assert_eq!(
            merge(BASE, "A\r\nb\r\nc\r\nd\r\ne\r\n", "a\nb\nc\nd\nE\n"),
            Ok("A\r\nb\r\nc\r\nd\r\nE\r\n".to_string())
        );
    }

    #[test]
    fn empty_texts_merge() {
        assert_eq!(merge("", "x\n", ""), Ok("x\n".to_string()));
        assert_eq!(merge("a\n", "", "a\n"), Ok(String::new()));
        assert_eq!(merge("", "", ""), Ok(String::new()));
        assert_eq!(
            merge("", "l\n", "i"),
            Err(vec![conflict(1, "l\n", "i\n", "")])
        );
        assert_eq!(
            merge("a\nb\nc\nd\n", "", "a\nb\nc\nD\n"),
            Err(vec![conflict(1, "", "a\nb\nc\nD\n", "a\nb\nc\nd\n")])
        );
        assert_eq!(
            merge("a\nb\nc\n", "a\nb\nc\nl\n", ""),
            Err(vec![conflict(1, "a\nb\nc\nl\n", "", "a\nb\nc\n")])
        );
    }

    #[test]
    fn unified_diff_of_a_small_change() {
        let diff = unified_diff("v1.0.0", "a\nb\nc\n", "v1.1.0", "a\nB\nc\nd\n");
        assert_eq!(
            diff,
            "--- v1.0.0\n+++ v1.1.0\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
        );
    }

    #[test]
    fn unified_diff_splits_distant_changes_into_hunks() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
        let new = "1\nII\n3\n4\n5\n6\n7\n8\n9\n10\nXI\n12\n";
        assert_eq!(
            unified_diff("old", old, "new", new),
            "--- old\n+++ new\n\
             @@ -1,5 +1,5 @@\n 1\n-2\n+II\n 3\n 4\n 5\n\
             @@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+XI\n 12\n"
        );
    }

    #[test]
    fn unified_diff_marks_a_missing_final_newline() {
        assert_eq!(
            unified_diff("old", "a\nb", "new", "a\nb\n"),
            "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"
        );
        assert_eq!(
            unified_diff("old", "a", "new", "b"),
            "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n\
             +b\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn unified_diff_of_empty_and_equal_texts() {
        assert_eq!(unified_diff("old", "", "new", ""), "");
        assert_eq!(unified_diff("old", "a\nb\n", "new", "a\nb\n"), "");
        assert_eq!(unified_diff("old", "a\r\nb\r\n", "new", "a\nb\n"), "");
        assert_eq!(
            unified_diff("old", "", "new", "x\r\n"),
            "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n"
        );
        assert_eq!(
            unified_diff("old", "x\n", "new", ""),
            "--- old\n+++ new\n@@ -1 +0,0 @@\n-x\n"
        );
    }

    #[test]
    fn diff_stats_count_lines() {
        let stats = |old, new| {
            let DiffStats { added, removed } = diff_stats(old, new);
            (added, removed)
        };
        assert_eq!(stats("a\nb\nc\n", "a\nB\nc\nd\n"), (2, 1));
        assert_eq!(stats("a\nb\n", "a\nb\n"), (0, 0));
        assert_eq!(stats("a\r\nb", "a\nb"), (0, 0));
        assert_eq!(stats("a\nb", "a\nb\n"), (1, 1));
        assert_eq!(stats("", "x\ny"), (2, 0));
        assert_eq!(stats("x\ny\n", ""), (0, 2));
        assert_eq!(stats("", ""), (0, 0));
    }

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
