//! The audit log: who did what to which record, when, and from which state to which.
//!
//! Rows are only ever inserted (the database refuses updates and deletes). Every
//! service that changes state writes its event in the same transaction as the
//! change, so the log and the data cannot disagree. Details never hold personal data.

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::{Principal, Role},
    error::{Error, Result},
    organisations::Scope,
    pagination::{self, Page, PageRequest},
};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    /// The background job worker.
    Worker,
    /// An operator at the command line.
    Cli,
    /// A campaign site sending a story in with a `SUBMISSIONS` key (the key's id).
    SubmissionKey(Uuid),
    /// A partner's key acknowledging a takedown (the key's id).
    ApiKey(Uuid),
}

impl Actor {
    fn parts(self) -> (Option<Uuid>, &'static str) {
        match self {
            Actor::User(id) => (Some(id), "user"),
            Actor::Worker => (None, "worker"),
            Actor::Cli => (None, "cli"),
            Actor::SubmissionKey(id) | Actor::ApiKey(id) => (Some(id), "api_key"),
        }
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<Uuid>,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub detail: Value,
}

impl<'a> Event<'a> {
    /// An event about one subject, without a state change.
    pub fn new(action: &'a str, subject_type: &'a str, subject_id: Uuid) -> Self {
        Self {
            action,
            subject_type,
            subject_id: Some(subject_id),
            from_state: None,
            to_state: None,
            detail: Value::Object(Default::default()),
        }
    }

    /// Adds the states before and after.
    pub fn states(mut self, from: &'a str, to: &'a str) -> Self {
        self.from_state = Some(from);
        self.to_state = Some(to);
        self
    }

    /// Adds details (never personal data).
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends one event.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    let (actor_id, actor_kind) = actor.parts();
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now),
        actor_id: Set(actor_id),
        actor: Set(actor_kind.into()),
        action: Set(event.action.into()),
        subject_type: Set(event.subject_type.into()),
        subject_id: Set(event.subject_id),
        from_state: Set(event.from_state.map(Into::into)),
        to_state: Set(event.to_state.map(Into::into)),
        detail: Set(event.detail.to_string()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub subject_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Events in the order they happened: every event for platform admins, the
/// events about what is in their scope for an organisation admin (see
/// [`Scope::audit_events`]); editors and contributors are `Forbidden`.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
    scope: &Scope,
    filter: Filter,
    page: PageRequest,
) -> Result<Page<audit_event::Model>> {
    if principal.staff()?.role != Role::Admin {
        principal.require_role(&[Role::Admin])?;
    }
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && until < since
    {
        return Err(Error::invalid("until", "`until` is before `since`"));
    }
    let mut select = audit_event::Entity::find().filter(scope.audit_events());
    if let Some(id) = filter.subject_id {
        select = select.filter(audit_event::Column::SubjectId.eq(id));
    }
    if let Some(id) = filter.actor_id {
        select = select.filter(audit_event::Column::ActorId.eq(id));
    }
    if let Some(action) = filter.action {
        select = select.filter(audit_event::Column::Action.eq(action));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_event::Column::OccurredAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(audit_event::Column::OccurredAt.lt(until));
    }
    pagination::fetch(db, select, audit_event::Column::Id, page).await
}
