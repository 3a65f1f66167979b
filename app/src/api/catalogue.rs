//! Admin → Policies & apps (items, labels, the device policy option) and
//! changing a device's ownership with a preview of its impact.

use crate::domain::ids::DeviceId;
#[cfg(feature = "ssr")]
use crate::domain::text::TextEnum;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::ApiError;
use crate::domain::catalogue::{Impact, Item, ItemInput, Label, LabelInput};
use crate::domain::device::Ownership;

#[cfg(feature = "ssr")]
#[cfg(feature = "ssr")]
use crate::server::catalogue::CatalogueError;

/// A label in Admin → Policies & apps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelSummary {
    pub label: Label,
    pub description: String,
    /// How many items are assigned to it.
    pub used_by: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogueOverview {
    /// Certificate settings included (they are configurations too).
    pub items: Vec<Item>,
    pub labels: Vec<LabelSummary>,
    pub forbid_employee_wipe: bool,
}

/// One item's form, with every label it could be assigned to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: Option<i32>,
    pub input: ItemInput,
    pub labels: Vec<Label>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelView {
    pub id: Option<i32>,
    pub input: LabelInput,
}

/// Where the device is with its configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConfigurationState {
    /// Registered but not enrolled: it gets its set when it enrolls.
    NotEnrolled,
    NotManaged,
    /// The device has not applied its current set yet.
    Pending,
    Applied {
        at: Option<DateTime<Utc>>,
    },
}

/// The device page's Configuration section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceConfiguration {
    /// The names of the device's labels.
    pub labels: Vec<String>,
    pub items: Vec<Item>,
    pub state: ConfigurationState,
    /// The user may switch this device's ownership.
    pub can_change_ownership: bool,
}

/// The ownership page: the choice, and once made, its impact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnershipPreview {
    pub device_id: DeviceId,
    pub device_name: String,
    pub current: Ownership,
    /// The ownership the impact is shown for.
    pub to: Option<Ownership>,
    /// Why `to` cannot be chosen.
    pub refused: Option<String>,
    pub impact: Impact,
    /// Actions the user will no longer have for the device, and new ones.
    pub actions_lost: Vec<String>,
    pub actions_gained: Vec<String>,
    pub enrolled: bool,
}

#[server(endpoint = "admin/catalogue", input = GetUrl)]
pub async fn get_catalogue() -> Result<CatalogueOverview, ApiError> {
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    catalogue::overview(&ctx.db).await.map_err(ApiError::from)
}

#[server(endpoint = "admin/catalogue_item", input = GetUrl)]
pub async fn get_catalogue_item(#[server(default)] id: Option<i32>) -> Result<ItemView, ApiError> {
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    catalogue::item_view(&ctx.db, id)
        .await
        .map_err(ApiError::from)
}

/// Saves a policy, configuration, app or book. With a mistake, back to the
/// form with what was typed and the reasons next to the fields.
#[server(endpoint = "admin/save_catalogue_item")]
pub async fn save_catalogue_item(
    #[server(default)] id: Option<i32>,
    #[server(flatten)] input: ItemInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let page = match id {
        Some(id) => format!("/admin/policies/{id}"),
        None => "/admin/policies/new".to_owned(),
    };
    let Ok(draft) = input.check() else {
        return refuse(&page, &input, "1");
    };
    match catalogue::save_item(&ctx.db, &ctx.origin, &admin, id, draft, Utc::now()).await {
        Ok(saved) => answer(&format!("/admin/policies/{saved}"), Notice::Saved),
        Err(CatalogueError::NameTaken) => refuse(&page, &input, "name-taken"),
        Err(other) => Err(other.into()),
    }
}

#[server(endpoint = "admin/delete_catalogue_item")]
pub async fn delete_catalogue_item(id: i32) -> Result<(), ApiError> {
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    catalogue::delete_item(&ctx.db, &ctx.origin, &admin, id, Utc::now()).await?;
    answer("/admin/policies", Notice::Deleted)
}

#[server(endpoint = "admin/label", input = GetUrl)]
pub async fn get_label(#[server(default)] id: Option<i32>) -> Result<LabelView, ApiError> {
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    catalogue::label_view(&ctx.db, id)
        .await
        .map_err(ApiError::from)
}

#[server(endpoint = "admin/save_label")]
pub async fn save_label(
    #[server(default)] id: Option<i32>,
    #[server(flatten)] input: LabelInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let page = match id {
        Some(id) => format!("/admin/labels/{id}"),
        None => "/admin/labels/new".to_owned(),
    };
    let Ok(checked) = input.check() else {
        return refuse(&page, &input, "1");
    };
    match catalogue::save_label(&ctx.db, &ctx.origin, &admin, id, checked, Utc::now()).await {
        Ok(_) => answer("/admin/policies#labels", Notice::LabelSaved),
        Err(CatalogueError::NameTaken) => refuse(&page, &input, "name-taken"),
        Err(other) => Err(other.into()),
    }
}

#[server(endpoint = "admin/delete_label")]
pub async fn delete_label(id: i32) -> Result<(), ApiError> {
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    catalogue::delete_label(&ctx.db, &ctx.origin, &admin, id, Utc::now()).await?;
    answer("/admin/policies#labels", Notice::LabelDeleted)
}

/// The device policy option: no Wipe for employee-owned devices.
#[server(endpoint = "admin/save_device_policy")]
pub async fn save_device_policy(
    #[server(default)] forbid_employee_wipe: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    settings::set_forbid_employee_wipe(
        &ctx.db,
        &ctx.origin,
        &admin,
        forbid_employee_wipe.is_some(),
        Utc::now(),
    )
    .await?;
    answer("/admin/policies", Notice::PolicySaved)
}

/// The ownership page of the user's device `id`; with `to`, the impact of
/// switching to it.
#[server(endpoint = "devices/ownership", input = GetUrl)]
pub async fn get_ownership_preview(
    id: DeviceId,
    #[server(default)] to: Option<String>,
) -> Result<OwnershipPreview, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let to = to.as_deref().and_then(Ownership::parse);
    catalogue::preview(&ctx.db, &ctx.config.caches.catalogue(), user, id, to)
        .await
        .map_err(ApiError::from)
}

/// Switches the device's ownership (after the preview); the device gets
/// its new set at its next check-in.
#[server(endpoint = "devices/change_ownership")]
pub async fn change_device_ownership(id: DeviceId, to: String) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, catalogue};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let to = Ownership::parse(&to)
        .ok_or_else(|| crate::server::fail(ApiError::BadRequest("unknown ownership".into())))?;
    catalogue::change_ownership(
        &ctx.db,
        &ctx.config.caches,
        &ctx.origin,
        user,
        id,
        to,
        Utc::now(),
    )
    .await?;
    answer(&format!("/devices/{id}"), Notice::OwnershipChanged(to))
}
