//! `login_attempts`: failed and successful logins, kept for rate limiting.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub client_address: String,
    pub succeeded: bool,
    pub attempted_at: DateTimeUtc,
    /// What was attempted (`staff_login`, `withdrawal_code`); each is counted apart.
    pub purpose: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
