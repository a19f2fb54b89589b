//! The consent gate: whether a story may be shown on a channel, to a partner, at
//! an instant. One rule, written once as SQL conditions, so that lists, counts,
//! pages and single fetches all apply it inside the query and never reveal a
//! hidden story by filtering afterwards.

use chrono::{DateTime, Utc};
use entity::{
    api_key::Channel,
    consent_channel, consent_partner,
    consent_record::{self, Status},
    story::{self, State},
    story_campaign,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, IntoIden, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{auth::Principal, error::Result};

/// Which partner a `PARTNER_SITES` read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerScope {
    /// No partner: no `PARTNER_SITES` grant covers the read.
    Nobody,
    /// One partner, named by the grant or covered by "all partners".
    Only(Uuid),
    /// Any partner at all (the check before publishing, never a consumer read).
    Any,
}

/// Who is reading, as far as consent is concerned: the channel, the partner (for
/// partner sites) and the campaigns the key is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub channel: Channel,
    pub partner: PartnerScope,
    /// Empty: every campaign.
    pub campaign_ids: Vec<Uuid>,
    /// The key that reads, so a takedown can reach it later; `None` for anonymous reads.
    pub api_key_id: Option<Uuid>,
}

impl Viewer {
    /// A channel as a whole, with no partner and no campaign limit.
    pub fn channel(channel: Channel) -> Self {
        Self {
            channel,
            partner: PartnerScope::Nobody,
            campaign_ids: Vec::new(),
            api_key_id: None,
        }
    }

    /// The viewer a consumer request reads as; `None` when the principal is not a
    /// consumer and anonymous reads are off. Staff are never viewers: an editor's
    /// read is not a publication.
    pub fn of(principal: &Principal, public_reads: bool) -> Option<Self> {
        match principal {
            Principal::Consumer(c) if c.channel.shows_stories() => Some(Self {
                channel: c.channel,
                partner: c
                    .partner_id
                    .map_or(PartnerScope::Nobody, PartnerScope::Only),
                campaign_ids: c.campaign_ids.clone(),
                api_key_id: Some(c.key_id),
            }),
            Principal::Anonymous if public_reads => Some(Self::channel(Channel::PublicWeb)),
            _ => None,
        }
    }
}

/// The statuses that allow any use.
pub const USABLE: [Status; 2] = [Status::Given, Status::Renewed];

/// Conditions on a consent record (in table `c`) that make it usable now for the
/// viewer's channel and partner: usable status, current (not superseded), given,
/// unexpired, naming the channel (and the partner), with guardian consent and
/// assent when made for a minor. Says nothing about which story it covers.
pub fn usable_consent(c: impl IntoIden, viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    let c = c.into_iden();
    let col = |column: consent_record::Column| Expr::col((c.clone(), column));
    let channel = Query::select()
        .expr(Expr::val(1))
        .from(consent_channel::Entity)
        .and_where(
            Expr::col((consent_channel::Entity, consent_channel::Column::ConsentId))
                .equals((c.clone(), consent_record::Column::Id)),
        )
        .and_where(
            Expr::col((consent_channel::Entity, consent_channel::Column::Channel))
                .eq(viewer.channel.to_value()),
        )
        .to_owned();

    let mut cond = Condition::all()
        .add(col(consent_record::Column::Status).is_in(USABLE.map(|s| s.to_value())))
        .add(col(consent_record::Column::GivenAt).lte(now))
        .add(col(consent_record::Column::ExpiresAt).gt(now))
        .add(current(c.clone()))
        .add(Expr::exists(channel))
        .add(
            Condition::any()
                .add(col(consent_record::Column::SubjectMinor).eq(false))
                .add(
                    Condition::all()
                        .add(col(consent_record::Column::GuardianConsent).eq(true))
                        .add(col(consent_record::Column::ChildAssent).eq(true)),
                ),
        );
    if viewer.channel == Channel::PartnerSites {
        cond = cond.add(partner_named(c, viewer.partner));
    }
    cond
}

/// The consent record (in table `c`) is current: no other record supersedes it.
pub fn current(c: impl IntoIden) -> Condition {
    let c = c.into_iden();
    let successor = Alias::new("successor");
    Condition::all().add(
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(consent_record::Entity, successor.clone())
                .and_where(
                    Expr::col((successor, consent_record::Column::SupersedesId))
                        .equals((c, consent_record::Column::Id)),
                )
                .to_owned(),
        )
        .not(),
    )
}

/// A `PARTNER_SITES` grant covers a partner that it names, or every partner when
/// that was chosen explicitly; a key without a partner is covered by neither.
fn partner_named(c: impl IntoIden, partner: PartnerScope) -> Condition {
    let c = c.into_iden();
    let all = Expr::col((c.clone(), consent_record::Column::AllPartners)).eq(true);
    let mut named = Query::select()
        .expr(Expr::val(1))
        .from(consent_partner::Entity)
        .and_where(
            Expr::col((consent_partner::Entity, consent_partner::Column::ConsentId))
                .equals((c, consent_record::Column::Id)),
        )
        .to_owned();
    match partner {
        PartnerScope::Nobody => return Condition::all().add(Expr::val(1).eq(0)),
        PartnerScope::Only(partner) => {
            named.and_where(
                Expr::col((consent_partner::Entity, consent_partner::Column::PartnerId))
                    .eq(partner),
            );
        }
        PartnerScope::Any => {}
    }
    Condition::any().add(all).add(Expr::exists(named))
}

/// A subquery: some usable consent of the story's storyteller covers this story
/// (in the outer `stories` table) for the viewer.
fn covering_consent(viewer: &Viewer, now: DateTime<Utc>) -> SelectStatement {
    let c = Alias::new("c");
    Query::select()
        .expr(Expr::val(1))
        .from_as(consent_record::Entity, c.clone())
        .cond_where(may_cover_story(c.clone()))
        .cond_where(usable_consent(c, viewer, now))
        .to_owned()
}

/// The consent record (in table `c`) is one that can cover the story in the
/// outer `stories` table: its storyteller's, made for every story or for this one.
pub fn may_cover_story(c: impl IntoIden) -> Condition {
    let c = c.into_iden();
    Condition::all()
        .add(
            Expr::col((c.clone(), consent_record::Column::StorytellerId))
                .equals((story::Entity, story::Column::StorytellerId)),
        )
        .add(
            Condition::any()
                .add(Expr::col((c.clone(), consent_record::Column::StoryId)).is_null())
                .add(
                    Expr::col((c, consent_record::Column::StoryId))
                        .equals((story::Entity, story::Column::Id)),
                ),
        )
}

/// A usable consent covers the story (in the outer `stories` table) for the
/// viewer, whatever the story's publication state.
pub fn consent_covers(viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    Condition::all().add(Expr::exists(covering_consent(viewer, now)))
}

/// The states a story can be live in: published, or published and being
/// revised (a new draft, in review, approved): the published text stays up
/// until the revision is published in turn (docs/WORKFLOW.md). Unpublishing,
/// archiving and withdrawal clear `published_at` as well.
pub const LIVE_STATES: [State; 5] = [
    State::Published,
    State::Draft,
    State::InReview,
    State::ChangesRequested,
    State::Approved,
];

/// The story's publication is up at `now`, consent aside: the Rust twin of
/// the first half of [`visible`].
pub fn is_up(story: &story::Model, now: DateTime<Utc>) -> bool {
    LIVE_STATES.contains(&story.state)
        && story.published_at.is_some_and(|at| at <= now)
        && story.unpublish_at.is_none_or(|at| at > now)
}

/// The whole gate as a condition on `stories`: live and inside its window,
/// in the viewer's campaigns, and covered by consent.
pub fn visible(viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    let mut cond = Condition::all()
        .add(story::Column::State.is_in(LIVE_STATES.map(|s| s.to_value())))
        .add(story::Column::PublishedAt.lte(now))
        .add(
            Condition::any()
                .add(story::Column::UnpublishAt.is_null())
                .add(story::Column::UnpublishAt.gt(now)),
        )
        .add(consent_covers(viewer, now));
    if !viewer.campaign_ids.is_empty() {
        cond = cond.add(
            story::Column::Id.in_subquery(
                Query::select()
                    .column(story_campaign::Column::StoryId)
                    .from(story_campaign::Entity)
                    .and_where(
                        story_campaign::Column::CampaignId.is_in(viewer.campaign_ids.clone()),
                    )
                    .to_owned(),
            ),
        );
    }
    cond
}

/// Whether one story is visible to the viewer now.
pub async fn is_visible(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(story::Entity::find_by_id(story_id)
        .filter(visible(viewer, now))
        .count(db)
        .await?
        > 0)
}

/// Whether a usable consent covers the story on the channel at `at`, leaving its
/// publication aside (the check before publishing). For `PARTNER_SITES`, any
/// named partner (or all partners) will do.
pub async fn covers_channel(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    channel: Channel,
    at: DateTime<Utc>,
) -> Result<bool> {
    let viewer = Viewer {
        partner: PartnerScope::Any,
        ..Viewer::channel(channel)
    };
    Ok(story::Entity::find_by_id(story_id)
        .filter(consent_covers(&viewer, at))
        .count(db)
        .await?
        > 0)
}
