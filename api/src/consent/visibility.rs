//! Per story and channel: is it visible now, and if not, why. Editors read this
//! to see where a story is live; publishing uses it to refuse a story no consent
//! covers (`CONSENT_MISSING`).

use chrono::{DateTime, Utc};
use entity::{api_key::Channel, consent_record::Status, story};
use sea_orm::{ConnectionTrait, EntityTrait, Iterable, QueryFilter};

use super::{
    gate::{self, PartnerScope, USABLE, Viewer},
    records,
};
use crate::{
    auth::Principal,
    error::{Error, Result},
};

/// One channel's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelVisibility {
    pub channel: Channel,
    /// Visible to consumers of this channel right now (for `PARTNER_SITES`: to at
    /// least one partner).
    pub visible: bool,
    /// Consent covers the channel, whatever the story's publication state.
    pub consented: bool,
    /// Why it is not visible; empty when it is.
    pub reasons: Vec<String>,
}

/// Every channel's visibility of the story now (editors).
pub async fn of_story(
    db: &impl ConnectionTrait,
    principal: &Principal,
    story: &story::Model,
    now: DateTime<Utc>,
) -> Result<Vec<ChannelVisibility>> {
    principal.require_editor()?;
    let publication = publication_problem(story, now);
    let mut out = Vec::new();
    for channel in Channel::iter().filter(|c| c.shows_stories()) {
        let consented = gate::covers_channel(db, story.id, channel, now).await?;
        let visible = consented && publication.is_none() && {
            let viewer = Viewer {
                partner: PartnerScope::Any,
                ..Viewer::channel(channel)
            };
            story::Entity::find_by_id(story.id)
                .filter(gate::visible(&viewer, now))
                .one(db)
                .await?
                .is_some()
        };
        let mut reasons = Vec::new();
        if let Some(problem) = &publication {
            reasons.push(problem.clone());
        }
        if !consented {
            reasons.push(consent_problem(db, story, channel, now).await?);
        }
        out.push(ChannelVisibility {
            channel,
            visible,
            consented,
            reasons,
        });
    }
    Ok(out)
}

/// `CONSENT_MISSING` unless some consent covers the story on at least one channel
/// at `at`, naming per channel what is missing.
pub async fn require_coverage(
    db: &impl ConnectionTrait,
    story: &story::Model,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut missing = Vec::new();
    for channel in Channel::iter().filter(|c| c.shows_stories()) {
        if gate::covers_channel(db, story.id, channel, at).await? {
            return Ok(());
        }
        missing.push(format!(
            "{}: {}",
            channel_name(channel),
            consent_problem(db, story, channel, at).await?
        ));
    }
    Err(Error::ConsentMissing {
        message: "no valid consent of the storyteller covers this story on any channel; record or renew their consent first".into(),
        missing,
    })
}

fn publication_problem(story: &story::Model, now: DateTime<Utc>) -> Option<String> {
    if !super::gate::LIVE_STATES.contains(&story.state)
        || story.published_at.is_none_or(|at| at > now)
    {
        return Some(format!(
            "the story is not published (state {:?})",
            story.state
        ));
    }
    if story.unpublish_at.is_some_and(|at| at <= now) {
        return Some("the story's publication window has ended".into());
    }
    None
}

/// The best explanation of why no consent covers the story on the channel.
async fn consent_problem(
    db: &impl ConnectionTrait,
    story: &story::Model,
    channel: Channel,
    at: DateTime<Utc>,
) -> Result<String> {
    let mut current: Vec<_> = records::current_of(db, story.storyteller_id)
        .await?
        .into_iter()
        .filter(|r| r.story_id.is_none_or(|id| id == story.id))
        .collect();
    if current.is_empty() {
        return Ok("no consent is recorded for this storyteller and story".into());
    }
    let mut naming = Vec::new();
    for record in current.drain(..) {
        if records::channels_of(db, record.id)
            .await?
            .contains(&channel)
        {
            naming.push(record);
        }
    }
    if naming.is_empty() {
        return Ok("no consent names this channel".into());
    }
    for record in &naming {
        if USABLE.contains(&record.status) {
            if record.expires_at <= at {
                return Ok(format!("the consent expired at {}", record.expires_at));
            }
            if record.given_at.is_none_or(|g| g > at) {
                return Ok("the consent is not yet given".into());
            }
            if record.subject_minor && !(record.guardian_consent && record.child_assent) {
                return Ok(
                    "a minor's consent lacks the guardian's consent or the child's assent".into(),
                );
            }
            if channel == Channel::PartnerSites {
                return Ok("the consent names no partner".into());
            }
        }
    }
    let status = naming[0].status;
    Ok(match status {
        Status::Requested => "consent was requested but not given yet".into(),
        other => format!(
            "the consent is {}",
            records::status_name(other).to_lowercase()
        ),
    })
}

/// The GraphQL name of a channel.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::PublicWeb => "PUBLIC_WEB",
        Channel::PartnerSites => "PARTNER_SITES",
        Channel::MobileApp => "MOBILE_APP",
        Channel::SocialMedia => "SOCIAL_MEDIA",
        Channel::Press => "PRESS",
        Channel::PrintExhibition => "PRINT_EXHIBITION",
        Channel::ResearchArchive => "RESEARCH_ARCHIVE",
        Channel::Submissions => "SUBMISSIONS",
    }
}
