//! The authorization matrix: every mutation and every gated read, run by every kind of caller
//! against their own workspace (or listing), someone else's, and one that does not exist, and
//! compared with the checked-in table `tests/authz/matrix.txt`.
//!
//! Every cell starts from a known state (the targets are re-arranged before each cell when an
//! earlier cell changed them), and a cell that is refused must leave everything exactly as it was.
//! The test also fails when the schema has a mutation the table does not cover, or when the table
//! names an operation the schema lacks. All mismatches are listed before the test fails.

//!
//! The files, in the order a cell meets them: `table` reads the table and checks it against the
//! schema, `operations` knows how to run each operation, `arrange` builds the world once,
//! `prepare` (over `ensure`) puts a cell's targets in their known state, and `world` runs the cell
//! and snapshots everything it could have written.
mod arrange;
mod ensure;
mod operations;
mod prepare;
mod table;
mod world;

use std::time::Instant;

use serde_json::{Value, json};
use tests::{Backend, TestApp};

use arrange::arrange;
use operations::Op;
use table::{Row, check_coverage, outcome, parse_matrix};
use world::{World, differences};

/// The checked-in table.
const MATRIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/authz/matrix.txt");

/// Every caller the table must name for every operation.
const ACTORS: [&str; 10] = [
    "anonymous",
    "non_member",
    "analyst",
    "operator",
    "developer",
    "custom_with_dev",
    "custom_without_dev",
    "admin",
    "listing_owner",
    "member_manager",
];

/// What a cell may say.
const OUTCOMES: [&str; 5] = ["ok", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "-"];

const OWN_WS: &str = "authz-own";
const FOREIGN_WS: &str = "authz-foreign";
const MISSING_WS: &str = "authz-missing";
/// The arranged listing (owned by `listing_owner`, versions 1.0.0 and 1.1.0), installed in both
/// workspaces.
const LISTING: &str = "authz-conn";
/// A second listing of `listing_owner`, installed only by the `installConnector` cells.
const INSTALL_LISTING: &str = "authz-install";
/// A listing owned by the foreign admin.
const FOREIGN_LISTING: &str = "authz-foreign-conn";
const MISSING_LISTING: &str = "authz-no-such-conn";
/// A listing of `listing_owner` with a trigger, an action and connection fields, installed and
/// released in both workspaces for the recipe and connection cells (no cell uninstalls it).
const RECIPE_LISTING: &str = "authz-recipes";
/// The arranged recipe of each workspace (stopped before each cell that needs it).
const RECIPE_NAME: &str = "authz-recipe";
/// The arranged connection of each workspace.
const CONNECTION_NAME: &str = "authz-connection";
/// A recipe and a connection created and deleted while arranging; their ids name nothing.
const GONE_NAME: &str = "authz-gone";

const FOREIGN_ADMIN: &str = "foreign-admin";
/// Added by `setWorkspaceMember` cells; not a member before each of them.
const BYSTANDER: &str = "bystander";
/// Removed by `removeWorkspaceMember` cells; an analyst in both workspaces before each of them.
const VICTIM: &str = "victim";
/// Added and removed as a co-owner by the owner cells.
const CO_OWNER: &str = "co-owner";
const CUSTOM_DEV_ROLE: &str = "custom-dev";
const CUSTOM_AUDIT_ROLE: &str = "custom-audit";
/// `member_manager`'s role: WORKSPACE_MANAGE_MEMBERS, WORKSPACE_MANAGE_ROLES and RECIPE_READ —
/// enough to hand out analyst, not enough for anything more.
const CUSTOM_MANAGER_ROLE: &str = "custom-manager";
/// A second admin of both workspaces, demoted or removed by the escalation cells.
const DEPUTY: &str = "deputy";

/// A user's handle for an actor of the table.
fn handle(actor: &str) -> String {
    actor.replace('_', "-")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Own,
    Foreign,
    Missing,
}

impl Column {
    const ALL: [Column; 3] = [Self::Own, Self::Foreign, Self::Missing];

    fn name(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Foreign => "foreign",
            Self::Missing => "missing",
        }
    }

    fn workspace(self) -> &'static str {
        match self {
            Self::Own => OWN_WS,
            Self::Foreign => FOREIGN_WS,
            Self::Missing => MISSING_WS,
        }
    }

    fn listing(self) -> &'static str {
        match self {
            Self::Own => LISTING,
            Self::Foreign => FOREIGN_LISTING,
            Self::Missing => MISSING_LISTING,
        }
    }
}

// Arranging runs mutations that must succeed (`crate::fixtures::must`); once the world is
// arranged, writes go through `World::must` instead, which notes them for the snapshots.
use crate::fixtures::must;

fn id_of(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("expected an id, got {value}"))
}

/// A definition using the recipe listing's trigger and action.
fn recipe_definition() -> Value {
    json!({
        "trigger": { "connector": RECIPE_LISTING, "trigger": "new_item", "input": {} },
        "steps": [ { "connector": RECIPE_LISTING, "action": "get_item", "input": { "id": "1" } } ],
    })
}

/// The operations in the groups that run as tests of their own, each over a world of its own,
/// so that the 1,160 cells of a database run side by side instead of one after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shard {
    /// The gated reads: workspace, audit log, recipes, connections, packages, source.
    Reads,
    /// Members, roles and admins.
    Members,
    /// A copy's lifecycle and the notices.
    Copies,
    /// Recipes, connections and the debugger.
    Recipes,
    /// Export, import and the package policy.
    Packages,
    /// Listings, their owners, and new workspaces.
    Listings,
}

impl Shard {
    /// The group `op` runs in, by its place in [`Op`]'s order.
    fn of(op: Op) -> Self {
        if op < Op::SetMember {
            Self::Reads
        } else if op < Op::Install {
            Self::Members
        } else if op < Op::CreateRecipe {
            Self::Copies
        } else if op < Op::ExportPackage {
            Self::Recipes
        } else if op < Op::Publish {
            Self::Packages
        } else {
            Self::Listings
        }
    }
}

/// The table names every mutation of the schema and only operations it has, and every row is
/// well formed.
async fn the_table_covers_the_schema(backend: Backend) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(MATRIX)?;
    let mut mismatches = Vec::new();
    let rows = parse_matrix(&text, &mut mismatches);
    let app = TestApp::spawn(backend).await?;
    check_coverage(&app, &rows, &mut mismatches).await?;
    app.stop().await?;
    report(backend, "coverage", &mismatches)
}

/// Every cell of `shard`'s operations holds, from a world arranged for it alone.
async fn matrix_holds(backend: Backend, shard: Shard) -> anyhow::Result<()> {
    let started = Instant::now();
    let text = std::fs::read_to_string(MATRIX)?;
    // A malformed row is reported by `the_table_covers_the_schema`.
    let rows = parse_matrix(&text, &mut Vec::new());
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|row| Op::from_name(&row.operation).is_some_and(|op| Shard::of(op) == shard))
        .collect();
    let mut mismatches = Vec::new();
    let mut world = arrange(backend).await?;
    let cells = walk_cells(&mut world, &rows, &mut mismatches).await?;
    world.app.stop().await?;
    println!(
        "authz matrix {shard:?} on {backend:?}: {} rows, {cells} cells, {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(cells > 0, "no cell of {shard:?} ran");
    report(backend, &format!("{shard:?}"), &mismatches)
}

/// Print every mismatch, and fail when there is one.
fn report(backend: Backend, part: &str, mismatches: &[String]) -> anyhow::Result<()> {
    for mismatch in mismatches {
        println!("  MISMATCH {mismatch}");
    }
    anyhow::ensure!(
        mismatches.is_empty(),
        "{} authorization matrix mismatch(es) in {part} on {backend:?}; see the list above",
        mismatches.len()
    );
    Ok(())
}

/// Every cell of every runnable row, in the order of [`Op`]; returns how many cells ran.
async fn walk_cells(
    world: &mut World,
    rows: &[Row],
    mismatches: &mut Vec<String>,
) -> anyhow::Result<usize> {
    let mut runnable: Vec<(Op, &Row)> = rows
        .iter()
        .filter_map(|row| Op::from_name(&row.operation).map(|op| (op, row)))
        .collect();
    runnable.sort_by_key(|(op, row)| (*op, row.line));
    let mut cells = 0;
    for (op, row) in runnable {
        for (column, expected) in Column::ALL.into_iter().zip(&row.cells) {
            let cell = format!("{} / {} / {}", row.operation, row.actor, column.name());
            if expected == "-" {
                if op.applies(column) {
                    mismatches.push(format!(
                        "matrix.txt:{}: {cell} says - but the column applies",
                        row.line
                    ));
                }
                continue;
            }
            if !op.applies(column) {
                mismatches.push(format!(
                    "matrix.txt:{}: {cell} does not apply; write -",
                    row.line
                ));
                continue;
            }
            cells += 1;
            run_cell(world, op, row, column, expected, mismatches).await?;
        }
    }
    Ok(cells)
}

/// Prepare a cell's targets, run it as the row's actor, and compare its outcome with the table;
/// a mutation cell is also held to what it wrote.
async fn run_cell(
    world: &mut World,
    op: Op,
    row: &Row,
    column: Column,
    expected: &str,
    mismatches: &mut Vec<String>,
) -> anyhow::Result<()> {
    let cell = format!("{} / {} / {}", row.operation, row.actor, column.name());
    world.begin_cell();
    let variables = world.prepare(op, column).await?;
    let before = match op.read_path() {
        Some(_) => None,
        None => Some(world.snapshot_before().await?),
    };
    let token = world.tokens.get(row.actor.as_str()).map(String::as_str);
    let body = world.run(op, token, variables).await?;
    let got = outcome(op, &body);
    if got != expected {
        mismatches.push(format!("{cell}: expected {expected}, got {got}"));
    }
    // A read may write too (reading source is audited): only a mutation cell's snapshot after
    // it can serve as the next cell's before.
    world.last_snapshot = None;
    if let Some(before) = before {
        let after = world.snapshot().await?;
        let mut changed = Vec::new();
        differences(&before, &after, "", &mut changed);
        if got != "ok" && !changed.is_empty() {
            // A refused cell must leave everything as it was.
            mismatches.push(format!(
                "{cell}: answered {got} but wrote: {}",
                changed.join("; ")
            ));
        } else if got == "ok" && changed.is_empty() {
            // Every target is arranged so that an allowed cell has something to change;
            // an `ok` that changed nothing did not do what the cell is about.
            mismatches.push(format!("{cell}: answered ok but changed nothing"));
        }
        world.last_snapshot = Some(after);
    }
    Ok(())
}

async fn reads(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Reads).await
}

async fn members(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Members).await
}

async fn copies(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Copies).await
}

async fn recipes(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Recipes).await
}

async fn packages(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Packages).await
}

async fn listings(backend: Backend) -> anyhow::Result<()> {
    matrix_holds(backend, Shard::Listings).await
}

tests::on_both_backends!(coverage, super::the_table_covers_the_schema);
tests::on_both_backends!(reads_hold, super::reads);
tests::on_both_backends!(members_hold, super::members);
tests::on_both_backends!(copies_hold, super::copies);
tests::on_both_backends!(recipes_hold, super::recipes);
tests::on_both_backends!(packages_hold, super::packages);
tests::on_both_backends!(listings_hold, super::listings);
