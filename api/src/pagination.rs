//! Forward pagination over rows ordered by their (time-ordered, UUIDv7) id.
//!
//! Keyset pagination: `after` is the last id seen, so pages stay stable while rows
//! are added, and no query ever scans past what it returns.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated request for one page.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Checks `first` against the bounds; `None` means the default size.
    pub fn new(first: Option<i64>, after: Option<Uuid>) -> Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (0..=MAX_PAGE_SIZE as i64).contains(&n) => n as u64,
            Some(_) => {
                return Err(Error::invalid(
                    "first",
                    format!("`first` must be between 0 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        Ok(Self { first, after })
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Fetches the page of `select` after `page.after`, ordered by `id_column`.
pub async fn fetch<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_column: E::Column,
    page: PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let mut select = select.order_by_asc(id_column);
    if let Some(after) = page.after {
        select = select.filter(id_column.gt(after));
    }
    let mut items = select.limit(page.first + 1).all(db).await?;
    let has_next_page = items.len() as u64 > page.first;
    items.truncate(page.first as usize);
    Ok(Page {
        items,
        has_next_page,
        has_previous_page: page.after.is_some(),
    })
}
