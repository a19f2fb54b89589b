//! The audit log, for admins.

use async_graphql::{
    Context, ID, InputObject, Json, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

use std::collections::HashMap;

use uuid::Uuid;

use super::{
    auth::User,
    connection::{connection, page_request},
    context::{ContextExt, scope},
    scalars::{Instant, parse_id},
};
use crate::{audit, auth::users};

/// One recorded action.
#[derive(SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `worker`, `cli` or `api_key` (a campaign site sending a story in).
    pub actor: String,
    pub actor_id: Option<ID>,
    /// The staff member who acted, when a person did (`actor` is `user`).
    pub actor_user: Option<User>,
    /// E.g. `story.approved`, `storyteller.personal_data_read`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<ID>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: Json<serde_json::Value>,
}

impl AuditEvent {
    /// The event, with its actor found among `users` (the page's actors).
    fn new(e: entity::audit_event::Model, users: &HashMap<Uuid, entity::user::Model>) -> Self {
        Self {
            id: ID(e.id.to_string()),
            occurred_at: e.occurred_at,
            actor: e.actor,
            actor_id: e.actor_id.map(|id| ID(id.to_string())),
            actor_user: e
                .actor_id
                .and_then(|id| users.get(&id))
                .cloned()
                .map(User::from),
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id.map(|id| ID(id.to_string())),
            from_state: e.from_state,
            to_state: e.to_state,
            detail: Json(serde_json::from_str(&e.detail).unwrap_or_default()),
        }
    }
}

/// Which events to list; all filters are optional and combine.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    pub subject_id: Option<ID>,
    pub actor_id: Option<ID>,
    pub action: Option<String>,
    pub since: Option<Instant>,
    pub until: Option<Instant>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log in the order things happened: all of it for platform admins,
    /// the events about what is in their scope for organisation admins.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, AuditEvent>> {
        let f = filter.unwrap_or_default();
        let filter = audit::Filter {
            subject_id: f
                .subject_id
                .as_ref()
                .map(|id| parse_id("subjectId", id))
                .transpose()?,
            actor_id: f
                .actor_id
                .as_ref()
                .map(|id| parse_id("actorId", id))
                .transpose()?,
            action: f.action,
            since: f.since.map(|t| t.0),
            until: f.until.map(|t| t.0),
        };
        let page = audit::list(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            filter,
            page_request(first, after, last, before)?,
        )
        .await?;
        // One query for every actor on the page, rather than one per event.
        let actors = users::find_many(
            &ctx.state().db,
            page.items.iter().filter_map(|e| e.actor_id),
        )
        .await?;
        let actors: HashMap<Uuid, entity::user::Model> =
            actors.into_iter().map(|u| (u.id, u)).collect();
        Ok(connection(page, |e| e.id, |e| AuditEvent::new(e, &actors)))
    }
}
