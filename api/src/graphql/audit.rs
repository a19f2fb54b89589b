//! The audit log, for admins.

use async_graphql::{
    Context, ID, InputObject, Json, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

use super::{
    connection::{connection, page_request},
    context::ContextExt,
    scalars::parse_id,
};
use crate::audit;

/// One recorded action.
#[derive(SimpleObject)]
pub struct AuditEvent {
    pub id: ID,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `worker` or `cli`.
    pub actor: String,
    pub actor_id: Option<ID>,
    /// E.g. `story.approved`, `storyteller.personal_data_read`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<ID>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: Json<serde_json::Value>,
}

impl From<entity::audit_event::Model> for AuditEvent {
    fn from(e: entity::audit_event::Model) -> Self {
        Self {
            id: ID(e.id.to_string()),
            occurred_at: e.occurred_at,
            actor: e.actor,
            actor_id: e.actor_id.map(|id| ID(id.to_string())),
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
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log in the order things happened. Admins only.
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
            since: f.since,
            until: f.until,
        };
        let page = audit::list(
            &ctx.state().db,
            ctx.principal(),
            filter,
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection(page, |e| e.id, AuditEvent::from))
    }
}
