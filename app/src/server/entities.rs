//! Database rows, one module per table (see the `migration` crate for the
//! schema). Only the services in this folder touch them.

pub mod user {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::UserId;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: UserId,
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
        /// Kebab-case role names separated by commas (`RoleSet::to_stored`):
        /// the roles an administrator gave this user.
        pub roles: String,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        /// The LDAP server a directory user was found on at their last sign-in.
        pub directory_server: Option<i32>,
        /// Their entry's DN there.
        pub directory_dn: Option<String>,
        /// The DNs of their groups there (lower case, one per line).
        pub directory_groups: String,
        /// The roles their groups grant (`RoleSet::to_stored`), kept in step
        /// with `directory_groups` and the group grants.
        pub group_roles: String,
        /// The language they last chose (`None`: never; English).
        pub language: Option<crate::i18n::Lang>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::UserId;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 (hex) of the cookie's secret: the secret itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub user_id: UserId,
        pub created_at: ChronoDateTimeUtc,
        pub last_seen_at: ChronoDateTimeUtc,
        pub client_addr: String,
        pub user_agent: String,
        pub proof: crate::domain::certificate_sign_in::Proof,
        /// When the holder last proved who they are (sign-in or step-up);
        /// `None`: when the session was opened.
        pub proved_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id"
        )]
        User,
    }

    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod password_link {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::UserId;

    /// A one-time link to set a password; deleted when used.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "password_links")]
    pub struct Model {
        /// SHA-256 (hex) of the link's secret: the secret itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub user_id: UserId,
        pub created_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_event {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::DeviceId;

    use crate::domain::audit::Outcome;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: ChronoDateTimeUtc,
        pub actor: Option<String>,
        pub action: String,
        pub target: Option<String>,
        pub device_id: Option<DeviceId>,
        pub outcome: Outcome,
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

pub mod device {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::{DeviceId, UserId};

    use crate::domain::device::{DeviceStatus, LockState, Ownership, Platform};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "devices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: DeviceId,
        pub owner_id: UserId,
        pub display_name: String,
        pub platform: Platform,
        pub manufacturer: String,
        pub model: String,
        pub os_version: String,
        pub serial: String,
        pub imei: String,
        pub phone: String,
        pub carrier: String,
        pub ownership: Ownership,
        pub status: DeviceStatus,
        pub registered_at: ChronoDateTimeUtc,
        pub enrolled_at: Option<ChronoDateTimeUtc>,
        pub last_checkin_at: Option<ChronoDateTimeUtc>,
        pub lock_state: LockState,
        pub latitude: Option<f64>,
        pub longitude: Option<f64>,
        pub accuracy_m: Option<f64>,
        pub located_at: Option<ChronoDateTimeUtc>,
        /// SHA-256 (hex) of the device's API credential; `None` once revoked.
        pub credential_hash: Option<String>,
        /// The version of its owner's certificates it was last sent.
        pub certificates_version: Option<String>,
        /// The version of its configuration it last reported as applied.
        pub configuration_version: Option<String>,
        pub configuration_applied_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod command {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::{CommandId, DeviceId, UserId};

    use crate::domain::device::{CommandState, DeviceAction};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commands")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: CommandId,
        pub device_id: DeviceId,
        pub kind: DeviceAction,
        /// JSON: the lock-screen message and call-back number for Lock.
        pub params: String,
        pub state: CommandState,
        pub requested_by: UserId,
        pub requested_at: ChronoDateTimeUtc,
        pub sent_at: Option<ChronoDateTimeUtc>,
        pub completed_at: Option<ChronoDateTimeUtc>,
        /// JSON: what the device reported.
        pub result: String,
        /// A Wipe or Retire is not handed to the device before this time,
        /// so that it can still be cancelled.
        pub hold_until: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod registration {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::DeviceId;

    use crate::domain::registration::{Invitation, RegistrationMode};

    /// The registration of a device that has not enrolled yet (or has, with
    /// `used_at` set). Only hashes of the link token and the PIN are kept.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registrations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub device_id: DeviceId,
        /// SHA-256 (hex) of the token in the enrollment link.
        pub token_hash: String,
        /// argon2id hash of the registration PIN; `None` without one or once used.
        pub pin_hash: Option<String>,
        /// What enrollment asks for: the mode when the link was issued.
        pub mode: RegistrationMode,
        pub expires_at: ChronoDateTimeUtc,
        pub pin_failed: i32,
        pub pin_locked_until: Option<ChronoDateTimeUtc>,
        pub invitation: Invitation,
        /// A `Delivery` name, or empty when not asked for.
        pub email_delivery: String,
        pub sms_delivery: String,
        pub used_at: Option<ChronoDateTimeUtc>,
        /// When the owner was reminded that the device has not enrolled yet.
        pub reminded_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ldap_server {
    use sea_orm::entity::prelude::*;

    use crate::domain::directory::Membership;

    /// An LDAP server users sign in against. The service account's password
    /// is sealed (`Sealer`), never stored in clear.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ldap_servers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        /// Servers are asked in this order.
        pub position: i32,
        pub enabled: bool,
        pub url: String,
        pub starttls: bool,
        /// PEM; empty trusts the system's certificate authorities.
        pub ca_certificate: String,
        pub bind_dn: String,
        pub bind_password: String,
        pub user_base: String,
        pub user_filter: String,
        pub login_attribute: String,
        pub name_attribute: String,
        pub email_attribute: String,
        pub mobile_attribute: String,
        pub group_base: String,
        pub membership: Membership,
        pub timeout_seconds: i32,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ldap_group_role {
    use sea_orm::entity::prelude::*;

    /// Roles every member of a directory group gets at sign-in.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ldap_group_roles")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub server_id: i32,
        /// Lower case.
        pub group_dn: String,
        pub group_name: String,
        /// `RoleSet::to_stored`.
        pub roles: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ldap_group_limit {
    use sea_orm::entity::prelude::*;

    /// The device limit of a directory group's members.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ldap_group_limits")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub server_id: i32,
        /// Lower case.
        pub group_dn: String,
        pub group_name: String,
        pub device_limit: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod certificate_setting {
    use sea_orm::entity::prelude::*;

    use crate::domain::certificates::Purpose;

    /// A kind of certificate people upload ("S/MIME signing", …).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificate_settings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub purpose: Purpose,
        pub key_required: bool,
        pub password_required: bool,
        pub mobile_upload: bool,
        pub updated_at: ChronoDateTimeUtc,
        /// The label keys it is assigned to, as a JSON array.
        pub labels: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user_certificate {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::UserId;

    /// A certificate someone uploaded for a setting. The private key is
    /// sealed (`Sealer`); the rest stays readable for listing.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_certificates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: UserId,
        pub setting_id: i32,
        /// Replaced, with its key kept (encryption settings).
        pub retired: bool,
        pub subject: String,
        pub issuer: String,
        pub serial: String,
        pub not_before: ChronoDateTimeUtc,
        pub not_after: ChronoDateTimeUtc,
        pub key_type: String,
        pub key_usage: String,
        pub alias: String,
        /// SHA-256 of the certificate's DER, hex.
        pub fingerprint: String,
        /// PEM.
        pub certificate: String,
        /// PEM, the other certificates of the file; may be empty.
        pub chain: String,
        /// Sealed PKCS#8 DER (base64 inside).
        pub private_key: Option<String>,
        pub uploaded_at: ChronoDateTimeUtc,
        pub expiry_notified_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pending_certificate {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::UserId;

    /// An uploaded file with several keys, waiting for its owner to pick
    /// one. The candidates are sealed as a whole.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pending_certificates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: UserId,
        pub setting_id: i32,
        pub candidates: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod custom_label {
    use sea_orm::entity::prelude::*;

    use crate::domain::device::Ownership;

    /// An administrator's label: which ownership and platforms it covers.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_labels")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub ownership: Option<Ownership>,
        /// Platform names separated by commas; empty for any.
        pub platforms: String,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod catalogue_item {
    use sea_orm::entity::prelude::*;

    use crate::domain::catalogue::ItemType;

    /// A policy, configuration, app or book, and the labels it goes to.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalogue_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub item_type: ItemType,
        #[sea_orm(unique)]
        pub name: String,
        pub detail: String,
        pub forbids_locate: bool,
        /// Label keys as a JSON array.
        pub labels: String,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    use crate::domain::ids::DeviceId;
    use crate::domain::outbox::{Channel, OutboxState};

    /// An e-mail or text message waiting to be sent, or sent (see the
    /// `outbox` migration).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Stable across attempts: a resend is recognisable by it.
        pub message_id: String,
        pub channel: Channel,
        pub recipient: String,
        /// Subject, text and HTML, sealed; gone once sent.
        pub body: Option<String>,
        pub audit_action: String,
        pub actor: String,
        pub device_id: Option<DeviceId>,
        /// With `device_id`: the registration link (its hash) whose delivery
        /// status follows this message.
        pub tracks_token: Option<String>,
        pub state: OutboxState,
        pub attempts: i32,
        pub due_at: ChronoDateTimeUtc,
        /// Which sender holds it, and until when.
        pub claim: Option<String>,
        pub claimed_until: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub ended_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
