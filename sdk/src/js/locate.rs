//! Finds where in a JavaScript connector a part of its definition was written, so that an
//! invalid definition is reported at a line and column as precise as a syntax error.
//!
//! The validator works on the value the module exported, which no longer knows where it came
//! from; this module reads the source text instead. It tokenizes the module (comments, strings,
//! template literals and regular expressions skipped correctly), finds `export default`, and
//! walks the object and array literals along the invalid [`Path`], following a name to the
//! top-level `const`, `let` or `var` it is bound to. Where the definition stops being a literal
//! — a value computed by a call, a spread — the deepest position found so far is the answer.

use crate::Position;
use crate::path::{Path, Segment};

/// How many name bindings to follow from one value to the literal it names.
const MAX_BINDINGS_FOLLOWED: usize = 16;

/// The position of the key (or array element) at `path` in the module's `export default`, or of
/// the deepest part of the path written as a literal; `None` without an `export default`.
pub(crate) fn locate(source: &str, path: &Path) -> Option<Position> {
    let tokens = tokenize(source);
    let walker = Walker::new(source, &tokens);
    let start = walker.export_default()?;
    let mut value = walker.follow(start);
    let mut found = tokens.get(value)?.start;
    for segment in path.segments() {
        let next = match (segment, walker.text(value)) {
            (Segment::Key(key), "{") => walker.property(value, key),
            (Segment::Index(index), "[") => walker.element(value, *index),
            _ => None,
        };
        let Some((at, inner)) = next else { break };
        found = tokens[at].start;
        match inner {
            Some(inner) => value = walker.follow(inner),
            None => break,
        }
    }
    Some(position_of(source, found))
}

/// A line and column (both from 1, the column in characters) of a byte offset.
fn position_of(source: &str, offset: usize) -> Position {
    let before = &source[..offset.min(source.len())];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    Text,
    Number,
    Punct,
    /// A template literal or a regular expression: never a key, never walked into.
    Opaque,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Words after which a `/` starts a regular expression rather than dividing.
const BEFORE_EXPRESSION: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

/// The module's tokens. Unterminated strings, comments and templates end at the end of the
/// source: the module has parsed already, so this never has to report an error.
fn tokenize(source: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    // For each `{` open: whether it is a template literal's `${`.
    let mut braces: Vec<bool> = Vec::new();
    let mut at = 0;
    while at < source.len() {
        let (end, kind) = scan(source, at, tokens.last(), &mut braces);
        if let Some(kind) = kind {
            tokens.push(Token {
                kind,
                start: at,
                end,
            });
        }
        at = end;
    }
    tokens
}

/// The end of what starts at `at`, and the kind of token it is; `None` for what is no token
/// (blanks, comments, the rest of a template literal after a `${…}`).
fn scan(
    source: &str,
    at: usize,
    previous: Option<&Token>,
    braces: &mut Vec<bool>,
) -> (usize, Option<Kind>) {
    let bytes = source.as_bytes();
    let byte = bytes[at];
    match byte {
        b' ' | b'\t' | b'\n' | b'\r' => (at + 1, None),
        b'/' if bytes.get(at + 1) == Some(&b'/') => {
            (find_from(bytes, at, b"\n").unwrap_or(bytes.len()), None)
        }
        b'/' if bytes.get(at + 1) == Some(&b'*') => (
            find_from(bytes, at + 2, b"*/").map_or(bytes.len(), |end| end + 2),
            None,
        ),
        b'"' | b'\'' => (skip_string(bytes, at + 1, byte), Some(Kind::Text)),
        b'`' => (template_part(bytes, at + 1, braces), Some(Kind::Opaque)),
        b'}' if braces.last() == Some(&true) => {
            // The end of a `${…}`: the template literal goes on.
            braces.pop();
            (template_part(bytes, at + 1, braces), None)
        }
        b'/' if regex_allowed(source, previous) => (skip_regex(bytes, at + 1), Some(Kind::Opaque)),
        b'0'..=b'9' => (number_end(source, at), Some(Kind::Number)),
        _ if is_name_start(source, at) => (name_end(source, at), Some(Kind::Name)),
        _ => {
            match byte {
                b'{' => braces.push(false),
                b'}' => {
                    braces.pop();
                }
                _ => {}
            }
            (punct_end(source, at), Some(Kind::Punct))
        }
    }
}

/// The end of a template literal's text from `at`; a `${` it stops at is pushed on `braces`.
fn template_part(bytes: &[u8], at: usize, braces: &mut Vec<bool>) -> usize {
    let (end, substitution) = skip_template(bytes, at);
    if substitution {
        braces.push(true);
    }
    end
}

/// The end of a number literal starting at `start`: digits, letters (hex, exponents, BigInt
/// suffixes), dots, separators, and a sign right after a decimal exponent.
fn number_end(source: &str, start: usize) -> usize {
    let bytes = source.as_bytes();
    let mut at = start + 1;
    while at < bytes.len() {
        let c = bytes[at];
        let exponent_sign = matches!(c, b'+' | b'-')
            && matches!(bytes[at - 1], b'e' | b'E')
            && !source[start..at].starts_with("0x");
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exponent_sign {
            at += 1;
        } else {
            break;
        }
    }
    at
}

/// The end of a name starting at `at`.
fn name_end(source: &str, at: usize) -> usize {
    source[at..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$'))
        .map_or(source.len(), |(offset, _)| at + offset)
}

/// The end of a punctuator at `at`: `...` whole, anything else one character.
fn punct_end(source: &str, at: usize) -> usize {
    let length = if source[at..].starts_with("...") {
        3
    } else {
        source[at..].chars().next().map_or(1, char::len_utf8)
    };
    at + length
}

fn find_from(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|offset| from + offset)
}

fn is_name_start(source: &str, at: usize) -> bool {
    source[at..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
}

/// The offset just past a string literal whose body starts at `at`.
fn skip_string(bytes: &[u8], mut at: usize, quote: u8) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            c if c == quote => return at + 1,
            b'\n' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The offset just past a template literal's text from `at`, and whether it stopped at a `${`.
fn skip_template(bytes: &[u8], mut at: usize) -> (usize, bool) {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'`' => return (at + 1, false),
            b'$' if bytes.get(at + 1) == Some(&b'{') => return (at + 2, true),
            _ => at += 1,
        }
    }
    (bytes.len(), false)
}

/// The offset just past a regular expression literal (and its flags) whose body starts at `at`.
fn skip_regex(bytes: &[u8], mut at: usize) -> usize {
    let mut in_class = false;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'[' => {
                in_class = true;
                at += 1;
            }
            b']' => {
                in_class = false;
                at += 1;
            }
            b'/' if !in_class => {
                at += 1;
                while at < bytes.len() && bytes[at].is_ascii_alphabetic() {
                    at += 1;
                }
                return at;
            }
            b'\n' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Whether a `/` after `previous` starts a regular expression.
fn regex_allowed(source: &str, previous: Option<&Token>) -> bool {
    let Some(previous) = previous else {
        return true;
    };
    let text = &source[previous.start..previous.end];
    match previous.kind {
        Kind::Name => BEFORE_EXPRESSION.contains(&text),
        Kind::Punct => !matches!(text, ")" | "]" | "}"),
        Kind::Text | Kind::Number | Kind::Opaque => false,
    }
}

struct Walker<'a> {
    source: &'a str,
    tokens: &'a [Token],
    /// The indexes of the tokens outside every bracket: the module's top level.
    top_level: Vec<usize>,
}

impl<'a> Walker<'a> {
    fn new(source: &'a str, tokens: &'a [Token]) -> Self {
        let mut depth = 0usize;
        let mut top_level = Vec::new();
        for (index, token) in tokens.iter().enumerate() {
            match &source[token.start..token.end] {
                "{" | "(" | "[" => depth += 1,
                "}" | ")" | "]" => depth = depth.saturating_sub(1),
                _ if depth == 0 => top_level.push(index),
                _ => {}
            }
        }
        Self {
            source,
            tokens,
            top_level,
        }
    }

    fn text(&self, index: usize) -> &str {
        self.tokens
            .get(index)
            .map_or("", |token| &self.source[token.start..token.end])
    }

    fn kind(&self, index: usize) -> Option<Kind> {
        self.tokens.get(index).map(|token| token.kind)
    }

    /// The index of the first token after `export default` at the top level.
    fn export_default(&self) -> Option<usize> {
        let index = self
            .top_level
            .iter()
            .copied()
            .find(|&index| self.text(index) == "export" && self.text(index + 1) == "default")?;
        (index + 2 < self.tokens.len()).then_some(index + 2)
    }

    /// From a value that is a lone name, to the literal the top level binds the name to.
    fn follow(&self, mut value: usize) -> usize {
        for _ in 0..MAX_BINDINGS_FOLLOWED {
            if self.kind(value) != Some(Kind::Name) || !self.ends_value(value + 1) {
                break;
            }
            match self.binding(self.text(value)) {
                Some(bound) => value = bound,
                None => break,
            }
        }
        value
    }

    /// Whether the token at `index` ends the value before it (so a name there stands alone).
    fn ends_value(&self, index: usize) -> bool {
        index >= self.tokens.len() || matches!(self.text(index), "," | "}" | "]" | ";" | ")")
    }

    /// The first token of the value of the last top-level `const|let|var name = …`.
    fn binding(&self, name: &str) -> Option<usize> {
        self.top_level
            .iter()
            .rev()
            .copied()
            .find(|&index| {
                matches!(self.text(index), "const" | "let" | "var")
                    && self.text(index + 1) == name
                    && self.text(index + 2) == "="
            })
            .map(|index| index + 3)
    }

    /// The index just past the value starting at `index`: at the `,` or closing bracket that
    /// ends it, at its own depth.
    fn skip_value(&self, mut index: usize) -> usize {
        let mut depth = 0usize;
        while index < self.tokens.len() {
            match self.text(index) {
                "{" | "(" | "[" => depth += 1,
                "}" | ")" | "]" if depth == 0 => return index,
                "}" | ")" | "]" => depth -= 1,
                "," if depth == 0 => return index,
                _ => {}
            }
            index += 1;
        }
        index
    }

    /// In the object literal opening at `open`, the last property named `key`: the index of its
    /// key, and of its value when it has one to walk into (not a method).
    fn property(&self, open: usize, key: &str) -> Option<(usize, Option<usize>)> {
        let mut index = open + 1;
        let mut found = None;
        while index < self.tokens.len() && self.text(index) != "}" {
            if self.text(index) == "..." {
                let next = self.skip_value(index + 1);
                if self.text(next) != "," {
                    break;
                }
                index = next + 1;
                continue;
            }
            let mut name_at = index;
            // `async`, `get`, `set` and `*` before a method's name.
            while matches!(self.text(name_at), "async" | "get" | "set" | "*")
                && !matches!(self.text(name_at + 1), ":" | "(" | "," | "}")
            {
                name_at += 1;
            }
            let name = match self.kind(name_at) {
                Some(Kind::Name | Kind::Number) => Some(self.text(name_at).to_string()),
                Some(Kind::Text) => Some(unquote(self.text(name_at))),
                _ => None,
            };
            let after = name_at + 1;
            let value = match self.text(after) {
                ":" => Some(after + 1),
                // Shorthand `{ actions }`: the value is the name's binding.
                "," | "}" => Some(name_at),
                _ => None,
            };
            if name.as_deref() == Some(key) {
                found = Some((name_at, value));
            }
            let next = self.skip_value(value.unwrap_or(name_at));
            if self.text(next) != "," {
                break;
            }
            index = next + 1;
        }
        found
    }

    /// In the array literal opening at `open`, the element at `wanted`: its first token twice
    /// (the element is where it is written and what is walked into).
    fn element(&self, open: usize, wanted: usize) -> Option<(usize, Option<usize>)> {
        let mut index = open + 1;
        for position in 0.. {
            if index >= self.tokens.len() || self.text(index) == "]" {
                return None;
            }
            if position == wanted {
                return (self.text(index) != "...").then_some((index, Some(index)));
            }
            let next = self.skip_value(index);
            if self.text(next) != "," {
                return None;
            }
            index = next + 1;
        }
        None
    }
}

/// A string literal's text without its quotes (escapes left as written: keys rarely have any).
fn unquote(literal: &str) -> String {
    literal
        .get(1..literal.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(parts: &[&str]) -> Path {
        parts
            .iter()
            .fold(Path::default(), |path, part| match part.parse() {
                Ok(index) => path.index(index),
                Err(_) => path.key(part),
            })
    }

    fn at(source: &str, parts: &[&str]) -> Option<(usize, usize)> {
        locate(source, &path(parts)).map(|p| (p.line, p.column))
    }

    const SOURCE: &str = r#"// A connector: `export default` in a comment does not count.
const fields = [{ name: "a" }, { name: "b", type: "blob" }];
const re = /}{[/]/g, tpl = `${ { "}": 1 } }`;
export default {
  title: "T",
  "description": 'x, y',
  actions: {
    create: {
      input_fields: fields,
      execute(connection, input) { return { a: [1, 2] }; },
    },
    async other() {},
  },
  triggers: { t: { poll: () => ({ events: [] }), dedup: 5 } },
};
"#;

    #[test]
    fn keys_and_elements_are_found_through_bindings() {
        assert_eq!(at(SOURCE, &[]), Some((4, 16)));
        assert_eq!(at(SOURCE, &["title"]), Some((5, 3)));
        assert_eq!(at(SOURCE, &["description"]), Some((6, 3)));
        assert_eq!(at(SOURCE, &["actions", "create", "execute"]), Some((10, 7)));
        assert_eq!(
            at(SOURCE, &["actions", "create", "input_fields", "1", "type"]),
            Some((2, 45))
        );
        assert_eq!(at(SOURCE, &["actions", "other"]), Some((12, 11)));
        assert_eq!(at(SOURCE, &["triggers", "t", "dedup"]), Some((14, 50)));
    }

    #[test]
    fn a_missing_key_is_reported_at_the_deepest_part_found() {
        assert_eq!(at(SOURCE, &["actions", "create", "nope"]), Some((8, 5)));
        assert_eq!(
            at(SOURCE, &["actions", "create", "input_fields", "7"]),
            Some((9, 7))
        );
    }

    #[test]
    fn computed_definitions_stop_where_the_literal_does() {
        let source = "const make = () => ({ title: 1 });\nexport default make();\n";
        assert_eq!(at(source, &["title"]), Some((2, 16)));
        assert_eq!(at("const x = 1;", &["title"]), None);
    }

    #[test]
    fn the_last_of_duplicate_keys_wins_and_shorthand_follows_its_binding() {
        let source = "const actions = { a: 1 };\nexport default { title: 1, title: 2, actions };";
        assert_eq!(at(source, &["title"]), Some((2, 28)));
        assert_eq!(at(source, &["actions", "a"]), Some((1, 19)));
    }
}
