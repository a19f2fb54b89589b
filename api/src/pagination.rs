//! Relay pagination (forward with `first`/`after`, backward with `last`/`before`)
//! over rows ordered by their (time-ordered, UUIDv7) id, or by a time and then id.
//!
//! Keyset pagination: a cursor is the last row seen (its id, and its time or
//! score when the list is ordered by one), so pages stay stable while rows
//! are added, and no query ever scans past what it returns.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Where a page starts or ends: a row's id and, for lists ordered by a time,
/// that row's time (so a cursor needs no lookup and survives the row's removal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub id: Uuid,
    pub at: Option<DateTime<Utc>>,
}

impl Cursor {
    /// A cursor of a list ordered by id alone.
    pub fn id(id: Uuid) -> Self {
        Self { id, at: None }
    }
}

/// Where a page of a list ordered by a score (highest first, then by id)
/// starts or ends: a row's id and its score as the list computed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreCursor {
    pub id: Uuid,
    pub score: f64,
}

/// A cursor of a list a client may order by time or by a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyCursor {
    Time(Cursor),
    Score(ScoreCursor),
}

/// A validated request for one page: `size` rows after `after` (forward, Relay's
/// `first`), or the last `size` rows before `before` (backward, Relay's `last`).
/// The other cursor, when given too, bounds the window.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<C = Cursor> {
    pub size: u64,
    pub after: Option<C>,
    pub before: Option<C>,
    pub backward: bool,
}

impl PageRequest {
    /// A forward page of `first` rows (the default size when `None`) after `after`.
    pub fn new(first: Option<i64>, after: Option<Uuid>) -> Result<Self> {
        Self::relay(first, after.map(Cursor::id), None, None)
    }
}

impl<C> PageRequest<C> {
    /// The Relay arguments, checked: `first` and `last` at most
    /// [`MAX_PAGE_SIZE`] and never both.
    pub fn relay(
        first: Option<i64>,
        after: Option<C>,
        last: Option<i64>,
        before: Option<C>,
    ) -> Result<Self> {
        let size = |n: Option<i64>, field: &'static str| match n {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if (0..=MAX_PAGE_SIZE as i64).contains(&n) => Ok(n as u64),
            Some(_) => Err(Error::invalid(
                field,
                format!("`{field}` must be between 0 and {MAX_PAGE_SIZE}"),
            )),
        };
        match (first, last) {
            (Some(_), Some(_)) => Err(Error::invalid(
                "last",
                "give `first` (with `after`) or `last` (with `before`), not both",
            )),
            (None, Some(_)) => Ok(Self {
                size: size(last, "last")?,
                after,
                before,
                backward: true,
            }),
            _ => Ok(Self {
                size: size(first, "first")?,
                after,
                before,
                backward: false,
            }),
        }
    }

    /// The same request with cursors of another kind; `BAD_USER_INPUT` on the
    /// argument whose cursor `convert` refuses (one from another list or order).
    pub fn convert<D>(self, convert: impl Fn(C) -> Option<D>) -> Result<PageRequest<D>> {
        let one = |c: Option<C>, field: &'static str| {
            c.map(|c| {
                convert(c).ok_or_else(|| {
                    Error::invalid(field, "expected a cursor as returned by this list")
                })
            })
            .transpose()
        };
        Ok(PageRequest {
            size: self.size,
            after: one(self.after, "after")?,
            before: one(self.before, "before")?,
            backward: self.backward,
        })
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Fetches the page of `select` the request names, ordered by `id_column`.
pub async fn fetch<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_column: E::Column,
    page: PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let mut select = select;
    if let Some(after) = page.after {
        select = select.filter(id_column.gt(after.id));
    }
    if let Some(before) = page.before {
        select = select.filter(id_column.lt(before.id));
    }
    let select = if page.backward {
        select.order_by_desc(id_column)
    } else {
        select.order_by_asc(id_column)
    };
    finish(db, select, page).await
}

/// Fetches the page of `select` ordered by `time_column` then `id_column`, both
/// ascending (`Order::Asc`) or both descending (`Order::Desc`, newest first).
/// Cursors must carry their row's time (`BAD_USER_INPUT` otherwise).
pub async fn fetch_by_time<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    time_column: E::Column,
    id_column: E::Column,
    order: Order,
    page: PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let descending = matches!(order, Order::Desc);
    let mut select = select;
    // Rows past `c` in the list's own order: later in time (earlier when
    // descending), or the same time and a greater (smaller) id.
    let beyond = |c: Cursor, field: &'static str, forward: bool| -> Result<Condition> {
        let at = c
            .at
            .ok_or_else(|| Error::invalid(field, "expected a cursor as returned by this list"))?;
        let later = forward != descending;
        Ok(if later {
            Condition::any().add(time_column.gt(at)).add(
                Condition::all()
                    .add(time_column.eq(at))
                    .add(id_column.gt(c.id)),
            )
        } else {
            Condition::any().add(time_column.lt(at)).add(
                Condition::all()
                    .add(time_column.eq(at))
                    .add(id_column.lt(c.id)),
            )
        })
    };
    if let Some(after) = page.after {
        select = select.filter(beyond(after, "after", true)?);
    }
    if let Some(before) = page.before {
        select = select.filter(beyond(before, "before", false)?);
    }
    let ascending_now = page.backward == descending;
    let select = if ascending_now {
        select.order_by_asc(time_column).order_by_asc(id_column)
    } else {
        select.order_by_desc(time_column).order_by_desc(id_column)
    };
    finish(db, select, page).await
}

/// Reads one row more than asked to learn whether more lie beyond, and puts a
/// backward page back in the list's order.
async fn finish<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    page: PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let items = select.limit(page.size + 1).all(db).await?;
    Ok(assemble(items, &page))
}

/// The page from the rows a request's query returned (one more than its size
/// when more lie beyond), in the list's order.
pub fn assemble<T, C>(mut items: Vec<T>, page: &PageRequest<C>) -> Page<T> {
    let more = items.len() as u64 > page.size;
    items.truncate(page.size as usize);
    if page.backward {
        items.reverse();
        Page {
            items,
            has_next_page: page.before.is_some(),
            has_previous_page: more,
        }
    } else {
        Page {
            items,
            has_next_page: more,
            has_previous_page: page.after.is_some(),
        }
    }
}
