//! `storyChanges`: the sync feed offline apps keep their copy with (the rules
//! are in `stories::changes`).

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Union};

use super::{
    context::ContextExt,
    published::{PublishedStory, viewer},
};
use crate::{
    clock,
    error::Error,
    stories::changes::{self, Change, Gone, SyncCursor},
};

/// The story as the reader may now show it: add it, or replace the copy held.
pub struct StoryUpsert(pub PublishedStory);

#[Object]
impl StoryUpsert {
    async fn story(&self) -> &PublishedStory {
        &self.0
    }
}

/// Why a story must be deleted.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TombstoneReason {
    /// Taken offline, archived, out of its publication window, or out of the
    /// campaigns this key serves.
    Unpublished,
    /// The storyteller withdrew their consent; or no consent covers the story
    /// for this key any more without one having run out: a consent was revoked
    /// or invalidated, or an amendment dropped this key's channel or partner.
    Withdrawn,
    /// The storyteller's consent ran out.
    Expired,
    /// The storyteller's data was erased.
    Erased,
}

/// The reader must delete this story (and its media) now, wherever it is kept.
#[derive(SimpleObject)]
pub struct StoryTombstone {
    pub story_id: ID,
    pub reason: TombstoneReason,
    /// The takedown to acknowledge (`acknowledgeTakedown`) once every copy is
    /// gone; null when none is outstanding for this key.
    pub takedown_id: Option<ID>,
}

/// One entry of the feed.
#[derive(Union)]
pub enum StoryChange {
    Upsert(StoryUpsert),
    Tombstone(StoryTombstone),
}

/// A page of the feed.
#[derive(SimpleObject)]
pub struct StoryChanges {
    /// Each changed story's state now, by story id.
    pub changes: Vec<StoryChange>,
    /// Call again with `endCursor` at once while this is true.
    pub has_next_page: bool,
    /// Keep it: the next sync starts from here.
    pub end_cursor: String,
}

/// The feed's changes as GraphQL gives them, each tombstone with the key's
/// takedown to acknowledge (handed out now, so marked delivered).
pub(super) async fn shown(
    state: &crate::state::AppState,
    key: Option<uuid::Uuid>,
    changes: Vec<Change>,
    locale: &Option<String>,
) -> Result<Vec<StoryChange>, Error> {
    let gone: Vec<uuid::Uuid> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Tombstone { story_id, .. } => Some(*story_id),
            Change::Upsert(_) => None,
        })
        .collect();
    let takedowns = match key {
        Some(key) => {
            crate::consent::takedown::hand_out(&state.db, key, &gone, clock::now()).await?
        }
        None => Default::default(),
    };
    Ok(changes
        .into_iter()
        .map(|change| match change {
            Change::Upsert(story) => {
                StoryChange::Upsert(StoryUpsert(PublishedStory(*story, locale.clone(), None)))
            }
            Change::Tombstone { story_id, reason } => StoryChange::Tombstone(StoryTombstone {
                story_id: ID(story_id.to_string()),
                reason: match reason {
                    Gone::Unpublished => TombstoneReason::Unpublished,
                    Gone::Withdrawn => TombstoneReason::Withdrawn,
                    Gone::Expired => TombstoneReason::Expired,
                    Gone::Erased => TombstoneReason::Erased,
                },
                takedown_id: takedowns.get(&story_id).map(|t| ID(t.to_string())),
            }),
        })
        .collect())
}

#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// What changed since `since` (everything this key may see, when absent):
    /// upserts for stories to add or replace, tombstones for stories to delete
    /// (unpublished, withdrawn, expired, erased). Keep `endCursor` and pass it
    /// next time; the same change may come twice, and applying it twice is
    /// harmless. At most 100 stories a page. A `since` older than the change
    /// history kept is refused with `SYNC_CURSOR_EXPIRED`: delete every story
    /// you hold and sync again without `since`.
    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 100) as usize * child_complexity")]
    async fn story_changes(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
        #[graphql(desc = "Stories per page, 1 to 100 (50 when absent).")] first: Option<i32>,
        #[graphql(
            desc = "The language to show stories in (BCP 47), falling back as `stories` does."
        )]
        locale: Option<String>,
    ) -> Result<StoryChanges> {
        let viewer = viewer(ctx)?;
        let first = first.unwrap_or(50);
        if !(1..=100).contains(&first) {
            return Err(Error::invalid("first", "must be between 1 and 100").into());
        }
        if let Some(tag) = &locale {
            crate::locale::validate("locale", tag)?;
        }
        let since = since
            .as_deref()
            .map(|s| SyncCursor::decode("since", s))
            .transpose()?;
        let state = ctx.state();
        let feed = changes::feed(
            &state.db,
            &state.reads,
            &viewer,
            since,
            u64::try_from(first).unwrap_or(1),
            clock::now(),
        )
        .await?;
        let key = match ctx.principal() {
            crate::auth::Principal::Consumer(consumer) => Some(consumer.key_id),
            _ => None,
        };
        Ok(StoryChanges {
            changes: shown(state, key, feed.changes, &locale).await?,
            has_next_page: feed.has_next_page,
            end_cursor: feed.end_cursor.encode(),
        })
    }
}
