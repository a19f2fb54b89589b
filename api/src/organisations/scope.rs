//! The scope rule: which records a staff member may see and act on.
//!
//! One rule in one place, the way the consent gate is for consumers:
//! - staff of the platform organisation (any role) act on everything;
//! - staff of a member organisation M act on the campaigns M owns or was granted
//!   (C(M)), and on:
//!   - a story M owns, or filed under one of C(M);
//!   - a storyteller M owns, or one of whose stories is in scope;
//!   - a consent record (and its events, receipt, export, erasure) whose
//!     storyteller is in scope;
//!   - a media asset M owns, or whose story or (evidence) storyteller is in scope;
//!   - a revision, comment, review or risk assessment whose story is in scope;
//!   - the people of M; the keys of the partner M is linked to;
//! - nobody else is staff, so nobody else has a scope.
//!
//! Lists filter with the SQL conditions below in the query itself (so pages and
//! counts never include what is out of scope); single records go through the
//! `ensure_*` checks, which answer `NotFound` for an id out of scope, exactly as
//! for an id that does not exist. The scope is read once per request (campaigns
//! and grants at that moment: a grant taken back ends access on the next
//! request) and never per row; platform staff cost no statement at all.

use std::collections::BTreeSet;

use entity::{
    audit_event, campaign, campaign_grant, consent_record, media_asset, media_upload,
    review_comment, story, story_campaign, story_revision, storyteller, user,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, Iden, IntoColumnRef, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    auth::Principal,
    error::{Error, Result},
};

/// What a staff member may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything, present and future (platform staff).
    All,
    /// Staff of a member organisation.
    Member {
        /// The organisation the caller works for.
        organisation_id: Uuid,
        /// The campaigns it owns or was granted (possibly none).
        campaigns: BTreeSet<Uuid>,
    },
}

impl Scope {
    /// The scope of the request's caller; `Unauthenticated` or `Forbidden` for
    /// anyone who is not staff. Reads the campaigns at this moment: a grant made
    /// or taken back applies to the next request.
    pub async fn for_principal(db: &impl ConnectionTrait, principal: &Principal) -> Result<Scope> {
        let staff = principal.staff()?;
        if staff.is_platform() {
            return Ok(Scope::All);
        }
        Self::for_organisation(db, staff.organisation_id).await
    }

    /// The scope of a member organisation's staff (two statements).
    pub async fn for_organisation(
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
    ) -> Result<Scope> {
        if organisation_id == super::PLATFORM_ID {
            return Ok(Scope::All);
        }
        let owned: Vec<Uuid> = campaign::Entity::find()
            .select_only()
            .column(campaign::Column::Id)
            .filter(campaign::Column::OrganisationId.eq(organisation_id))
            .into_tuple()
            .all(db)
            .await?;
        let granted: Vec<Uuid> = campaign_grant::Entity::find()
            .select_only()
            .column(campaign_grant::Column::CampaignId)
            .filter(campaign_grant::Column::OrganisationId.eq(organisation_id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Scope::Member {
            organisation_id,
            campaigns: owned.into_iter().chain(granted).collect(),
        })
    }

    /// The campaigns in scope; `None` for all of them.
    pub fn campaign_ids(&self) -> Option<&BTreeSet<Uuid>> {
        match self {
            Scope::All => None,
            Scope::Member { campaigns, .. } => Some(campaigns),
        }
    }

    /// The member organisation whose staff this is; `None` for the platform.
    pub fn organisation_id(&self) -> Option<Uuid> {
        match self {
            Scope::All => None,
            Scope::Member {
                organisation_id, ..
            } => Some(*organisation_id),
        }
    }

    /// True if the campaign is in scope.
    pub fn allows(&self, campaign_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Member { campaigns, .. } => campaigns.contains(&campaign_id),
        }
    }

    /// True if a record filed under these campaigns is in scope through them.
    pub fn allows_any(&self, campaign_ids: &[Uuid]) -> bool {
        match self {
            Scope::All => true,
            Scope::Member { .. } => campaign_ids.iter().any(|id| self.allows(*id)),
        }
    }

    /// A SQL condition keeping the rows whose campaign column is in scope.
    pub fn condition(&self, campaign_column: impl IntoColumnRef) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member { campaigns, .. } => in_list(campaign_column, campaigns),
        }
    }

    /// Keeps the stories (table `stories`) in scope.
    pub fn stories(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member {
                organisation_id,
                campaigns,
            } => {
                let mut any = Condition::any().add(
                    Expr::col((story::Entity, story::Column::OrganisationId)).eq(*organisation_id),
                );
                if !campaigns.is_empty() {
                    let filed = ids_where(
                        story_campaign::Entity,
                        story_campaign::Column::StoryId,
                        in_list(
                            (story_campaign::Entity, story_campaign::Column::CampaignId),
                            campaigns,
                        ),
                    );
                    any = any.add(Expr::col((story::Entity, story::Column::Id)).in_subquery(filed));
                }
                any
            }
        }
    }

    /// Keeps the storytellers (table `storytellers`) in scope.
    pub fn storytellers(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member {
                organisation_id, ..
            } => Condition::any()
                .add(
                    Expr::col((storyteller::Entity, storyteller::Column::OrganisationId))
                        .eq(*organisation_id),
                )
                .add(
                    Expr::col((storyteller::Entity, storyteller::Column::Id))
                        .in_subquery(self.story_tellers()),
                ),
        }
    }

    /// Keeps the media assets (table `media_assets`) in scope.
    pub fn media(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member {
                organisation_id, ..
            } => Condition::any()
                .add(
                    Expr::col((media_asset::Entity, media_asset::Column::OrganisationId))
                        .eq(*organisation_id),
                )
                .add(
                    Expr::col((media_asset::Entity, media_asset::Column::StoryId))
                        .in_subquery(self.story_ids()),
                )
                .add(
                    Expr::col((media_asset::Entity, media_asset::Column::StorytellerId))
                        .in_subquery(self.storyteller_ids()),
                ),
        }
    }

    /// Keeps the consent records (table `consent_records`) in scope.
    pub fn consents(&self) -> Condition {
        self.of_storyteller((
            consent_record::Entity,
            consent_record::Column::StorytellerId,
        ))
    }

    /// Keeps the rows whose storyteller column names a storyteller in scope.
    pub fn of_storyteller(&self, storyteller_column: impl IntoColumnRef) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member { .. } => Condition::all()
                .add(Expr::col(storyteller_column).in_subquery(self.storyteller_ids())),
        }
    }

    /// Keeps the rows whose story column names a story in scope.
    pub fn of_story(&self, story_column: impl IntoColumnRef) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member { .. } => {
                Condition::all().add(Expr::col(story_column).in_subquery(self.story_ids()))
            }
        }
    }

    /// Keeps the staff accounts (table `users`) of the caller's organisation.
    pub fn users(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Member {
                organisation_id, ..
            } => Condition::all()
                .add(Expr::col((user::Entity, user::Column::OrganisationId)).eq(*organisation_id)),
        }
    }

    /// Keeps the audit events (table `audit_events`) whose subject is in scope:
    /// a story, storyteller, consent, media asset, upload or campaign as above,
    /// a person of the organisation, or the organisation itself.
    pub fn audit_events(&self) -> Condition {
        let Scope::Member {
            organisation_id, ..
        } = self
        else {
            return Condition::all();
        };
        let subject = |kind: &str, ids: SelectStatement| {
            Condition::all()
                .add(Expr::col((audit_event::Entity, audit_event::Column::SubjectType)).eq(kind))
                .add(
                    Expr::col((audit_event::Entity, audit_event::Column::SubjectId))
                        .in_subquery(ids),
                )
        };
        Condition::any()
            .add(subject("story", self.story_ids()))
            .add(subject("storyteller", self.storyteller_ids()))
            .add(subject(
                "consent",
                ids_where(
                    consent_record::Entity,
                    consent_record::Column::Id,
                    self.consents(),
                ),
            ))
            .add(subject(
                "media",
                ids_where(media_asset::Entity, media_asset::Column::Id, self.media()),
            ))
            .add(subject(
                "media_upload",
                ids_where(
                    media_upload::Entity,
                    media_upload::Column::Id,
                    self.uploads(),
                ),
            ))
            .add(subject(
                "campaign",
                ids_where(
                    campaign::Entity,
                    campaign::Column::Id,
                    self.condition((campaign::Entity, campaign::Column::Id)),
                ),
            ))
            .add(subject(
                "user",
                ids_where(user::Entity, user::Column::Id, self.users()),
            ))
            .add(
                Condition::all()
                    .add(
                        Expr::col((audit_event::Entity, audit_event::Column::SubjectType))
                            .eq("organisation"),
                    )
                    .add(
                        Expr::col((audit_event::Entity, audit_event::Column::SubjectId))
                            .eq(*organisation_id),
                    ),
            )
    }

    /// Keeps the uploads (table `media_uploads`) for a story or storyteller in scope.
    fn uploads(&self) -> Condition {
        Condition::any()
            .add(self.of_story((media_upload::Entity, media_upload::Column::StoryId)))
            .add(self.of_storyteller((media_upload::Entity, media_upload::Column::StorytellerId)))
    }

    fn story_ids(&self) -> SelectStatement {
        ids_where(story::Entity, story::Column::Id, self.stories())
    }

    /// The storytellers of the stories in scope.
    fn story_tellers(&self) -> SelectStatement {
        ids_where(story::Entity, story::Column::StorytellerId, self.stories())
    }

    fn storyteller_ids(&self) -> SelectStatement {
        ids_where(
            storyteller::Entity,
            storyteller::Column::Id,
            self.storytellers(),
        )
    }

    /// `NotFound` unless the story exists and is in scope.
    pub async fn ensure_story(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            story::Entity::find_by_id(id).filter(self.stories()),
            "no story with this id",
        )
        .await
    }

    /// `NotFound` unless the revision's story is in scope.
    pub async fn ensure_revision(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            story_revision::Entity::find_by_id(id)
                .filter(self.of_story((story_revision::Entity, story_revision::Column::StoryId))),
            "no revision with this id",
        )
        .await
    }

    /// `NotFound` unless the comment's story is in scope.
    pub async fn ensure_comment(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            review_comment::Entity::find_by_id(id)
                .filter(self.of_story((review_comment::Entity, review_comment::Column::StoryId))),
            "no comment with this id",
        )
        .await
    }

    /// `NotFound` unless the storyteller exists and is in scope.
    pub async fn ensure_storyteller(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            storyteller::Entity::find_by_id(id).filter(self.storytellers()),
            "no storyteller with this id",
        )
        .await
    }

    /// `NotFound` unless the consent record's storyteller is in scope.
    pub async fn ensure_consent(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            consent_record::Entity::find_by_id(id).filter(self.consents()),
            "no consent record with this id",
        )
        .await
    }

    /// `NotFound` unless the media asset exists and is in scope.
    pub async fn ensure_media(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            media_asset::Entity::find_by_id(id).filter(self.media()),
            "no media item with this id",
        )
        .await
    }

    /// `NotFound` unless the upload's story or storyteller is in scope.
    pub async fn ensure_upload(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<()> {
        self.ensure(
            db,
            media_upload::Entity::find_by_id(id).filter(self.uploads()),
            "no upload with this id",
        )
        .await
    }

    /// `NotFound` naming the first of these campaigns out of scope (no statement).
    pub fn ensure_campaigns(&self, ids: &[Uuid]) -> Result<()> {
        match ids.iter().find(|id| !self.allows(**id)) {
            None => Ok(()),
            Some(id) => Err(Error::NotFound(format!("no campaign with the id {id}"))),
        }
    }

    /// Platform staff pass without a statement; the services answer for ids that
    /// do not exist as they always have.
    async fn ensure<E: EntityTrait>(
        &self,
        db: &impl ConnectionTrait,
        select: Select<E>,
        missing: &str,
    ) -> Result<()> {
        if *self == Scope::All {
            return Ok(());
        }
        let found = select
            .select_only()
            .expr(Expr::val(1))
            .into_tuple::<i32>()
            .one(db)
            .await?;
        found
            .map(|_| ())
            .ok_or_else(|| Error::NotFound(missing.into()))
    }
}

/// `SELECT table.column FROM table WHERE cond`, for `IN (…)`.
fn ids_where<T, C>(table: T, column: C, cond: Condition) -> SelectStatement
where
    T: Iden + Copy + 'static,
    C: Iden + 'static,
{
    Query::select()
        .column((table, column))
        .from(table)
        .cond_where(cond)
        .to_owned()
}

/// `column IN (ids)`; an empty list keeps nothing (`IN ()` is not valid SQL everywhere).
fn in_list(column: impl IntoColumnRef, ids: &BTreeSet<Uuid>) -> Condition {
    if ids.is_empty() {
        Condition::all().add(Expr::cust("1 = 0"))
    } else {
        Condition::all().add(Expr::col(column).is_in(ids.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(campaigns: &[Uuid]) -> Scope {
        Scope::Member {
            organisation_id: Uuid::now_v7(),
            campaigns: campaigns.iter().copied().collect(),
        }
    }

    #[test]
    fn all_allows_every_campaign_and_a_record_under_none() {
        assert!(Scope::All.allows(Uuid::now_v7()));
        assert!(Scope::All.allows_any(&[]));
        assert!(Scope::All.ensure_campaigns(&[Uuid::now_v7()]).is_ok());
    }

    #[test]
    fn a_member_allows_only_its_campaigns() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let scope = member(&[mine]);
        assert!(scope.allows(mine));
        assert!(!scope.allows(theirs));
        assert!(scope.allows_any(&[theirs, mine]));
        assert!(!scope.allows_any(&[theirs]));
        assert!(!scope.allows_any(&[]));
        assert!(!member(&[]).allows(mine));
        assert!(scope.ensure_campaigns(&[mine]).is_ok());
        assert_eq!(
            scope.ensure_campaigns(&[mine, theirs]).unwrap_err().code(),
            "NOT_FOUND"
        );
    }
}
