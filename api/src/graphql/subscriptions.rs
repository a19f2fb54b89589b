//! Live subscriptions, over `graphql-transport-ws` on `/graphql`
//! (`http::subscriptions` opens the socket and checks the credentials of
//! `connection_init`). Each subscription sleeps until [`crate::live`] says
//! something was written (or until the clock can change what it shows), then
//! reads what changed the way its query would, and checks the connection's
//! credentials again first: a revoked key, a signed-out session or an expired
//! token ends it with an error.

use std::{collections::VecDeque, time::Duration};

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::audit_event;
use futures_util::{Stream, stream};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::watch;
use uuid::Uuid;

use super::{context::ContextExt, sync::StoryChange};
use crate::{
    auth::{Principal, sessions},
    clock,
    consent::gate::Viewer,
    consumers,
    error::Error,
    organisations::Scope,
    state::AppState,
    stories::changes::{self, Mark, SyncCursor},
};

/// What a live connection signed in with, kept to check again on each event.
#[derive(Clone)]
pub enum LiveCredential {
    Bearer(String),
    ApiKey(String),
}

impl LiveCredential {
    /// Who the credential speaks for now; an error once it no longer does.
    pub async fn check(&self, state: &AppState) -> Result<Principal, Error> {
        let now = clock::now();
        match self {
            LiveCredential::Bearer(token) => {
                sessions::authenticate(&state.db, &state.keys, token, now).await
            }
            LiveCredential::ApiKey(key) => consumers::authenticate(&state.db, None, key, now).await,
        }
    }
}

/// The longest a subscription sleeps without a wake-up before it looks again.
const IDLE: Duration = Duration::from_secs(30);
/// Stories read per step of the feed.
const PAGE: u64 = 100;
/// Newsroom events read per step.
const EVENTS: u64 = 100;

/// Something that happened in the newsroom, as the audit log recorded it.
#[derive(SimpleObject, Clone)]
pub struct NewsroomEvent {
    pub id: ID,
    /// For example `story.submitted`, `story.approved`, `story.published`,
    /// `review.comment_added`, `media.renditions_ready`, `submission.received`.
    pub action: String,
    /// `story`, `media`, `submission`…
    pub subject_type: String,
    pub subject_id: Option<ID>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

impl From<audit_event::Model> for NewsroomEvent {
    fn from(e: audit_event::Model) -> Self {
        Self {
            id: ID(e.id.to_string()),
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id.map(|id| ID(id.to_string())),
            from_state: e.from_state,
            to_state: e.to_state,
            occurred_at: e.occurred_at,
        }
    }
}

/// The audit actions the newsroom hears of: story states and the review queue,
/// comments, finished renditions, stories sent in.
fn newsroom_actions() -> Condition {
    ["story.", "review.", "media.renditions", "submission."]
        .into_iter()
        .fold(Condition::any(), |any, prefix| {
            any.add(audit_event::Column::Action.starts_with(prefix))
        })
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription(name = "Subscription")]
impl LiveSubscription {
    /// The sync feed, live (API keys): each story your key may now show
    /// (`StoryUpsert`) or must delete (`StoryTombstone`, with the takedown to
    /// acknowledge), as it happens. From `since` (a `storyChanges` cursor) when
    /// given, else from now. Ends with an error when the key is revoked, or
    /// with `SYNC_CURSOR_EXPIRED` when `since` is older than the history kept.
    async fn story_changes(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
        #[graphql(desc = "The language to show stories in (BCP 47).")] locale: Option<String>,
    ) -> Result<impl Stream<Item = Result<StoryChange>> + use<>> {
        let state = ctx.state().clone();
        let credential = ctx
            .data_opt::<LiveCredential>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("subscribe over a WebSocket".into()))?;
        let viewer = super::published::viewer(ctx)?;
        if let Some(tag) = &locale {
            crate::locale::validate("locale", tag)?;
        }
        let cursor = match since.as_deref() {
            Some(text) => SyncCursor::decode("since", text)?,
            None => SyncCursor {
                from: Some(Mark {
                    version: changes::version(&state.db).await?,
                    at: clock::now(),
                }),
                to: None,
                after: None,
            },
        };
        let woken = state.live.woken();
        let feed = LiveFeed {
            state,
            credential,
            viewer,
            cursor,
            locale,
            woken,
            pending: VecDeque::new(),
            ended: false,
            first: since.is_some(),
        };
        Ok(stream::unfold(feed, LiveFeed::next))
    }

    /// The newsroom, live (editors and admins): story states and the review
    /// queue, comments, finished renditions and stories sent in, from now on,
    /// within your organisation's scope. Ends with an error when your session
    /// ends or your token expires: connect again with a fresh one.
    async fn newsroom_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<NewsroomEvent>> + use<>> {
        let state = ctx.state().clone();
        let credential = ctx
            .data_opt::<LiveCredential>()
            .cloned()
            .ok_or_else(|| Error::Unauthenticated("subscribe over a WebSocket".into()))?;
        ctx.principal().require_editor()?;
        let last = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Id)
            .order_by_desc(audit_event::Column::Id)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&state.db)
            .await
            .map_err(Error::from)?;
        let woken = state.live.woken();
        let feed = Newsroom {
            state,
            credential,
            last,
            woken,
            pending: VecDeque::new(),
            ended: false,
        };
        Ok(stream::unfold(feed, Newsroom::next))
    }
}

/// One consumer's live feed.
struct LiveFeed {
    state: AppState,
    credential: LiveCredential,
    viewer: Viewer,
    cursor: SyncCursor,
    locale: Option<String>,
    woken: watch::Receiver<u64>,
    pending: VecDeque<StoryChange>,
    ended: bool,
    /// Read at once, without waiting (a `since` was given).
    first: bool,
}

impl LiveFeed {
    async fn next(mut self) -> Option<(Result<StoryChange>, Self)> {
        loop {
            if let Some(change) = self.pending.pop_front() {
                return Some((Ok(change), self));
            }
            if self.ended {
                return None;
            }
            if !std::mem::take(&mut self.first) && !self.wait().await {
                return None;
            }
            match self.credential.check(&self.state).await {
                Ok(principal) => match Viewer::of(&principal, false) {
                    Some(viewer) => self.viewer = viewer,
                    None => return self.end(Error::Forbidden("this key reads no stories".into())),
                },
                Err(err) => return self.end(err),
            }
            match self.catch_up().await {
                Ok(()) => {}
                // Retrying cannot help: the app must start over without `since`.
                Err(err @ Error::SyncCursorExpired) => return self.end(err),
                Err(err) => {
                    err.log_if_internal();
                    tracing::warn!(error = %err, "a live feed could not read the changes; will try again");
                }
            }
        }
    }

    fn end(mut self, err: Error) -> Option<(Result<StoryChange>, Self)> {
        self.ended = true;
        Some((Err(err.into()), self))
    }

    /// Sleeps until a write, the next instant the clock can change what the
    /// key sees, or `IDLE`; false once the server is stopping.
    async fn wait(&mut self) -> bool {
        let now = clock::now();
        let until_clock = changes::next_visibility_change(&self.state.db, now)
            .await
            .ok()
            .flatten()
            .and_then(|at| (at - now).to_std().ok())
            .map_or(IDLE, |d| d.min(IDLE) + Duration::from_millis(5));
        tokio::select! {
            woken = self.woken.changed() => woken.is_ok(),
            _ = tokio::time::sleep(until_clock) => true,
        }
    }

    async fn catch_up(&mut self) -> Result<(), Error> {
        let state = &self.state;
        loop {
            let page = changes::feed(
                &state.db,
                &state.reads,
                &self.viewer,
                Some(self.cursor),
                PAGE,
                clock::now(),
            )
            .await?;
            let shown =
                super::sync::shown(state, self.viewer.api_key_id, page.changes, &self.locale)
                    .await?;
            self.pending.extend(shown);
            self.cursor = page.end_cursor;
            if !page.has_next_page {
                return Ok(());
            }
        }
    }
}

/// One staff member's live newsroom.
struct Newsroom {
    state: AppState,
    credential: LiveCredential,
    last: Option<Uuid>,
    woken: watch::Receiver<u64>,
    pending: VecDeque<NewsroomEvent>,
    ended: bool,
}

impl Newsroom {
    async fn next(mut self) -> Option<(Result<NewsroomEvent>, Self)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if self.ended {
                return None;
            }
            tokio::select! {
                woken = self.woken.changed() => if woken.is_err() { return None },
                _ = tokio::time::sleep(IDLE) => {}
            }
            let principal = match self.credential.check(&self.state).await {
                Ok(principal) => principal,
                Err(err) => {
                    self.ended = true;
                    return Some((Err(err.into()), self));
                }
            };
            if let Err(err) = self.catch_up(&principal).await {
                if matches!(err, Error::Forbidden(_) | Error::Unauthenticated(_)) {
                    self.ended = true;
                    return Some((Err(err.into()), self));
                }
                err.log_if_internal();
                tracing::warn!(error = %err, "a live newsroom could not read the audit log; will try again");
            }
        }
    }

    async fn catch_up(&mut self, principal: &Principal) -> Result<(), Error> {
        principal.require_editor()?;
        // The scope is read again each time: a grant taken back applies at once.
        let scope = Scope::for_principal(&self.state.db, principal).await?;
        let mut select = audit_event::Entity::find()
            .filter(newsroom_actions())
            .filter(scope.audit_events());
        if let Some(last) = self.last {
            select = select.filter(audit_event::Column::Id.gt(last));
        }
        let events = select
            .order_by_asc(audit_event::Column::Id)
            .limit(EVENTS)
            .all(&self.state.db)
            .await?;
        if let Some(newest) = events.last() {
            self.last = Some(newest.id);
        }
        self.pending
            .extend(events.into_iter().map(NewsroomEvent::from));
        Ok(())
    }
}
