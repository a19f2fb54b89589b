//! Campaign events (issue 19): a campaign's dated gatherings, each with its
//! local time zone, a coarse place or an online link, the organisation that
//! organises it and its status, and the stories linked to it. Deleting an
//! event (or a story) removes its links, never the stories.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CampaignEvents::Table)
                    .col(pk_uuid(CampaignEvents::Id))
                    .col(uuid(CampaignEvents::CampaignId))
                    .col(uuid(CampaignEvents::OrganiserId))
                    .col(string_len(CampaignEvents::Title, 200))
                    .col(text(CampaignEvents::Description))
                    .col(timestamp_with_time_zone(CampaignEvents::StartsAt))
                    .col(timestamp_with_time_zone(CampaignEvents::EndsAt))
                    // An IANA name such as `Europe/London`.
                    .col(string_len(CampaignEvents::TimeZone, 64))
                    .col(string_len_null(CampaignEvents::Region, 200))
                    .col(string_len_null(CampaignEvents::Venue, 200))
                    .col(string_len_null(CampaignEvents::OnlineUrl, 2048))
                    .col(string_len(CampaignEvents::Status, 16))
                    .col(timestamp_with_time_zone(CampaignEvents::CreatedAt))
                    .col(timestamp_with_time_zone(CampaignEvents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_events_campaign")
                            .from(CampaignEvents::Table, CampaignEvents::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_events_organiser")
                            .from(CampaignEvents::Table, CampaignEvents::OrganiserId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Upcoming (by start, ends after now) and past (by start, newest first)
        // pages of one campaign.
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_events_campaign_start")
                    .table(CampaignEvents::Table)
                    .col(CampaignEvents::CampaignId)
                    .col(CampaignEvents::StartsAt)
                    .col(CampaignEvents::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignEventStories::Table)
                    .col(uuid(CampaignEventStories::EventId))
                    .col(uuid(CampaignEventStories::StoryId))
                    .col(timestamp_with_time_zone(CampaignEventStories::LinkedAt))
                    .primary_key(
                        Index::create()
                            .col(CampaignEventStories::EventId)
                            .col(CampaignEventStories::StoryId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_event_stories_event")
                            .from(CampaignEventStories::Table, CampaignEventStories::EventId)
                            .to(CampaignEvents::Table, CampaignEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_event_stories_story")
                            .from(CampaignEventStories::Table, CampaignEventStories::StoryId)
                            .to(Stories::Table, Stories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A story's deletion finds its links by this.
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_event_stories_story")
                    .table(CampaignEventStories::Table)
                    .col(CampaignEventStories::StoryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CampaignEventStories::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CampaignEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CampaignEvents {
    Table,
    Id,
    CampaignId,
    OrganiserId,
    Title,
    Description,
    StartsAt,
    EndsAt,
    TimeZone,
    Region,
    Venue,
    OnlineUrl,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignEventStories {
    Table,
    EventId,
    StoryId,
    LinkedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    Id,
}
