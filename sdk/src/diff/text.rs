//! Texts compared line by line. A CRLF line break compares equal to an LF one, so a copy saved
//! from an editor on Windows does not look rewritten; diffs and conflicts are shown with LF
//! breaks.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
