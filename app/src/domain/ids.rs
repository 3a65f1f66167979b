//! The ids of what the portal keeps: one type each, so that a device's id
//! cannot be passed where a command's is meant. In addresses and forms they
//! are plain numbers; on the server each is also a column type.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType, utoipa::ToSchema))]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                text.parse().map($name)
            }
        }
    };
}

id!(
    /// A device, registered or enrolled.
    DeviceId(i64)
);
id!(
    /// A command sent (or on its way) to a device.
    CommandId(i64)
);
id!(
    /// A person with an account, local or from a directory.
    UserId(i32)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_numbers() {
        assert_eq!("42".parse::<DeviceId>(), Ok(DeviceId(42)));
        assert!("4x".parse::<CommandId>().is_err());
        assert_eq!(UserId(7).to_string(), "7");
    }
}
