//! Relay-style connections over the services' keyset pages.

use async_graphql::{
    OutputType, Result,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use super::scalars::{decode_any_cursor, decode_cursor, encode_cursor};
use crate::{
    error::Error,
    pagination::{AnyCursor, Cursor, Page, PageRequest},
};

/// Validates the Relay arguments (`first` or `last`, at most 100) and decodes
/// the cursors.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest> {
    request_with(first, after, last, before, decode_cursor)
}

/// [`page_request`] for a list that may also be ordered by a score.
pub fn any_page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest<AnyCursor>> {
    request_with(first, after, last, before, decode_any_cursor)
}

fn request_with<C>(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    decode: fn(&'static str, &str) -> Result<C, Error>,
) -> Result<PageRequest<C>> {
    let after = after.as_deref().map(|c| decode("after", c)).transpose()?;
    let before = before.as_deref().map(|c| decode("before", c)).transpose()?;
    Ok(PageRequest::relay(
        first.map(i64::from),
        after,
        last.map(i64::from),
        before,
    )?)
}

/// A connection whose cursors are the rows' ids.
pub fn connection<M, T: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> Uuid,
    into: impl Fn(M) -> T,
) -> Connection<String, T> {
    connection_by(page, |m| Cursor::id(id(m)), into)
}

/// A connection whose cursors `cursor` makes (lists ordered by a time).
pub fn connection_by<M, T: OutputType>(
    page: Page<M>,
    cursor: impl Fn(&M) -> Cursor,
    into: impl Fn(M) -> T,
) -> Connection<String, T> {
    let mut conn = Connection::new(page.has_previous_page, page.has_next_page);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(encode_cursor(cursor(&m)), into(m))),
    );
    conn
}
