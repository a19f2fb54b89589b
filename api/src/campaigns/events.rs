//! A campaign's events ("One Day Without Us ran 124 local events on one day"):
//! when (instants, with the local time zone sites show them in), where (a
//! coarse region, perhaps a venue the organiser chose to publish, or an online
//! link; never anything more precise), who organises them, their status, and
//! the stories linked to them.
//!
//! Events are public like their campaign; what a reader sees of a linked story
//! is the consent gate's business (`stories::published`), never this module's.
//! Editors manage an event within their scope, as they work in its campaign:
//! the organisation that runs the campaign, the one that organises the event,
//! and platform staff change it; anyone else in scope only reads it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    campaign, campaign_event, campaign_event::Status, campaign_event_story as link, campaign_grant,
    organisation, story,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, principal::Staff},
    db,
    error::{Error, Result},
    organisations::Scope,
    pagination::{self, Cursor, Page, PageRequest},
    patch::Patch,
};

const MAX_TITLE_LEN: usize = 200;
const MAX_DESCRIPTION_LEN: usize = 10_000;
const MAX_PLACE_LEN: usize = 200;
const MAX_URL_LEN: usize = 2048;
/// Stories one event may link: a reader's page of events stays bounded.
pub const MAX_LINKED_STORIES: u64 = 50;

/// Everything needed to create an event.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub campaign_id: Uuid,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub region: Option<String>,
    pub venue: Option<String>,
    pub online_url: Option<String>,
    /// `None`: the campaign's organisation when the caller runs the campaign
    /// (or is platform staff), else the caller's own.
    pub organiser_id: Option<Uuid>,
    pub status: Status,
}

/// A partial change to an event.
#[derive(Debug, Clone, Default)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: Option<String>,
    pub region: Patch<String>,
    pub venue: Patch<String>,
    pub online_url: Patch<String>,
    pub organiser_id: Option<Uuid>,
    pub status: Option<Status>,
}

/// Which of a campaign's events to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Not yet over (ending after now), soonest first.
    Upcoming,
    /// Over, most recent start first.
    Past,
}

/// A page of a campaign's events, split at `now` by when they end.
pub async fn list(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    when: When,
    page: PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<campaign_event::Model>> {
    let select =
        campaign_event::Entity::find().filter(campaign_event::Column::CampaignId.eq(campaign_id));
    let (select, order) = match when {
        When::Upcoming => (
            select.filter(campaign_event::Column::EndsAt.gt(now)),
            Order::Asc,
        ),
        When::Past => (
            select.filter(campaign_event::Column::EndsAt.lte(now)),
            Order::Desc,
        ),
    };
    pagination::fetch_by_time(
        db,
        select,
        campaign_event::Column::StartsAt,
        campaign_event::Column::Id,
        order,
        page,
    )
    .await
}

/// An event's place in its lists.
pub fn cursor(event: &campaign_event::Model) -> Cursor {
    Cursor {
        id: event.id,
        at: Some(event.starts_at),
    }
}

/// The stories linked to each of these events, oldest link first, in one
/// statement. Who may see which is for the caller to decide.
pub async fn linked_stories(
    db: &impl ConnectionTrait,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if event_ids.is_empty() {
        return Ok(out);
    }
    let links = link::Entity::find()
        .filter(db::id_in(
            db.get_database_backend(),
            (link::Entity, link::Column::EventId),
            event_ids.iter().copied(),
        ))
        .order_by_asc(link::Column::LinkedAt)
        .order_by_asc(link::Column::StoryId)
        .all(db)
        .await?;
    for l in links {
        out.entry(l.event_id).or_default().push(l.story_id);
    }
    Ok(out)
}

/// Those of these stories that are in `scope`, in the order given (one
/// statement): what staff are shown of an event's links.
pub async fn in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    story_ids: &[Uuid],
) -> Result<Vec<Uuid>> {
    if story_ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<Uuid> = story::Entity::find()
        .select_only()
        .column(story::Column::Id)
        .filter(db::id_in(
            db.get_database_backend(),
            (story::Entity, story::Column::Id),
            story_ids.iter().copied(),
        ))
        .filter(scope.stories())
        .into_tuple()
        .all(db)
        .await?;
    Ok(story_ids
        .iter()
        .filter(|id| found.contains(id))
        .copied()
        .collect())
}

/// Creates an event in a campaign in the caller's scope.
pub async fn create(
    conn: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    input: NewEvent,
    now: DateTime<Utc>,
) -> Result<campaign_event::Model> {
    let staff = principal.require_editor()?;
    let txn = db::begin_write(conn).await?;
    let campaign = campaign_in_scope(&txn, scope, input.campaign_id).await?;
    let organiser_id = input.organiser_id.unwrap_or(
        if staff.is_platform() || staff.organisation_id == campaign.organisation_id {
            campaign.organisation_id
        } else {
            staff.organisation_id
        },
    );
    check_organiser(&txn, staff, &campaign, organiser_id).await?;
    let event = campaign_event::Model {
        id: Uuid::now_v7(),
        campaign_id: campaign.id,
        organiser_id,
        title: input.title.trim().to_owned(),
        description: input.description,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        time_zone: input.time_zone,
        region: trimmed(input.region),
        venue: trimmed(input.venue),
        online_url: trimmed(input.online_url),
        status: input.status,
        created_at: now,
        updated_at: now,
    };
    validate(&event)?;
    let event = campaign_event::ActiveModel::from(event)
        .insert(&txn)
        .await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("campaign.event_created", "campaign", campaign.id)
            .detail(json!({ "eventId": event.id, "status": status_name(event.status) })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(event)
}

/// Changes an event.
pub async fn update(
    conn: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    changes: EventChanges,
    now: DateTime<Utc>,
) -> Result<campaign_event::Model> {
    let staff = principal.require_editor()?;
    let txn = db::begin_write(conn).await?;
    let (current, campaign) = manageable(&txn, staff, scope, id).await?;
    let organiser_id = changes.organiser_id.unwrap_or(current.organiser_id);
    if organiser_id != current.organiser_id {
        check_organiser(&txn, staff, &campaign, organiser_id).await?;
    }
    let updated = campaign_event::Model {
        organiser_id,
        title: changes
            .title
            .map_or(current.title.clone(), |t| t.trim().to_owned()),
        description: changes.description.unwrap_or(current.description.clone()),
        starts_at: changes.starts_at.unwrap_or(current.starts_at),
        ends_at: changes.ends_at.unwrap_or(current.ends_at),
        time_zone: changes.time_zone.unwrap_or(current.time_zone.clone()),
        region: trimmed(changes.region.apply(current.region.clone())),
        venue: trimmed(changes.venue.apply(current.venue.clone())),
        online_url: trimmed(changes.online_url.apply(current.online_url.clone())),
        status: changes.status.unwrap_or(current.status),
        updated_at: now,
        ..current.clone()
    };
    validate(&updated)?;
    let mut audited = Event::new("campaign.event_changed", "campaign", campaign.id)
        .detail(json!({ "eventId": id }));
    if updated.status != current.status {
        audited = audited.states(status_name(current.status), status_name(updated.status));
    }
    // Any column may have changed: the row is written whole.
    let event = campaign_event::ActiveModel::from(updated)
        .reset_all()
        .update(&txn)
        .await?;
    audit::record(&txn, Actor::User(staff.user_id), audited, now).await?;
    txn.commit().await?;
    Ok(event)
}

/// Deletes an event and its links; the stories stay as they are.
pub async fn delete(
    conn: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let staff = principal.require_editor()?;
    let txn = db::begin_write(conn).await?;
    let (event, campaign) = manageable(&txn, staff, scope, id).await?;
    link::Entity::delete_many()
        .filter(link::Column::EventId.eq(id))
        .exec(&txn)
        .await?;
    campaign_event::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("campaign.event_deleted", "campaign", campaign.id)
            .detail(json!({ "eventId": event.id, "title": event.title })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Links a story in the caller's scope to an event (`linked`), or takes its
/// link off; nothing changes when it already is as asked. Taking a link off
/// needs no scope over the story: an event's own editors may always do it.
#[allow(clippy::too_many_arguments, reason = "one per part of the change")]
pub async fn set_story_link(
    conn: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    story_id: Uuid,
    linked: bool,
    now: DateTime<Utc>,
) -> Result<campaign_event::Model> {
    let staff = principal.require_editor()?;
    let txn = db::begin_write(conn).await?;
    let (event, campaign) = manageable(&txn, staff, scope, id).await?;
    let changed = if linked {
        scope.ensure_story(&txn, story_id).await?;
        add_link(&txn, id, story_id, now).await?
    } else {
        link::Entity::delete_by_id((id, story_id))
            .exec(&txn)
            .await?
            .rows_affected
            > 0
    };
    if changed {
        let action = if linked {
            "campaign.event_story_linked"
        } else {
            "campaign.event_story_unlinked"
        };
        audit::record(
            &txn,
            Actor::User(staff.user_id),
            Event::new(action, "campaign", campaign.id)
                .detail(json!({ "eventId": id, "storyId": story_id })),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(event)
}

/// Adds the link unless it exists (`false` then), within [`MAX_LINKED_STORIES`].
async fn add_link(
    db: &impl ConnectionTrait,
    id: Uuid,
    story_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    if link::Entity::find_by_id((id, story_id))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let count = link::Entity::find()
        .filter(link::Column::EventId.eq(id))
        .count(db)
        .await?;
    if count >= MAX_LINKED_STORIES {
        return Err(Error::invalid(
            "storyId",
            format!("an event links at most {MAX_LINKED_STORIES} stories"),
        ));
    }
    link::ActiveModel {
        event_id: Set(id),
        story_id: Set(story_id),
        linked_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// The event with this id, in scope (else `NotFound`).
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<campaign_event::Model> {
    campaign_event::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|e| scope.allows(e.campaign_id))
        .ok_or_else(|| Error::NotFound("no event with this id".into()))
}

async fn campaign_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| scope.allows(c.id))
        .ok_or_else(|| Error::NotFound("no campaign with this id".into()))
}

/// The event and its campaign, when the caller may change the event: it is in
/// scope (else `NotFound`, as for an id that does not exist) and the caller is
/// platform staff, or works for the organisation that runs the campaign or
/// organises the event (else `Forbidden`).
async fn manageable(
    db: &impl ConnectionTrait,
    staff: &Staff,
    scope: &Scope,
    id: Uuid,
) -> Result<(campaign_event::Model, campaign::Model)> {
    let event = find(db, scope, id).await?;
    let campaign = campaign_in_scope(db, scope, event.campaign_id).await?;
    if !staff.is_platform()
        && staff.organisation_id != campaign.organisation_id
        && staff.organisation_id != event.organiser_id
    {
        return Err(Error::Forbidden(
            "only the organisation that runs the campaign or organises the event, and the platform's staff, change an event".into(),
        ));
    }
    Ok((event, campaign))
}

/// An event is organised by the campaign's organisation or one it is shared
/// with (platform staff may name any organisation); an organisation that does
/// not run the campaign names only itself.
async fn check_organiser(
    db: &impl ConnectionTrait,
    staff: &Staff,
    campaign: &campaign::Model,
    organiser_id: Uuid,
) -> Result<()> {
    let refused = || {
        Error::invalid(
            "organiserId",
            "the organiser is the campaign's organisation, one it is shared with, or (if you do not run the campaign) your own",
        )
    };
    if !staff.is_platform() && staff.organisation_id != campaign.organisation_id {
        return if organiser_id == staff.organisation_id {
            Ok(())
        } else {
            Err(refused())
        };
    }
    if organiser_id == campaign.organisation_id {
        return Ok(());
    }
    let exists = if staff.is_platform() {
        organisation::Entity::find_by_id(organiser_id)
            .one(db)
            .await?
            .is_some()
    } else {
        campaign_grant::Entity::find()
            .filter(campaign_grant::Column::CampaignId.eq(campaign.id))
            .filter(campaign_grant::Column::OrganisationId.eq(organiser_id))
            .one(db)
            .await?
            .is_some()
    };
    if exists { Ok(()) } else { Err(refused()) }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Planned => "PLANNED",
        Status::Cancelled => "CANCELLED",
        Status::Done => "DONE",
    }
}

fn validate(e: &campaign_event::Model) -> Result<()> {
    if e.title.is_empty() || e.title.chars().count() > MAX_TITLE_LEN {
        return Err(Error::invalid(
            "title",
            format!("a title is required, at most {MAX_TITLE_LEN} characters"),
        ));
    }
    if e.description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    if e.ends_at <= e.starts_at {
        return Err(Error::invalid(
            "endsAt",
            "an event must end after it starts",
        ));
    }
    validate_time_zone(&e.time_zone)?;
    for (field, value) in [("region", &e.region), ("venue", &e.venue)] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_PLACE_LEN)
        {
            return Err(Error::invalid(
                field,
                format!("at most {MAX_PLACE_LEN} characters"),
            ));
        }
    }
    if e.venue.is_some() && e.region.is_none() {
        return Err(Error::invalid(
            "venue",
            "a venue is published with the region it is in",
        ));
    }
    if let Some(url) = &e.online_url {
        validate_online_url(url)?;
    }
    if e.region.is_none() && e.online_url.is_none() {
        return Err(Error::invalid(
            "region",
            "an event needs a region, an online link, or both",
        ));
    }
    Ok(())
}

/// An IANA time zone name such as `Europe/London`.
fn validate_time_zone(name: &str) -> Result<()> {
    name.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        Error::invalid(
            "timeZone",
            "expected an IANA time zone name such as Europe/London",
        )
    })
}

/// An absolute `https` URL: readers follow it from partner sites.
fn validate_online_url(raw: &str) -> Result<()> {
    let ok = raw.chars().count() <= MAX_URL_LEN
        && url::Url::parse(raw).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "onlineUrl",
            format!("expected an https URL of at most {MAX_URL_LEN} characters"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names() {
        for good in ["Europe/London", "America/Argentina/Buenos_Aires", "UTC"] {
            assert!(validate_time_zone(good).is_ok(), "{good}");
        }
        for bad in ["", "Europe/Manchester", "GMT+25", "london"] {
            assert!(validate_time_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn online_links_are_https() {
        assert!(validate_online_url("https://meet.example.org/one-day").is_ok());
        for bad in [
            "http://example.org",
            "javascript:alert(1)",
            "https://",
            "meet",
        ] {
            assert!(validate_online_url(bad).is_err(), "{bad}");
        }
    }
}
