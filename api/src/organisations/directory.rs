//! Every organisation and campaign grant, read once per GraphQL request.
//!
//! `Campaign.owner`, `Campaign.sharedWith` and `User.organisation` are asked of
//! every item of a list; reading them item by item costs two statements per
//! campaign, and a staff list of 100 campaigns would run into the request's
//! statement budget. Both tables stay small (a coalition has tens of
//! organisations, and grants are campaigns × partners at most), so the first
//! field that needs them reads them whole, in two statements, and the rest of the
//! request answers from memory.

use std::collections::HashMap;

use entity::{campaign_grant, organisation};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::error::Result;

/// One request's view of the organisations (see the module docs).
#[derive(Default)]
pub struct Directory(OnceCell<Loaded>);

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("loaded", &self.0.initialized())
            .finish()
    }
}

struct Loaded {
    /// By id.
    organisations: HashMap<Uuid, organisation::Model>,
    /// Campaign id → the organisations it is shared with, by name.
    shared: HashMap<Uuid, Vec<Uuid>>,
}

impl Directory {
    async fn loaded(&self, db: &impl ConnectionTrait) -> Result<&Loaded> {
        self.0
            .get_or_try_init(|| async {
                let all = organisation::Entity::find()
                    .order_by_asc(organisation::Column::Name)
                    .all(db)
                    .await?;
                let order: HashMap<Uuid, usize> =
                    all.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
                let mut shared: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
                for grant in campaign_grant::Entity::find().all(db).await? {
                    shared
                        .entry(grant.campaign_id)
                        .or_default()
                        .push(grant.organisation_id);
                }
                for ids in shared.values_mut() {
                    ids.sort_by_key(|id| order.get(id).copied().unwrap_or(usize::MAX));
                }
                let organisations = all.into_iter().map(|o| (o.id, o)).collect();
                Ok(Loaded {
                    organisations,
                    shared,
                })
            })
            .await
    }

    /// The organisation with this id, if it exists.
    pub async fn organisation(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<organisation::Model>> {
        Ok(self.loaded(db).await?.organisations.get(&id).cloned())
    }

    /// The organisations a campaign is shared with, by name (as
    /// [`super::grants::shared_with`] answers).
    pub async fn shared_with(
        &self,
        db: &impl ConnectionTrait,
        campaign_id: Uuid,
    ) -> Result<Vec<organisation::Model>> {
        let loaded = self.loaded(db).await?;
        Ok(loaded
            .shared
            .get(&campaign_id)
            .into_iter()
            .flatten()
            .filter_map(|id| loaded.organisations.get(id).cloned())
            .collect())
    }
}
