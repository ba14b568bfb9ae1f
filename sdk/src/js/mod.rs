//! Connectors written in JavaScript: an ES module whose `export default` is the definition, run
//! on QuickJS (the `rquickjs` crate, QuickJS-ng built from its vendored C sources).
//!
//! [`is_javascript`] decides which engine a source is for. [`parse`] evaluates the module in the
//! sandbox of [`sandbox`] and hands its definition to the shared validator; [`execute`] runs an
//! invocation with the HTTP helpers backed by the run's egress-limited client in `crate::run`.

mod parse;
mod run;
mod sandbox;
mod value;

pub(crate) use parse::parse;
pub(crate) use run::execute;

/// The file name errors and stack traces give the connector's source: `connector.js:12:5`.
pub(crate) const FILE_NAME: &str = "connector.js";

/// Most memory one JavaScript evaluation may allocate (QuickJS's `set_memory_limit`): 64 MiB.
pub const JS_MEMORY_LIMIT_BYTES: usize = 64 * 1024 * 1024;

/// Most native stack one JavaScript evaluation may use (QuickJS's `set_max_stack_size`): 1 MiB.
/// The evaluation runs on a thread with a far larger stack, so QuickJS's own check always fires
/// first and deep recursion is a `RangeError`, never a crash.
pub const JS_STACK_LIMIT_BYTES: usize = 1024 * 1024;

/// The globals the SDK gives a JavaScript connector, besides the ECMAScript built-ins.
pub(crate) const GLOBALS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "del",
    "console",
    "print",
    "base64_encode",
    "base64_decode",
];

/// Whether `source` is a JavaScript connector rather than a Rhai one.
///
/// The rule: some line of the source starts — after any spaces and tabs — with the keyword
/// `export`, then at least one space or tab, then the keyword `default` (not followed by a
/// letter, digit, `_` or `$`). A Rhai script cannot contain such a line outside a multi-line
/// string literal, since `export` is refused in Rhai; a JavaScript connector must have one.
pub fn is_javascript(source: &str) -> bool {
    source.lines().any(|line| {
        let Some(rest) = line.trim_start_matches([' ', '\t']).strip_prefix("export") else {
            return false;
        };
        let after_space = rest.trim_start_matches([' ', '\t']);
        after_space.len() < rest.len()
            && after_space.strip_prefix("default").is_some_and(|tail| {
                !tail.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$')
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_starting_with_export_default_makes_a_module() {
        for source in [
            "export default { title: \"T\" }",
            "const a = 1;\n  export default a;",
            "\texport\tdefault{ title: \"T\" }",
            "export default(1)",
        ] {
            assert!(is_javascript(source), "{source}");
        }
        for source in [
            "#{ title: \"T\" }",
            "#{ title: \"export default\" }",
            "// export default\n#{}",
            "export const x = 1;",
            "export defaults = 1",
            "exportdefault {}",
            // Mid-line does not count.
            "x = 1; export default {}",
        ] {
            assert!(!is_javascript(source), "{source}");
        }
    }

    #[test]
    fn the_declaration_file_declares_every_global_and_key() {
        let declarations = include_str!("../../patchbay-connector.d.ts");
        for global in GLOBALS {
            // `delete` is an operator in JavaScript: the declarations name it as `del`.
            let global = if *global == "delete" { "del" } else { global };
            assert!(
                declarations.contains(&format!("  function {global}("))
                    || declarations.contains(&format!("  const {global}:")),
                "`{global}` is not declared in patchbay-connector.d.ts"
            );
        }
        use crate::validate::{
            ACTION_KEYS, CONNECTION_KEYS, DEFINITION_KEYS, FIELD_KEYS, TRIGGER_KEYS,
        };
        for key in DEFINITION_KEYS
            .iter()
            .chain(CONNECTION_KEYS)
            .chain(ACTION_KEYS)
            .chain(TRIGGER_KEYS)
            .chain(FIELD_KEYS)
        {
            assert!(
                declarations.contains(&format!("  {key}?:"))
                    || declarations.contains(&format!("  {key}:")),
                "the key `{key}` is not declared in patchbay-connector.d.ts"
            );
        }
    }
}
