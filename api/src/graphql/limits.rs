//! The document guard: bounds the work of parsing, validating and planning a GraphQL document
//! before any of that work is done, and gives every request-level error a code.
//!
//! async-graphql's own checks walk fragment spreads as written — a document whose fragments
//! each spread the one before twice makes them exponential (F24 took 21 s, F39 never ended). So
//! this guard runs first, in `prepare_request`, over a document it has itself bounded:
//! 1. the query text is at most `max_query_bytes` (a 15 MB comment no longer reaches the parser);
//! 2. brackets nest at most [`MAX_NESTING`] deep, counted lexically, so the recursive parser
//!    cannot exhaust its stack;
//! 3. the parsed document is measured **as expanded**: each fragment is measured once and its
//!    figures reused wherever it is spread (linear time), so a spread costs what it expands to.
//!    Fields, depth, aliases and directives are counted that way and refused above their limits;
//!    fragment cycles and unknown directives are refused here too.
//!
//! The parsed document is kept in the request, so async-graphql does not parse it again; its own
//! limits stay configured as a backstop behind these.
//!
//! Depth is counted the way real clients need it: an introspection `ofType` does not deepen a
//! query (graphql-js's standard introspection query is 14 levels deep only through its chain of
//! `ofType`, which names at most one type per level); those chains have their own cap,
//! [`MAX_OF_TYPE_CHAIN`]. Everything else counts, so `fields { type { fields … } } }` is bounded
//! by `max_depth` as before.
//!
//! Every error that leaves a request without `extensions.code` — a syntax error, a validation
//! failure, an unknown operation — gets one here: `LIMIT_EXCEEDED` for limits, `BAD_USER_INPUT`
//! for everything else.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextSubscribe,
};
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Request, Response, ServerError, ServerResult};

use crate::config::RequestLimits;
use crate::error::ErrorCode;

/// Brackets (`{`, `(`, `[`) may nest this deep in a document's text. The standard introspection
/// query nests 13 deep; the parser recurses once per level.
pub const MAX_NESTING: usize = 64;

/// How many `ofType` an introspection path may chain (graphql-js asks for 9 at most).
pub const MAX_OF_TYPE_CHAIN: usize = 16;

/// Directives that may appear in a query, and where: the schema defines no executable
/// directive of its own (a test compares this with the served schema).
pub const EXECUTABLE_DIRECTIVES: [&str; 2] = ["include", "skip"];

/// The limits the guard enforces, taken from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_query_bytes: usize,
    /// Fields as expanded. Every field costs at least 1 of complexity, so this is never stricter
    /// than the complexity limit for a query without zero-sized pages.
    pub max_fields: usize,
    pub max_depth: usize,
    pub max_aliases: usize,
    pub max_directives_per_field: usize,
}

impl DocumentLimits {
    pub fn from_config(limits: &RequestLimits) -> Self {
        Self {
            max_query_bytes: limits.max_query_bytes,
            max_fields: limits.max_complexity,
            max_depth: limits.max_depth,
            max_aliases: limits.max_aliases,
            max_directives_per_field: MAX_DIRECTIVES_PER_FIELD,
        }
    }
}

/// async-graphql's own directive limit, set to the same figure (see `build_schema`).
pub const MAX_DIRECTIVES_PER_FIELD: usize = 20;

/// The guard as a schema extension.
pub struct DocumentGuard(pub DocumentLimits);

impl ExtensionFactory for DocumentGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.0))
    }
}

struct GuardExtension(DocumentLimits);

fn coded(mut err: ServerError, code: ErrorCode) -> ServerError {
    let mut ext = err.extensions.take().unwrap_or_default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    err
}

fn limit(message: String) -> ServerError {
    coded(ServerError::new(message, None), ErrorCode::LimitExceeded)
}

fn bad_input(message: String, pos: Option<async_graphql::Pos>) -> ServerError {
    coded(ServerError::new(message, pos), ErrorCode::BadUserInput)
}

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

/// The code for an error async-graphql raised without one. Its limit errors are recognised by
/// their text (it gives them no other mark). Only the complexity limit reaches here in practice
/// (it weighs pages by `first`, which the guard does not); the others are backstops behind the
/// guard's own checks. `every_request_error_carries_a_code` (e2e) pins the complexity message.
fn code_for_uncoded(err: &ServerError) -> ErrorCode {
    let m = err.message.as_str();
    if m == "Query is too complex."
        || m == "Query is nested too deep."
        || m.starts_with("The recursion depth of the query")
        || m.starts_with("The number of directives on the field")
    {
        ErrorCode::LimitExceeded
    } else {
        ErrorCode::BadUserInput
    }
}

/// Give every error in `response` a code.
fn code_errors(mut response: Response) -> Response {
    for err in &mut response.errors {
        if !has_code(err) {
            let code = code_for_uncoded(err);
            *err = coded(err.clone(), code);
        }
    }
    response
}

#[async_graphql::async_trait::async_trait]
impl Extension for GuardExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        code_errors(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(code_errors).boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        check(&mut request, &self.0)?;
        next.run(ctx, request).await
    }
}

/// Bound, parse and measure the request's document; the parsed document stays in the request.
/// Used by the schema (every request, HTTP and WebSocket alike) and by the HTTP layer when it
/// must know an operation's type before executing it.
pub fn check<'r>(
    request: &'r mut Request,
    limits: &DocumentLimits,
) -> ServerResult<&'r ExecutableDocument> {
    let bytes = request.query.len();
    if bytes > limits.max_query_bytes {
        return Err(limit(format!(
            "the query document is {bytes} bytes; at most {} are allowed",
            limits.max_query_bytes
        )));
    }
    let nesting = lexical_nesting(&request.query);
    if nesting > MAX_NESTING {
        return Err(limit(format!(
            "the query nests brackets {nesting} deep; at most {MAX_NESTING} are allowed"
        )));
    }
    let doc = request
        .parsed_query()
        .map_err(|err| coded(err, ErrorCode::BadUserInput))?;
    measure_document(doc, limits)?;
    Ok(doc)
}

/// How deep `{`, `(` and `[` nest in `query`, outside strings and comments.
fn lexical_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// What a selection set costs once every fragment spread in it is expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    /// Fields, fragment spreads and inline fragments, as expanded.
    fields: u64,
    aliases: u64,
    /// Levels of fields below (and including) this set, `ofType` not counted.
    depth: usize,
    /// The longest chain of `ofType` below this set.
    of_type: usize,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.of_type = self.of_type.max(other.of_type);
    }
}

struct Measure<'d> {
    doc: &'d ExecutableDocument,
    limits: &'d DocumentLimits,
    /// Fragments measured so far; `None` while one is being measured (a spread of it then is a
    /// cycle).
    fragments: HashMap<&'d Name, Option<Cost>>,
}

fn measure_document(doc: &ExecutableDocument, limits: &DocumentLimits) -> ServerResult<()> {
    let mut m = Measure {
        doc,
        limits,
        fragments: HashMap::new(),
    };
    for (name, fragment) in &doc.fragments {
        m.fragment(name, fragment)?;
    }
    for (_, operation) in doc.operations.iter() {
        m.operation(&operation.node)?;
    }
    Ok(())
}

impl<'d> Measure<'d> {
    fn operation(&mut self, op: &'d OperationDefinition) -> ServerResult<()> {
        self.directives(&op.directives, false)?;
        let cost = self.selection_set(&op.selection_set.node)?;
        self.within_limits(cost)
    }

    fn within_limits(&self, cost: Cost) -> ServerResult<()> {
        let l = self.limits;
        if cost.fields > l.max_fields as u64 {
            return Err(limit(format!(
                "the query selects {} fields and fragments once its fragments are expanded; at \
                 most {} are allowed",
                cost.fields, l.max_fields
            )));
        }
        if cost.depth > l.max_depth {
            return Err(limit(format!(
                "the query is nested {} levels deep; at most {} are allowed",
                cost.depth, l.max_depth
            )));
        }
        if cost.of_type > MAX_OF_TYPE_CHAIN {
            return Err(limit(format!(
                "the query chains {} `ofType`; at most {MAX_OF_TYPE_CHAIN} are allowed",
                cost.of_type
            )));
        }
        if cost.aliases > l.max_aliases as u64 {
            return Err(limit(format!(
                "the query uses {} aliases once its fragments are expanded; at most {} are \
                 allowed",
                cost.aliases, l.max_aliases
            )));
        }
        Ok(())
    }

    fn fragment(
        &mut self,
        name: &'d Name,
        fragment: &'d Positioned<FragmentDefinition>,
    ) -> ServerResult<Cost> {
        match self.fragments.get(name) {
            Some(Some(cost)) => return Ok(*cost),
            Some(None) => {
                return Err(bad_input(
                    format!("fragment {name} spreads itself (a cycle)"),
                    Some(fragment.pos),
                ));
            }
            None => {}
        }
        self.fragments.insert(name, None);
        self.directives(&fragment.node.directives, false)?;
        let cost = self.selection_set(&fragment.node.selection_set.node)?;
        // A fragment alone over the limits is refused even before it is spread.
        self.within_limits(cost)?;
        self.fragments.insert(name, Some(cost));
        Ok(cost)
    }

    fn selection_set(&mut self, set: &'d SelectionSet) -> ServerResult<Cost> {
        let mut total = Cost::default();
        for item in &set.items {
            let cost = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(&field.directives, true)?;
                    let below = self.selection_set(&field.selection_set.node)?;
                    let of_type = field.name.node.as_str() == "ofType";
                    Cost {
                        fields: below.fields.saturating_add(1),
                        aliases: below
                            .aliases
                            .saturating_add(u64::from(field.alias.is_some())),
                        depth: below.depth + usize::from(!of_type),
                        of_type: below.of_type + usize::from(of_type),
                    }
                }
                // A spread and an inline fragment are nodes too: async-graphql's own walks visit
                // them, so a chain of spreads that selects almost no field still costs its size.
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives, true)?;
                    let name = &spread.node.fragment_name.node;
                    // Refused here, not left to validation: async-graphql walks spreads as
                    // expanded before it validates, and an unknown one would cost nothing here.
                    let Some((name, fragment)) = self.doc.fragments.get_key_value(name) else {
                        return Err(bad_input(
                            format!("unknown fragment {name}"),
                            Some(spread.pos),
                        ));
                    };
                    let mut cost = self.fragment(name, fragment)?;
                    cost.fields = cost.fields.saturating_add(1);
                    cost
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives, true)?;
                    let mut cost = self.selection_set(&inline.node.selection_set.node)?;
                    cost.fields = cost.fields.saturating_add(1);
                    cost
                }
            };
            total.add(cost);
            // Stop early: a sum past the limit needs no more counting.
            if total.fields > self.limits.max_fields as u64 {
                return Ok(total);
            }
        }
        Ok(total)
    }

    /// Only `@include` and `@skip`, only on fields and fragments, at most the limit each.
    fn directives(
        &self,
        directives: &[Positioned<Directive>],
        executable_here: bool,
    ) -> ServerResult<()> {
        if directives.len() > self.limits.max_directives_per_field {
            return Err(limit(format!(
                "a selection carries {} directives; at most {} are allowed",
                directives.len(),
                self.limits.max_directives_per_field
            )));
        }
        for d in directives {
            let name = d.node.name.node.as_str();
            if !EXECUTABLE_DIRECTIVES.contains(&name) {
                return Err(bad_input(format!("unknown directive @{name}"), Some(d.pos)));
            }
            if !executable_here {
                return Err(bad_input(
                    format!("directive @{name} may not be used here"),
                    Some(d.pos),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        DocumentLimits::from_config(&RequestLimits::default())
    }

    fn checked(query: &str) -> Result<(), String> {
        let mut request = Request::new(query);
        check(&mut request, &limits())
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// `fragment F1 on Query { ...F0 ...F0 }` … up to `Fn`, and a query spreading `Fn`.
    fn bomb(n: usize) -> String {
        let mut q = String::from("query { ...F0 }\nfragment F0 on Query { __typename }\n");
        for i in 1..=n {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i - 1,
                i - 1
            ));
        }
        q.replace("query { ...F0 }", &format!("query {{ ...F{n} }}"))
    }

    #[test]
    fn fragment_bombs_are_measured_as_expanded() {
        for n in [13, 24, 39, 64, 200] {
            let err = checked(&bomb(n)).expect_err("a bomb must be refused");
            assert!(err.contains("once its fragments are expanded"), "{err}");
        }
        // 2^10 fields and 2^11 - 1 spreads are within the limit of 5000; twice that is not.
        assert_eq!(checked(&bomb(10)), Ok(()));
        assert!(checked(&bomb(11)).is_err());
    }

    /// A bomb whose leaf spreads a fragment that does not exist selects no field at all; its
    /// spreads are what async-graphql's walks would expand.
    #[test]
    fn a_bomb_of_spreads_to_nothing_is_measured_too() {
        let leafless = bomb(24).replace(
            "fragment F0 on Query { __typename }",
            "fragment F0 on Query { ...Missing }",
        );
        let err = checked(&leafless).expect_err("unknown fragment");
        assert!(err.contains("unknown fragment Missing"), "{err}");
        let spreads_only = bomb(24).replace(
            "fragment F0 on Query { __typename }",
            "fragment F0 on Query { ... on Query { __typename } }",
        );
        let err = checked(&spreads_only).expect_err("bomb");
        assert!(err.contains("expanded"), "{err}");
    }

    #[test]
    fn cycles_and_unknown_directives_are_refused() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(checked(cycle).expect_err("cycle").contains("cycle"));
        let err = checked("{ __typename @foo }").expect_err("unknown directive");
        assert!(err.contains("unknown directive @foo"), "{err}");
        let err = checked("query Q @skip(if: true) { __typename }").expect_err("placement");
        assert!(err.contains("may not be used here"), "{err}");
        assert_eq!(checked("{ __typename @include(if: true) }"), Ok(()));
    }

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let deep = format!("{}{}", "{a".repeat(10_000), "}".repeat(10_000));
        assert!(checked(&deep).expect_err("deep").contains("nests brackets"));
        let value = format!("{{ a(x: {}1{}) }}", "[".repeat(100), "]".repeat(100));
        assert!(checked(&value).expect_err("deep value").contains("nests"));
        // Brackets in strings and comments do not count.
        let quoted = format!(
            "{{ a(x: \"{}\", y: \"\"\"{}\"\"\") }} # {}",
            "{".repeat(100),
            "[".repeat(100),
            "(".repeat(100)
        );
        assert_eq!(lexical_nesting(&quoted), 2);
    }

    #[test]
    fn size_is_bounded_before_parsing() {
        let comment = format!("{{ __typename }} #{}", "x".repeat(70 * 1024));
        assert!(checked(&comment).expect_err("size").contains("bytes"));
    }

    #[test]
    fn of_type_chains_do_not_deepen_a_query() {
        let chain = |n: usize| {
            format!(
                "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
                "ofType {".repeat(n),
                "}".repeat(n)
            )
        };
        assert_eq!(checked(&chain(9)), Ok(()));
        assert!(checked(&chain(17)).expect_err("chain").contains("ofType"));
        // __schema types (fields type) ×5 fields name: 14 levels.
        let wide = format!(
            "{{ __schema {{ types {{ {} fields {{ name }} {} }} }} }}",
            "fields { type {".repeat(5),
            "} }".repeat(5)
        );
        let err = checked(&wide).expect_err("deep");
        assert!(err.contains("levels deep"), "{err}");
    }

    #[test]
    fn aliases_are_counted_as_expanded() {
        let q = "{ ...A ...A ...A } fragment A on Query { a: __typename b: __typename \
                 c: __typename d: __typename e: __typename f: __typename g: __typename \
                 h: __typename i: __typename j: __typename k: __typename }";
        assert!(checked(q).expect_err("aliases").contains("aliases"));
    }
}
