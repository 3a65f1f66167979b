//! Database rows, one module per table (see the `migration` crate for the
//! schema). Only the services in this folder touch them.

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub username: String,
        pub display_name: String,
        pub email: String,
        pub phone: Option<String>,
        /// `local` or `ldap`.
        pub source: String,
        pub disabled: bool,
        /// argon2id PHC string; `None` for users who sign in elsewhere.
        pub password_hash: Option<String>,
        /// Kebab-case role names separated by commas (`RoleSet::to_stored`).
        pub roles: String,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 (hex) of the cookie's secret: the secret itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub user_id: i32,
        pub created_at: ChronoDateTimeUtc,
        pub last_seen_at: ChronoDateTimeUtc,
        pub client_addr: String,
        pub user_agent: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: ChronoDateTimeUtc,
        pub actor: Option<String>,
        pub action: String,
        pub target: Option<String>,
        pub device_id: Option<i64>,
        pub outcome: String,
        pub client_addr: String,
        pub user_agent: String,
        pub details: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
        pub updated_at: ChronoDateTimeUtc,
        pub updated_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
