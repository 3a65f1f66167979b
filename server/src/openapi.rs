//! The device API's OpenAPI 3.1 document, generated from the types and
//! the handlers' descriptions in `device_api` (served at
//! `/api/device/v1/openapi.json`; docs/device-api.md keeps the prose).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::device_api::{
    __path_checkin, __path_configuration_applied, __path_enroll, __path_result,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SSP device API",
        version = "1",
        description = "The server side of an MDM agent: JSON over HTTPS. See docs/device-api.md for the rules behind each answer."
    ),
    paths(enroll, checkin, result, configuration_applied),
    modifiers(&Credential)
)]
struct DeviceApi;

/// The device's Bearer credential, issued at enrollment.
struct Credential;

impl Modify for Credential {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "credential",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("The credential the device received when it enrolled."))
                        .build(),
                ),
            );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    DeviceApi::openapi()
}
