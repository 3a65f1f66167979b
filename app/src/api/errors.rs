//! What each service's error means to the caller of a server function: one
//! conversion per error, so that a server function ends in `?`. Each sets the
//! response's HTTP status ([`fail`]); an unexpected failure is logged with
//! its detail and reaches the person without it ([`internal`]).

use sea_orm::DbErr;

use super::types::ApiError;
use crate::domain::device::Unavailable;
use crate::i18n::Lang;
use crate::server::{
    auth::ChangeSignInError, catalogue::CatalogueError, certificates::CertificateError,
    devices::DeviceError, directory_settings::DirectorySettingsError, fail, internal,
    registration::RegisterError,
};

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> ApiError {
        internal(error)
    }
}

/// An action the device's state or the person's roles do not allow.
impl From<Unavailable> for ApiError {
    fn from(reason: Unavailable) -> ApiError {
        match reason {
            Unavailable::Denied(denied) => fail(ApiError::Forbidden(denied.to_string())),
            reason => fail(ApiError::Conflict(reason.to_string())),
        }
    }
}

impl From<DeviceError> for ApiError {
    fn from(error: DeviceError) -> ApiError {
        match error {
            DeviceError::NotFound => fail(ApiError::NotFound),
            DeviceError::Unavailable(reason) => reason.into(),
            DeviceError::Db(error) => internal(error),
        }
    }
}

impl From<CatalogueError> for ApiError {
    fn from(error: CatalogueError) -> ApiError {
        match error {
            CatalogueError::NotFound => fail(ApiError::NotFound),
            CatalogueError::NameTaken => fail(ApiError::Conflict(error.to_string())),
            CatalogueError::Unavailable(reason) => reason.into(),
            CatalogueError::Db(error) => internal(error),
        }
    }
}

impl From<CertificateError> for ApiError {
    fn from(error: CertificateError) -> ApiError {
        match error {
            CertificateError::NotFound => fail(ApiError::NotFound),
            CertificateError::Invalid(message) => fail(ApiError::Invalid(message)),
            // The same words as the error's, marked for the catalogue (it
            // starts with a value, so it is not collected by itself).
            CertificateError::InUse {
                certificates,
                people,
            } => fail(ApiError::Conflict(Lang::En.trf(
                "{certificates} certificate(s) of {people} person/people use this setting: confirm that they are deleted with it.",
                &[("certificates", &certificates), ("people", &people)],
            ))),
            CertificateError::Upload(problem) => {
                fail(ApiError::Invalid(problem.message().to_owned()))
            }
            other => internal(other),
        }
    }
}

impl From<DirectorySettingsError> for ApiError {
    fn from(error: DirectorySettingsError) -> ApiError {
        match error {
            DirectorySettingsError::NotFound => fail(ApiError::NotFound),
            DirectorySettingsError::LastAdministrator => {
                fail(ApiError::Conflict(error.to_string()))
            }
            DirectorySettingsError::NoRoles => fail(ApiError::Invalid(error.to_string())),
            DirectorySettingsError::Invalid(message) => fail(ApiError::Invalid(message)),
            other => internal(other),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> ApiError {
        match error {
            RegisterError::NotFound => fail(ApiError::NotFound),
            RegisterError::LimitReached { .. } | RegisterError::NotPending => {
                fail(ApiError::Conflict(error.to_string()))
            }
            RegisterError::TooMany { .. } => fail(ApiError::TooMany(error.to_string())),
            other => internal(other),
        }
    }
}

/// A change of sign-in methods that would lock the administrator out.
impl From<ChangeSignInError> for ApiError {
    fn from(error: ChangeSignInError) -> ApiError {
        match error {
            ChangeSignInError::Refused(refused) => fail(ApiError::Conflict(refused.to_string())),
            ChangeSignInError::Db(error) => internal(error),
        }
    }
}
