//! casbin's [`Adapter`] over sea-orm 2 and the `casbin_rule` table (`ptype`, `v0`…`v5`, empty
//! strings for unused fields, one unique index over all seven columns).
//!
//! The published adapters target sea-orm 1 or sqlx 0.8; this one follows the semantics of
//! casbin's own reference adapter (`MemoryAdapter`): adding a line that is there already answers
//! `false` and adds nothing, `add_policies`/`remove_policies` change all lines or none, a filtered
//! remove with no values removes nothing, and a filtered load keeps the lines whose fields equal
//! every non-empty value of the filter (`Filter::p` for `p*` lines, `Filter::g` for `g*`).
//!
//! The service writes policy lines through [`super::policy`] inside its own transactions; the
//! process's enforcer runs with auto-save off and reads through this adapter (see
//! [`super::enforcer`]). The writing methods exist so that the adapter is a whole casbin adapter
//! (a `save_policy` from a model, a management API with auto-save on), and are tested as such.

use async_trait::async_trait;
use casbin::error::AdapterError;
use casbin::{Adapter, Filter, Model};
use entities::casbin_rule;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait, sea_query::OnConflict,
};

/// The value columns, in order.
const VALUES: [casbin_rule::Column; 6] = [
    casbin_rule::Column::V0,
    casbin_rule::Column::V1,
    casbin_rule::Column::V2,
    casbin_rule::Column::V3,
    casbin_rule::Column::V4,
    casbin_rule::Column::V5,
];

/// Why the adapter could not do what casbin asked.
#[derive(Debug, thiserror::Error)]
pub enum AdapterFailure {
    #[error("the policy store: {0}")]
    Database(#[from] DbErr),
    #[error("a policy line has {0} values; the casbin_rule table holds at most 6")]
    TooManyValues(usize),
}

impl From<AdapterFailure> for casbin::Error {
    fn from(failure: AdapterFailure) -> Self {
        casbin::Error::AdapterError(AdapterError(Box::new(failure)))
    }
}

fn db_error(err: DbErr) -> casbin::Error {
    AdapterFailure::Database(err).into()
}

/// casbin's adapter over the `casbin_rule` table.
#[derive(Clone)]
pub struct SeaOrmAdapter {
    db: DatabaseConnection,
    filtered: bool,
}

impl SeaOrmAdapter {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            filtered: false,
        }
    }
}

/// A row for `ptype` and `rule`, the unused fields empty.
fn row(ptype: &str, rule: &[String]) -> Result<casbin_rule::ActiveModel, AdapterFailure> {
    if rule.len() > VALUES.len() {
        return Err(AdapterFailure::TooManyValues(rule.len()));
    }
    let value = |i: usize| Set(rule.get(i).cloned().unwrap_or_default());
    Ok(casbin_rule::ActiveModel {
        ptype: Set(ptype.to_owned()),
        v0: value(0),
        v1: value(1),
        v2: value(2),
        v3: value(3),
        v4: value(4),
        v5: value(5),
        ..Default::default()
    })
}

/// The condition that matches exactly the line `ptype, rule…`.
fn exactly(ptype: &str, rule: &[String]) -> Result<Condition, AdapterFailure> {
    if rule.len() > VALUES.len() {
        return Err(AdapterFailure::TooManyValues(rule.len()));
    }
    let mut cond = Condition::all().add(casbin_rule::Column::Ptype.eq(ptype));
    for (i, column) in VALUES.into_iter().enumerate() {
        cond = cond.add(column.eq(rule.get(i).map_or("", String::as_str)));
    }
    Ok(cond)
}

/// The values of a row as casbin holds a line: trailing empty fields dropped.
pub(crate) fn line(rule: casbin_rule::Model) -> (String, Vec<String>) {
    let mut values = vec![rule.v0, rule.v1, rule.v2, rule.v3, rule.v4, rule.v5];
    while values.last().is_some_and(String::is_empty) {
        values.pop();
    }
    (rule.ptype, values)
}

/// Does a line pass the filter? Each non-empty filter value must equal the field at its index.
fn passes(values: &[String], filter: &[&str]) -> bool {
    filter
        .iter()
        .enumerate()
        .all(|(i, want)| want.is_empty() || values.get(i).is_some_and(|v| v == want))
}

/// The SQL side of a filter: the same conditions, for the lines of one section.
fn filter_condition(section: char, filter: &[&str]) -> Condition {
    let ptype_like = format!("{section}%");
    let mut cond = Condition::all().add(casbin_rule::Column::Ptype.like(ptype_like));
    for (column, want) in VALUES.into_iter().zip(filter) {
        if !want.is_empty() {
            cond = cond.add(column.eq(*want));
        }
    }
    cond
}

/// Put `ptype, values` into the model, in the section its first letter names (lines of a type
/// the model does not define are skipped, as casbin's adapters do).
fn insert_line(m: &mut dyn Model, ptype: &str, values: Vec<String>) {
    if let Some(section) = ptype.get(..1) {
        m.add_policy(section, ptype, values);
    }
}

/// Load the lines that pass `filter` into `m`, reading through `db` (a connection, or a
/// transaction whose view of the policy the caller wants).
pub(crate) async fn load_filtered_into(
    db: &impl ConnectionTrait,
    m: &mut dyn Model,
    filter: &Filter<'_>,
) -> Result<(), DbErr> {
    let rows = casbin_rule::Entity::find()
        .filter(
            Condition::any()
                .add(filter_condition('p', &filter.p))
                .add(filter_condition('g', &filter.g)),
        )
        .order_by_asc(casbin_rule::Column::Id)
        .all(db)
        .await?;
    for rule in rows {
        let (ptype, values) = line(rule);
        // The SQL narrowed the rows already; the same test in Rust keeps the semantics exact
        // where SQL and casbin could differ (a filter longer than a line).
        let section_filter = if ptype.starts_with('g') {
            &filter.g
        } else {
            &filter.p
        };
        if passes(&values, section_filter) {
            insert_line(m, &ptype, values);
        }
    }
    Ok(())
}

/// Every line of a section of the model, with its type.
fn lines_of(m: &dyn Model, section: &str) -> Vec<(String, Vec<String>)> {
    m.get_model()
        .get(section)
        .map(|assertions| {
            assertions
                .iter()
                .flat_map(|(ptype, assertion)| {
                    assertion
                        .get_policy()
                        .iter()
                        .map(|rule| (ptype.clone(), rule.clone()))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait]
impl Adapter for SeaOrmAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        self.filtered = false;
        let rows = casbin_rule::Entity::find()
            .order_by_asc(casbin_rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        for rule in rows {
            let (ptype, values) = line(rule);
            insert_line(m, &ptype, values);
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        f: Filter<'a>,
    ) -> casbin::Result<()> {
        self.filtered = true;
        load_filtered_into(&self.db, m, &f).await.map_err(db_error)
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let mut rows = Vec::new();
        for section in ["p", "g"] {
            for (ptype, rule) in lines_of(m, section) {
                rows.push(row(&ptype, &rule)?);
            }
        }
        let txn = self.db.begin().await.map_err(db_error)?;
        casbin_rule::Entity::delete_many()
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if !rows.is_empty() {
            casbin_rule::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(db_error)?;
        }
        txn.commit().await.map_err(db_error)
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        casbin_rule::Entity::delete_many()
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        self.filtered = false;
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        self.filtered
    }

    async fn add_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let inserted = insert_new(&self.db, ptype, &rule).await?;
        Ok(inserted)
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_error)?;
        for rule in &rules {
            if !insert_new(&txn, ptype, rule).await? {
                txn.rollback().await.map_err(db_error)?;
                return Ok(false);
            }
        }
        txn.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        rule: Vec<String>,
    ) -> casbin::Result<bool> {
        let removed = casbin_rule::Entity::delete_many()
            .filter(exactly(ptype, &rule)?)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(removed.rows_affected > 0)
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        ptype: &str,
        rules: Vec<Vec<String>>,
    ) -> casbin::Result<bool> {
        let txn = self.db.begin().await.map_err(db_error)?;
        for rule in &rules {
            let removed = casbin_rule::Entity::delete_many()
                .filter(exactly(ptype, rule)?)
                .exec(&txn)
                .await
                .map_err(db_error)?;
            if removed.rows_affected == 0 {
                txn.rollback().await.map_err(db_error)?;
                return Ok(false);
            }
        }
        txn.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        if field_values.is_empty() || field_index + field_values.len() > VALUES.len() {
            return Ok(false);
        }
        let mut cond = Condition::all().add(casbin_rule::Column::Ptype.eq(ptype));
        for (column, want) in VALUES[field_index..].iter().zip(&field_values) {
            if !want.is_empty() {
                cond = cond.add(column.eq(want.as_str()));
            }
        }
        let removed = casbin_rule::Entity::delete_many()
            .filter(cond)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(removed.rows_affected > 0)
    }
}

/// Insert a line unless it is there; whether it was inserted.
async fn insert_new(
    db: &impl ConnectionTrait,
    ptype: &str,
    rule: &[String],
) -> casbin::Result<bool> {
    let inserted = casbin_rule::Entity::insert(row(ptype, rule)?)
        .on_conflict(
            OnConflict::columns([
                casbin_rule::Column::Ptype,
                casbin_rule::Column::V0,
                casbin_rule::Column::V1,
                casbin_rule::Column::V2,
                casbin_rule::Column::V3,
                casbin_rule::Column::V4,
                casbin_rule::Column::V5,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(inserted > 0)
}
