//! `ssp user …` and `ssp demo`: account administration from the server's
//! command line. Each change is audited like one made in the portal.

// Each command is where a change begins: it reads the clock.
#![allow(clippy::disallowed_methods)]

use anyhow::{Context, bail};
use app::domain::device::{DeviceStatus, Platform, parse_device_name};
use app::domain::ids::DeviceId;
use app::domain::role::{Role, RoleSet};
use app::domain::text::TextEnum;
use app::domain::username::Username;
use app::server::Admin;
use app::server::accounts::{self, NewUser};
use app::server::audit::RequestOrigin;
use app::server::devices;
use app::server::entities::device;
use app::server::passwords;
use clap::Subcommand;
use sea_orm::DatabaseConnection;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use std::io::BufRead;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a local user, with Portal Access and the roles given
    Add {
        name: String,
        /// Give the Administrator role
        #[arg(long)]
        admin: bool,
        /// A role to give besides Portal Access: wipe, lock, unlock, locate, retire,
        /// device-registration, change-ownership, reset-pin-password, administrator
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Leave out Portal Access (nobody can sign in as the user until it is given)
        #[arg(long)]
        no_portal_access: bool,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from standard input (otherwise one is generated and printed once)
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles
    List,
    /// Replace a user's roles
    Roles {
        name: String,
        /// The new roles, comma-separated or repeated (an empty value removes all)
        #[arg(long, required = true, num_args = 0.., value_name = "ROLE")]
        set: Vec<String>,
    },
    /// Set a user's password (ends their sessions)
    Passwd {
        name: String,
        /// Read the password from standard input (otherwise one is generated and printed once)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (ends their sessions; their devices get 403 until
    /// they are enabled again)
    Disable {
        name: String,
        /// Also remove their devices from the portal: the devices'
        /// credentials stop working for good
        #[arg(long)]
        remove_devices: bool,
    },
    /// Enable a disabled user
    Enable { name: String },
}

/// Says so when what a command did leaves a person unable to sign in.
fn warn_if_locked_out(username: &Username, roles: &RoleSet) {
    if let Some(why) = roles.cannot_sign_in(false) {
        eprintln!("note: {username} cannot sign in: {why}");
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((passwords::generate_password(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password, false))
}

fn username(name: &str) -> anyhow::Result<Username> {
    Username::parse(name).map_err(|e| anyhow::anyhow!("{name:?}: {e}"))
}

pub async fn run(db: &DatabaseConnection, command: UserCommand) -> anyhow::Result<()> {
    let origin = RequestOrigin::command_line();
    let now = chrono::Utc::now();
    match command {
        UserCommand::Add {
            name,
            admin,
            roles,
            no_portal_access,
            display_name,
            email,
            password_stdin,
        } => {
            let username = username(&name)?;
            let given = RoleSet::parse_names(roles.iter().map(String::as_str))?;
            let admin = admin.then_some(Role::Administrator);
            let roles =
                RoleSet::for_new_user(RoleSet::new(given.iter().chain(admin)), !no_portal_access);
            let (password, generated) = read_password(password_stdin)?;
            let new = NewUser {
                username: username.clone(),
                display_name: display_name.unwrap_or_default(),
                email,
                phone: None,
                roles: roles.clone(),
            };
            accounts::create_local(db, &origin, None, new, Some(password.clone()), now).await?;
            println!("created {username} with roles: {}", roles.to_stored());
            warn_if_locked_out(&username, &roles);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List => {
            let mut page = 1;
            loop {
                let found = accounts::list(db, "", page, 200).await?;
                for user in &found.users {
                    println!(
                        "{:<24} {:<8} {:<9} {}",
                        user.username,
                        user.source,
                        if user.disabled { "disabled" } else { "enabled" },
                        user.roles.to_stored()
                    );
                }
                if page * found.per_page >= found.total {
                    break;
                }
                page += 1;
            }
        }
        UserCommand::Roles { name, set } => {
            let username = username(&name)?;
            let roles = RoleSet::parse_names(set.iter().map(String::as_str))?;
            accounts::set_roles(
                db,
                &origin,
                &Admin::command_line(),
                &username,
                roles.clone(),
                now,
            )
            .await?;
            println!("{username} now has roles: {}", roles.to_stored());
            let user = accounts::find(db, &username).await?;
            if user.as_ref().is_some_and(|u| u.source == accounts::LOCAL) {
                warn_if_locked_out(&username, &roles);
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let username = username(&name)?;
            let (password, generated) = read_password(password_stdin)?;
            accounts::set_password(db, &origin, None, &username, (password.clone(), None), now)
                .await?;
            println!("password of {username} changed");
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::Disable {
            name,
            remove_devices,
        } => {
            let username = username(&name)?;
            accounts::set_disabled(db, &origin, None, &username, (true, remove_devices), now)
                .await?;
            println!("{username} is disabled: they cannot sign in, and their sessions ended");
            if remove_devices {
                println!("their devices are removed from the portal");
            }
        }
        UserCommand::Enable { name } => {
            let username = username(&name)?;
            accounts::set_disabled(db, &origin, None, &username, (false, false), now).await?;
            println!("{username} is enabled");
            if let Some(user) = accounts::find(db, &username).await?
                && user.source == accounts::LOCAL
            {
                warn_if_locked_out(&username, &RoleSet::from_stored(&user.roles));
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Create an enrolled (Active) device for a user and print its API credential once
    Add {
        /// The owner's user name
        #[arg(long)]
        user: String,
        /// ios, ipados, android, windows, windows-phone-8.1, windows-10-mobile, macos
        #[arg(long)]
        platform: String,
        /// The device's name (default: the owner's platform device)
        #[arg(long)]
        name: Option<String>,
        /// How many such devices to add (a test fleet), each with its own
        /// credential
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
}

pub async fn run_device(db: &DatabaseConnection, command: DeviceCommand) -> anyhow::Result<()> {
    match command {
        DeviceCommand::Add {
            user,
            platform,
            name,
            count,
        } => {
            for _ in 0..count {
                let (id, credential) = add_device(db, &user, &platform, name.clone()).await?;
                println!("device {id} enrolled for {user}");
                println!("credential (shown once): {credential}");
            }
        }
    }
    Ok(())
}

async fn add_device(
    db: &DatabaseConnection,
    user: &str,
    platform: &str,
    name: Option<String>,
) -> anyhow::Result<(DeviceId, String)> {
    let owner = accounts::find(db, &username(user)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no user named {user}"))?;
    let platform = Platform::parse(platform).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown platform {platform:?}; platforms are: {}",
            Platform::ALL
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let name = match name {
        Some(name) => parse_device_name(&name).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => format!("{}'s {}", owner.display_name, platform.label()),
    };
    let (device, credential) = devices::add_active(
        db,
        &RequestOrigin::command_line(),
        &owner,
        platform,
        name,
        chrono::Utc::now(),
    )
    .await?;
    Ok((device.id, credential))
}

/// Fills an empty database with a small organisation and prints the
/// generated passwords once.
pub async fn demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    use app::domain::certificates::{Purpose, Setting};
    if accounts::any_user(db).await? {
        bail!("the database already has users: the demo only fills an empty database");
    }
    use Role::*;
    let people: [(&str, &str, &[Role]); 4] = [
        ("admin", "Ada Admin", &[PortalAccess, Administrator]),
        (
            "alice",
            "Alice Example",
            &[
                PortalAccess,
                Lock,
                Unlock,
                Locate,
                DeviceRegistration,
                ChangeOwnership,
            ],
        ),
        (
            "bob",
            "Bob Example",
            &[PortalAccess, Lock, Locate, Wipe, Retire],
        ),
        ("carol", "Carol Example", &[PortalAccess]),
    ];
    let origin = RequestOrigin::command_line();
    println!("Demo users (passwords are shown once):");
    for (name, display, roles) in people {
        let password = passwords::generate_password();
        let new = NewUser {
            username: username(name)?,
            display_name: display.to_owned(),
            email: format!("{name}@example.com"),
            phone: None,
            roles: RoleSet::new(roles.iter().copied()),
        };
        accounts::create_local(
            db,
            &origin,
            None,
            new,
            Some(password.clone()),
            chrono::Utc::now(),
        )
        .await?;
        println!(
            "  {name:<8} {password}   {}",
            RoleSet::new(roles.iter().copied()).to_stored()
        );
    }
    // A device limit, so that the registration page has slots to show.
    app::server::settings::set_registration(
        db,
        &origin,
        &Admin::command_line(),
        app::domain::registration::RegistrationSettings {
            device_limit: app::domain::registration::DeviceLimit::new(Some(5))
                .map_err(anyhow::Error::msg)?,
            ..Default::default()
        },
        chrono::Utc::now(),
    )
    .await?;
    println!("Device limit: 5 per person (Admin → Registration).");
    for (name, purpose) in [
        ("S/MIME signing", Purpose::Signing),
        ("S/MIME encryption", Purpose::Encryption),
    ] {
        let setting = Setting {
            name: name.to_owned(),
            purpose,
            key_required: true,
            password_required: true,
            mobile_upload: false,
            labels: vec![app::domain::catalogue::LabelKey::AllDevices],
        };
        app::server::certificates::save_setting(
            db,
            &origin,
            &Admin::command_line(),
            None,
            setting,
            chrono::Utc::now(),
        )
        .await?;
    }
    println!("Certificate settings: S/MIME signing, S/MIME encryption (Admin → Certificates).");
    samples(db).await?;
    println!("Demo devices (credentials for ssp-device are shown once):");
    for (owner, platform, name, state) in [
        ("alice", "ios", "Alice's iPhone", None),
        ("alice", "macos", "Alice's MacBook", None),
        (
            "alice",
            "android",
            "Alice's old Galaxy",
            Some(DeviceStatus::Retired),
        ),
        ("bob", "windows-10-mobile", "Bob's Lumia", None),
        ("bob", "android", "Bob's Pixel", None),
    ] {
        let (id, credential) = add_device(db, owner, platform, Some(name.to_owned())).await?;
        match state {
            // A device of the past: no longer managed, its credential gone.
            Some(status) => {
                let row = device::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("device {id} vanished"))?;
                let mut row: device::ActiveModel = row.into();
                row.status = Set(status);
                row.credential_hash = Set(None);
                row.update(db).await?;
                println!("  {id:<3} {name:<20} ({})", status.label());
            }
            None => println!("  {id:<3} {name:<20} {credential}"),
        }
    }
    Ok(())
}

/// `ssp samples` (and part of `ssp demo`): policies, configurations, apps
/// and books on the ownership labels, so an ownership change shows an impact.
pub async fn samples(db: &DatabaseConnection) -> anyhow::Result<()> {
    let added =
        app::server::catalogue::add_samples(db, &RequestOrigin::command_line(), chrono::Utc::now())
            .await?;
    println!(
        "Policies & apps: {added} sample item(s) added for the Company-Owned and Employee-Owned labels."
    );
    Ok(())
}

/// `ssp sign-in-methods`: sets how people sign in, keeping how
/// certificates are mapped; audited as done from the command line.
pub async fn sign_in_methods(db: &DatabaseConnection, methods: &str) -> anyhow::Result<()> {
    use app::domain::certificate_sign_in::SignInMethods;
    let Some(methods) = SignInMethods::parse(methods) else {
        bail!("choose password, certificate or both");
    };
    let (_, mapping) = app::server::settings::sign_in(db).await?;
    app::server::settings::set_sign_in(
        db,
        &RequestOrigin::command_line(),
        &Admin::command_line(),
        methods,
        mapping,
        chrono::Utc::now(),
    )
    .await?;
    println!(
        "People now sign in with: {}.",
        methods.label().to_lowercase()
    );
    let ended = app::server::auth::end_closed_sessions(db, methods, None).await?;
    if ended > 0 {
        println!("{ended} session(s) opened another way ended.");
    }
    Ok(())
}
