//! Raw SQL for speed: multi-row INSERTs, and one number from a query.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Inserts rows in large multi-row statements. `row` is one row's VALUES tuple with `?` for each
/// bound value (rewritten to `$n` on PostgreSQL).
pub(super) struct BulkInsert<'a> {
    backend: DbBackend,
    head: String,
    row: &'a str,
    per_row: usize,
    rows_per_statement: usize,
    sql: String,
    values: Vec<Value>,
    rows: usize,
    written: usize,
}

impl<'a> BulkInsert<'a> {
    pub(super) fn new(
        backend: DbBackend,
        table: &str,
        columns: &str,
        row: &'a str,
        max_rows: usize,
    ) -> Self {
        let per_row = row.matches('?').count();
        // SQLite allows 32,766 bound values a statement, PostgreSQL 65,535.
        let rows_per_statement = (30_000 / per_row.max(1)).clamp(1, max_rows);
        Self {
            backend,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            row,
            per_row,
            rows_per_statement,
            sql: String::new(),
            values: Vec::new(),
            rows: 0,
            written: 0,
        }
    }

    pub(super) async fn push(
        &mut self,
        db: &impl ConnectionTrait,
        values: impl IntoIterator<Item = Value>,
    ) -> anyhow::Result<()> {
        if self.rows == 0 {
            self.sql.clear();
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        let before = self.values.len();
        self.values.extend(values);
        debug_assert_eq!(self.values.len() - before, self.per_row);
        match self.backend {
            DbBackend::Postgres => {
                let mut n = before;
                for part in self.row.split('?').enumerate() {
                    if part.0 > 0 {
                        n += 1;
                        self.sql.push('$');
                        self.sql.push_str(&n.to_string());
                    }
                    self.sql.push_str(part.1);
                }
            }
            _ => self.sql.push_str(self.row),
        }
        self.rows += 1;
        if self.rows >= self.rows_per_statement {
            self.flush(db).await?;
        }
        Ok(())
    }

    pub(super) async fn flush(&mut self, db: &impl ConnectionTrait) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.sql);
        let values = std::mem::take(&mut self.values);
        db.execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
            .await
            .with_context(|| format!("bulk insert: {}", self.head))?;
        self.written += self.rows;
        self.rows = 0;
        Ok(())
    }
}

/// The first column of the first row, as a number (0 for NULL).
pub(super) async fn scalar(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}
