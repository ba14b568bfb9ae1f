//! Finds where in the source a part of the definition was written, by walking the map and array
//! literals of the compiled script along a [`Path`].

use rhai::{AST, Expr, Stmt};

use crate::Position;
use crate::path::{Path, Segment};

/// How many `let` bindings to follow from a variable to the literal it names.
const MAX_BINDINGS_FOLLOWED: usize = 16;

/// The position of the map key (or array element) at `path`, or of the deepest part of the path
/// that is written as a literal; `None` when not even the definition itself is a literal.
pub(crate) fn locate(ast: &AST, path: &Path) -> Option<Position> {
    let mut expr = follow(ast, definition(ast)?);
    let mut found = expr.position();
    for segment in path.segments() {
        let next = match (segment, expr) {
            (Segment::Key(key), Expr::Map(map, ..)) => map
                .0
                .iter()
                .find(|(ident, _)| ident.name == key.as_str())
                .map(|(ident, value)| (ident.pos, value)),
            (Segment::Index(index), Expr::Array(items, ..)) => {
                items.get(*index).map(|item| (item.position(), item))
            }
            _ => None,
        };
        let Some((position, value)) = next else { break };
        found = position;
        expr = follow(ast, value);
    }
    Position::from_rhai(found)
}

/// The expression the script ends with: the connector's definition.
fn definition(ast: &AST) -> Option<&Expr> {
    match ast.statements().last()? {
        Stmt::Expr(expr) => Some(expr),
        _ => None,
    }
}

/// Follows a variable to the expression last bound to it at the top level, so that definitions
/// assembled from `let` bindings are located too.
fn follow<'a>(ast: &'a AST, mut expr: &'a Expr) -> &'a Expr {
    for _ in 0..MAX_BINDINGS_FOLLOWED {
        let Expr::Variable(variable, ..) = expr else {
            break;
        };
        let bound = ast.statements().iter().rev().find_map(|stmt| match stmt {
            Stmt::Var(binding, ..) if binding.0.name == variable.1 => Some(&binding.1),
            _ => None,
        });
        match bound {
            Some(bound) => expr = bound,
            None => break,
        }
    }
    expr
}
