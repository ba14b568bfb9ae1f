//! Our casbin adapter over sea-orm (`api::authz::SeaOrmAdapter`) against casbin's own semantics:
//! every step of a script runs on casbin's reference `MemoryAdapter` and on ours, and both must
//! answer the same and hold the same lines afterwards. Then casbin's enforcer over our adapter
//! (whole and filtered loads, auto-save on), and the version triggers every policy write moves.

use api::authz::{MODEL, SeaOrmAdapter};
use casbin::{
    Adapter, CoreApi, DefaultModel, Enforcer, Filter, MemoryAdapter, MgmtApi, Model, RbacApi,
};
use entities::casbin_policy_version;
use sea_orm::{ConnectionTrait, EntityTrait};
use tests::{Backend, TestApp};

fn line(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

async fn blank_model() -> anyhow::Result<DefaultModel> {
    Ok(DefaultModel::from_str(MODEL).await?)
}

/// Every line an adapter holds, as a sorted list of `ptype, values…`.
async fn held(adapter: &mut dyn Adapter) -> anyhow::Result<Vec<Vec<String>>> {
    let mut model = blank_model().await?;
    adapter.load_policy(&mut model).await?;
    Ok(lines(&model))
}

fn lines(model: &DefaultModel) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for (sec, ptype) in [("p", "p"), ("g", "g")] {
        for mut rule in model.get_policy(sec, ptype) {
            rule.insert(0, ptype.to_owned());
            all.push(rule);
        }
    }
    all.sort();
    all
}

/// One step of the script, run on an adapter; what it answered.
#[derive(Debug, Clone)]
enum Step {
    Add(&'static str, Vec<String>),
    AddMany(&'static str, Vec<Vec<String>>),
    Remove(&'static str, Vec<String>),
    RemoveMany(&'static str, Vec<Vec<String>>),
    RemoveFiltered(&'static str, usize, Vec<String>),
}

async fn run(step: &Step, adapter: &mut dyn Adapter) -> anyhow::Result<bool> {
    Ok(match step.clone() {
        Step::Add(ptype, rule) => adapter.add_policy(&ptype[..1], ptype, rule).await?,
        Step::AddMany(ptype, rules) => adapter.add_policies(&ptype[..1], ptype, rules).await?,
        Step::Remove(ptype, rule) => adapter.remove_policy(&ptype[..1], ptype, rule).await?,
        Step::RemoveMany(ptype, rules) => {
            adapter.remove_policies(&ptype[..1], ptype, rules).await?
        }
        Step::RemoveFiltered(ptype, index, values) => {
            adapter
                .remove_filtered_policy(&ptype[..1], ptype, index, values)
                .await?
        }
    })
}

fn script() -> Vec<Step> {
    use Step::*;
    let p = |v: &[&str]| line(v);
    vec![
        Add("p", p(&["role:admin", "ws:1", "connector", "install"])),
        // A line that is there already: false, nothing added.
        Add("p", p(&["role:admin", "ws:1", "connector", "install"])),
        Add("g", p(&["user:1", "role:admin", "ws:1"])),
        AddMany(
            "p",
            vec![
                p(&["role:admin", "ws:1", "recipe", "read"]),
                p(&["role:analyst", "ws:1", "recipe", "read"]),
                p(&["role:admin", "ws:2", "recipe", "read"]),
            ],
        ),
        // All or nothing: one of them is there already, so none is added.
        AddMany(
            "p",
            vec![
                p(&["role:analyst", "ws:2", "recipe", "read"]),
                p(&["role:admin", "ws:1", "recipe", "read"]),
            ],
        ),
        AddMany(
            "g",
            vec![
                p(&["user:2", "role:analyst", "ws:1"]),
                p(&["user:2", "role:admin", "ws:2"]),
                p(&["user:3", "role:analyst", "ws:2"]),
            ],
        ),
        Remove("p", p(&["role:analyst", "ws:1", "recipe", "read"])),
        // Not there: false.
        Remove("p", p(&["role:analyst", "ws:1", "recipe", "read"])),
        // Same values, other type: not there.
        Remove("g", p(&["role:admin", "ws:1", "connector", "install"])),
        // All or nothing: the second is not there, so the first stays.
        RemoveMany(
            "g",
            vec![
                p(&["user:2", "role:analyst", "ws:1"]),
                p(&["user:9", "role:analyst", "ws:1"]),
            ],
        ),
        RemoveMany(
            "g",
            vec![
                p(&["user:2", "role:analyst", "ws:1"]),
                p(&["user:3", "role:analyst", "ws:2"]),
            ],
        ),
        // No values: removes nothing.
        RemoveFiltered("p", 0, vec![]),
        // An empty value matches any: every `p` line of ws:2.
        RemoveFiltered("p", 0, p(&["", "ws:2"])),
        RemoveFiltered("p", 1, p(&["ws:2"])),
        // By a later field: every grouping of ws:2.
        RemoveFiltered("g", 2, p(&["ws:2"])),
        RemoveFiltered("g", 1, p(&["role:admin", "ws:1"])),
        Add("g", p(&["user:4", "role:developer", "ws:3"])),
    ]
}

/// Our adapter and casbin's reference, each after the whole script: every step must answer on
/// ours what it answers on the reference, and both must hold the same lines after it.
async fn arrange_scripted(app: &TestApp) -> anyhow::Result<(SeaOrmAdapter, MemoryAdapter)> {
    let mut ours = SeaOrmAdapter::new(app.conn()?.clone());
    let mut reference = MemoryAdapter::default();
    for step in script() {
        let expected = run(&step, &mut reference).await?;
        let answered = run(&step, &mut ours).await?;
        assert_eq!(answered, expected, "{step:?}");
        assert_eq!(
            held(&mut ours).await?,
            held(&mut reference).await?,
            "after {step:?}"
        );
    }
    Ok((ours, reference))
}

async fn adapter_follows_casbin(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (mut ours, _) = arrange_scripted(&app).await?;
    assert!(
        !held(&mut ours).await?.is_empty(),
        "the script leaves lines"
    );
    app.stop().await
}
tests::on_both_backends!(
    the_adapter_answers_as_casbins_own,
    super::adapter_follows_casbin
);

/// Beyond the six columns: nothing to remove, and nothing removed.
async fn beyond_the_columns(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (mut ours, _) = arrange_scripted(&app).await?;
    let before = held(&mut ours).await?;
    assert!(
        !ours
            .remove_filtered_policy("g", "g", 5, line(&["a", "b"]))
            .await?
    );
    assert_eq!(held(&mut ours).await?, before);
    app.stop().await
}
tests::on_both_backends!(
    a_filter_beyond_the_six_columns_removes_nothing,
    super::beyond_the_columns
);

/// A filtered load keeps the lines whose fields equal every non-empty value of the filter's part
/// for their section. (Checked against the reference's whole policy: its own filtered load
/// returns lines with the type still in front.) A whole load after it is not filtered.
async fn filtered_loads(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (mut ours, mut reference) = arrange_scripted(&app).await?;
    let everything = held(&mut reference).await?;
    for filter in [
        Filter {
            p: vec!["", "ws:1"],
            g: vec!["", "", "ws:1"],
        },
        Filter {
            p: vec!["role:admin"],
            g: vec!["user:4"],
        },
        Filter {
            p: vec![],
            g: vec!["", "role:developer"],
        },
    ] {
        let mut from_ours = blank_model().await?;
        ours.load_filtered_policy(&mut from_ours, filter.clone())
            .await?;
        assert!(ours.is_filtered());
        let expected: Vec<Vec<String>> = everything
            .iter()
            .filter(|rule| {
                let wanted = if rule[0].starts_with('g') {
                    &filter.g
                } else {
                    &filter.p
                };
                wanted.iter().enumerate().all(|(i, want)| {
                    want.is_empty() || rule.get(i + 1).map(String::as_str) == Some(*want)
                })
            })
            .cloned()
            .collect();
        assert_eq!(
            lines(&from_ours),
            expected,
            "filter p={:?} g={:?}",
            filter.p,
            filter.g
        );
    }
    let mut whole = blank_model().await?;
    ours.load_policy(&mut whole).await?;
    assert!(!ours.is_filtered(), "a whole load is not filtered");
    app.stop().await
}
tests::on_both_backends!(
    a_filtered_load_keeps_the_lines_the_filter_names,
    super::filtered_loads
);

/// `save_policy` replaces the store with the model's lines; `clear_policy` empties it.
async fn save_and_clear(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (mut ours, mut reference) = arrange_scripted(&app).await?;
    let mut model = blank_model().await?;
    model.add_policy("p", "p", line(&["role:x", "ws:5", "audit", "read"]));
    model.add_policy("g", "g", line(&["user:5", "role:x", "ws:5"]));
    ours.save_policy(&mut model).await?;
    reference.save_policy(&mut model).await?;
    assert_eq!(held(&mut ours).await?, lines(&model));
    assert_eq!(held(&mut ours).await?, held(&mut reference).await?);

    ours.clear_policy().await?;
    assert_eq!(held(&mut ours).await?, Vec::<Vec<String>>::new());
    app.stop().await
}
tests::on_both_backends!(
    saving_replaces_the_stored_lines_and_clearing_empties_them,
    super::save_and_clear
);

/// casbin's enforcer over our adapter with auto-save on: what the management API writes, a new
/// enforcer reads back; a filtered load holds one workspace only.
async fn enforcer_over_the_adapter(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let db = app.conn()?.clone();
    let mut e = Enforcer::new(blank_model().await?, SeaOrmAdapter::new(db.clone())).await?;
    e.add_policy(line(&["role:dev", "ws:1", "connector", "install"]))
        .await?;
    e.add_policy(line(&["role:dev", "ws:2", "connector", "install"]))
        .await?;
    e.add_grouping_policy(line(&["user:1", "role:dev", "ws:1"]))
        .await?;
    e.add_role_for_user("user:2", "role:dev", Some("ws:2"))
        .await?;
    assert!(e.enforce(("user:1", "ws:1", "connector", "install"))?);
    assert!(!e.enforce(("user:1", "ws:2", "connector", "install"))?);

    let mut again = Enforcer::new(blank_model().await?, SeaOrmAdapter::new(db.clone())).await?;
    assert!(again.enforce(("user:1", "ws:1", "connector", "install"))?);
    assert!(again.enforce(("user:2", "ws:2", "connector", "install"))?);
    assert!(!again.enforce(("user:1", "ws:1", "connector", "uninstall"))?);
    assert_eq!(
        again.get_roles_for_user("user:2", Some("ws:2")),
        vec!["role:dev".to_owned()]
    );

    again
        .load_filtered_policy(Filter {
            p: vec!["", "ws:1"],
            g: vec!["", "", "ws:1"],
        })
        .await?;
    assert!(again.is_filtered());
    assert!(again.enforce(("user:1", "ws:1", "connector", "install"))?);
    assert!(
        !again.enforce(("user:2", "ws:2", "connector", "install"))?,
        "ws:2 is not loaded"
    );

    e.delete_role_for_user("user:1", "role:dev", Some("ws:1"))
        .await?;
    let fresh = Enforcer::new(blank_model().await?, SeaOrmAdapter::new(db)).await?;
    assert!(!fresh.enforce(("user:1", "ws:1", "connector", "install"))?);
    app.stop().await
}
tests::on_both_backends!(
    casbins_enforcer_reads_and_writes_through_the_adapter,
    super::enforcer_over_the_adapter
);

async fn version_of(db: &impl ConnectionTrait, domain: &str) -> anyhow::Result<i64> {
    Ok(casbin_policy_version::Entity::find_by_id(domain.to_owned())
        .one(db)
        .await?
        .map_or(0, |row| row.version))
}

/// Every write of a domain's lines moves that domain's version, whoever writes: the adapter, or
/// SQL by hand.
async fn writes_move_the_version(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let db = app.conn()?.clone();
    let mut adapter = SeaOrmAdapter::new(db.clone());
    assert_eq!(version_of(&db, "ws:7").await?, 0);
    adapter
        .add_policy("p", "p", line(&["role:a", "ws:7", "recipe", "read"]))
        .await?;
    assert_eq!(version_of(&db, "ws:7").await?, 1);
    adapter
        .add_policy("g", "g", line(&["user:1", "role:a", "ws:7"]))
        .await?;
    assert_eq!(version_of(&db, "ws:7").await?, 2);
    assert_eq!(version_of(&db, "ws:8").await?, 0, "other domains stay");
    // A duplicate adds nothing, and moves nothing.
    adapter
        .add_policy("g", "g", line(&["user:1", "role:a", "ws:7"]))
        .await?;
    assert_eq!(version_of(&db, "ws:7").await?, 2);
    db.execute_unprepared("UPDATE casbin_rule SET v2 = 'ws:8' WHERE ptype = 'g'")
        .await?;
    assert_eq!(version_of(&db, "ws:7").await?, 3, "moved away from ws:7");
    assert_eq!(version_of(&db, "ws:8").await?, 1, "moved into ws:8");
    adapter
        .remove_filtered_policy("p", "p", 1, line(&["ws:7"]))
        .await?;
    assert_eq!(version_of(&db, "ws:7").await?, 4);
    app.stop().await
}
tests::on_both_backends!(
    every_policy_write_moves_its_domains_version,
    super::writes_move_the_version
);
