//! Reading and writing any entity's rows as `sea_orm::Value`s, so one piece of
//! code copies every table: rows are read in primary-key order, each column
//! taken with `ModelTrait::get`, and written back with `ActiveModelTrait::try_set`.

use std::marker::PhantomData;

use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait,
    PrimaryKeyToColumn, QueryOrder, QuerySelect, Value,
};

/// One table's rows, as values.
#[async_trait::async_trait]
pub trait TableCopy: Send + Sync {
    /// The table's name.
    fn table(&self) -> &'static str;

    /// Its columns, in the entity's order.
    fn columns(&self) -> Vec<&'static str>;

    /// Up to `limit` rows from `offset`, in primary-key order.
    async fn page(
        &self,
        db: &DatabaseTransaction,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Vec<Value>>, DbErr>;

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
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Vec<Value>>, DbErr> {
        let mut query = E::find();
        for key in E::PrimaryKey::iter() {
            query = query.order_by_asc(key.into_column());
        }
        let models = query.offset(offset).limit(limit).all(db).await?;
        Ok(models
            .iter()
            .map(|m| E::Column::iter().map(|c| m.get(c)).collect())
            .collect())
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
