//! Connectors written in JavaScript: an ES module whose `export default` is the definition, run
//! on QuickJS (the `rquickjs` crate, QuickJS-ng built from its vendored C sources).
//!
//! [`parse`] evaluates the module in the sandbox of [`sandbox`] and hands its definition to the
//! validator; [`execute`] runs an invocation with the HTTP helpers backed by the run's
//! egress-limited client in `crate::run`.

mod helpers;
mod locate;
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

/// The HTTP verbs a connector calls as functions: `get(url, params)`, `post(url, body)`, ….
pub(crate) const HTTP_VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// What a connector calling an HTTP helper at its top level is told: requests belong in the
/// functions of its definition.
pub(crate) const HTTP_UNAVAILABLE: &str = "HTTP is not available while parsing";

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

#[cfg(test)]
mod tests {
    use super::*;

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
