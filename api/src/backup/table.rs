//! Reading and writing any entity's rows as `sea_orm::Value`s, so one piece of
//! code copies every table: rows are read in primary-key order, each column
//! taken with `ModelTrait::get`, and written back with `ActiveModelTrait::try_set`.

use std::marker::PhantomData;

use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::{Expr, ExprTrait},
};

/// One table's rows, as values.
#[async_trait::async_trait]
pub trait TableCopy: Send + Sync {
    /// The table's name.
    fn table(&self) -> &'static str;

    /// Its columns, in the entity's order.
    fn columns(&self) -> Vec<&'static str>;

    /// Up to `limit` rows in primary-key order, after the row whose key is
    /// `after` (from the start without one), and the last row's key. Keyset
    /// paging: an offset would rescan every earlier row on each page.
    async fn page(
        &self,
        db: &DatabaseTransaction,
        after: Option<Vec<Value>>,
        limit: u64,
    ) -> Result<(Vec<Vec<Value>>, Option<Vec<Value>>), DbErr>;

    /// Inserts `rows`, each holding the values of `columns` in order; columns
    /// not named keep their database defaults.
    async fn insert(
        &self,
        db: &DatabaseTransaction,
        columns: &[String],
        rows: Vec<Vec<Value>>,
    ) -> Result<(), DbErr>;
}

/// [`TableCopy`] for the entity `E`.
pub struct Copy<E>(PhantomData<fn() -> E>);

impl<E> Default for Copy<E> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

#[async_trait::async_trait]
impl<E> TableCopy for Copy<E>
where
    E: EntityTrait,
    E::Model: Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    fn table(&self) -> &'static str {
        E::default().table_name()
    }

    fn columns(&self) -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    async fn page(
        &self,
        db: &DatabaseTransaction,
        after: Option<Vec<Value>>,
        limit: u64,
    ) -> Result<(Vec<Vec<Value>>, Option<Vec<Value>>), DbErr> {
        let keys: Vec<E::Column> = E::PrimaryKey::iter().map(|k| k.into_column()).collect();
        let mut query = E::find();
        for key in &keys {
            query = query.order_by_asc(*key);
        }
        if let Some(after) = after {
            // A row-value comparison, `(a, b) > (x, y)`: the order the rows
            // are sorted in, on SQLite and PostgreSQL alike.
            let columns = keys.iter().map(|c| Expr::col((E::default(), *c)));
            query = query
                .filter(Expr::tuple(columns).gt(Expr::tuple(after.into_iter().map(Expr::val))));
        }
        let models = query.limit(limit).all(db).await?;
        let last = models
            .last()
            .map(|m| keys.iter().map(|c| m.get(*c)).collect());
        let rows = models
            .iter()
            .map(|m| E::Column::iter().map(|c| m.get(c)).collect())
            .collect();
        Ok((rows, last))
    }

    async fn insert(
        &self,
        db: &DatabaseTransaction,
        columns: &[String],
        rows: Vec<Vec<Value>>,
    ) -> Result<(), DbErr> {
        let known: Vec<E::Column> = columns
            .iter()
            .map(|name| {
                E::Column::iter()
                    .find(|c| c.as_str() == name)
                    .ok_or_else(|| {
                        DbErr::Custom(format!(
                            "the backup has a column {}.{name} this Chorus does not know",
                            self.table()
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut models = Vec::with_capacity(rows.len());
        for row in rows {
            let mut model = <E::ActiveModel as ActiveModelTrait>::default();
            for (column, value) in known.iter().zip(row) {
                model.try_set(*column, value).map_err(|e| {
                    DbErr::Custom(format!("{}.{}: {e}", self.table(), column.as_str()))
                })?;
            }
            models.push(model);
        }
        if models.is_empty() {
            return Ok(());
        }
        E::insert_many(models).exec_without_returning(db).await?;
        Ok(())
    }
}
