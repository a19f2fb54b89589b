//! Relay-style connections over the services' keyset pages.

use async_graphql::{
    OutputType, Result,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use super::scalars::{decode_cursor, encode_cursor};
use crate::pagination::{Page, PageRequest};

/// Validates `first` (at most 100) and decodes `after`.
pub fn page_request(first: Option<i32>, after: Option<String>) -> Result<PageRequest> {
    let after = after.as_deref().map(decode_cursor).transpose()?;
    Ok(PageRequest::new(first.map(i64::from), after)?)
}

/// A connection whose cursors are the rows' ids.
pub fn connection<M, T: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> Uuid,
    into: impl Fn(M) -> T,
) -> Connection<String, T> {
    let mut conn = Connection::new(page.has_previous_page, page.has_next_page);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|m| Edge::new(encode_cursor(id(&m)), into(m))),
    );
    conn
}
