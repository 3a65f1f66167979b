//! Directory sign-in and group limits against a real slapd serving
//! `scripts/ldap-fixture.ldif`: users with non-ASCII names and passwords
//! in nested OUs, groups of each kind, a user in several groups.

use crate::helpers::{
    Browser, TestApp, TestDb, ldap_partner_url, ldap_url, location, on_every_backend,
};
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::entities::{audit_event, ldap_server, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

const ADMIN_PASSWORD: &str = "the administrator's password";
const SERVICE_DN: &str = "cn=portal,ou=services,dc=example,dc=org";
const SERVICE_PASSWORD: &str = "service-secret";
const JSON: &str = "application/json";
const MOBILE_STAFF: &str = "cn=mobile-staff,ou=groups,dc=example,dc=org";
const PORTAL_ADMINS: &str = "cn=portal-admins,ou=groups,dc=example,dc=org";

on_every_backend!(
    directory_users_sign_in_with_their_directory_password,
    typed_names_cannot_change_the_search,
    local_users_sign_in_while_the_directory_is_down,
    group_limits_decide_how_many_devices_a_member_may_register,
    the_connection_test_says_what_it_found_or_what_failed,
    tls_connections_trust_the_configured_authority,
    a_directory_user_is_only_checked_by_their_own_directory,
    group_roles_never_leave_the_portal_without_an_administrator,
    only_administrators_manage_directories,
    directory_users_sign_in_with_a_certificate,
    a_namesake_in_another_directory_cannot_take_over_a_record,
);

async fn admin(app: &TestApp) -> Browser {
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        ADMIN_PASSWORD,
    )
    .await;
    app.signed_in("admin", ADMIN_PASSWORD).await
}

/// Adds the test directory as a server through Admin → LDAP; its id.
async fn add_server(admin: &mut Browser, url: &str, membership: &str, password: &str) -> i32 {
    add_server_with(admin, url, membership, password, &[]).await
}

/// The same, with more fields (TLS).
async fn add_server_with(
    admin: &mut Browser,
    url: &str,
    membership: &str,
    password: &str,
    more: &[(&str, &str)],
) -> i32 {
    let mut form = server_form(url, membership, password);
    for &(key, value) in more {
        match form.iter_mut().find(|(k, _)| *k == key) {
            Some(field) => field.1 = value,
            None => form.push((key, value)),
        }
    }
    let response = admin.post_form("/api/admin/save_ldap_server", &form).await;
    let to = location(&response);
    assert_eq!(response.status(), 302, "{to}");
    to.trim_start_matches("/admin/ldap/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("not saved: {to}"))
}

/// The server form for the test directory.
fn server_form<'a>(
    url: &'a str,
    membership: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Test directory"),
        ("enabled", "on"),
        ("url", url),
        ("ca_certificate", ""),
        ("bind_dn", SERVICE_DN),
        ("bind_password", password),
        ("user_base", "ou=people,dc=example,dc=org"),
        ("user_filter", "(objectClass=inetOrgPerson)"),
        ("login_attribute", "uid"),
        ("name_attribute", "displayName"),
        ("email_attribute", "mail"),
        ("mobile_attribute", "mobile"),
        ("group_base", "ou=groups,dc=example,dc=org"),
        ("membership", membership),
        ("timeout_seconds", "5"),
    ]
}

async fn grant(admin: &mut Browser, server: i32, group_dn: &str, roles: &[Role]) {
    let group = format!("{server}|{group_dn}");
    let server = server.to_string();
    let keys: Vec<String> = roles
        .iter()
        .map(|r| format!("roles[{}]", r.as_str()))
        .collect();
    let mut form: Vec<(&str, &str)> = vec![("server", &server), ("group", &group)];
    form.extend(keys.iter().map(|k| (k.as_str(), "on")));
    let response = admin.post_form("/api/admin/save_group_roles", &form).await;
    assert!(
        location(&response).contains("grants_saved"),
        "{}",
        location(&response)
    );
}

/// Signs in through the form; where the answer leads.
async fn sign_in(app: &TestApp, name: &str, password: &str) -> String {
    let mut browser = app.browser();
    let response = browser.sign_in(name, password).await;
    location(&response)
}

async fn stored(app: &TestApp, name: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .one(&app.db)
        .await
        .unwrap()
}

async fn directory_users_sign_in_with_their_directory_password(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let server = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;

    // Known to the directory, but no roles yet: refused, and now listed.
    assert!(
        sign_in(&app, "dora", "Pässwörd-1")
            .await
            .contains("error=no-access")
    );
    let dora = stored(&app, "dora").await.expect("a record for dora");
    assert_eq!(dora.source, "ldap");
    assert_eq!(dora.display_name, "Dora Ünal");
    assert_eq!(dora.email, "dora@example.org");
    assert_eq!(dora.phone.as_deref(), Some("+4915112345678"));
    assert!(dora.password_hash.is_none());
    assert!(
        dora.directory_groups.contains(MOBILE_STAFF),
        "{}",
        dora.directory_groups
    );

    // Roles for a group reach its members (also those signed up already).
    grant(&mut admin, server, MOBILE_STAFF, &[Role::PortalAccess]).await;
    let dora = stored(&app, "dora").await.unwrap();
    assert_eq!(dora.group_roles, "portal-access");
    assert_eq!(sign_in(&app, "dora", "Pässwörd-1").await, "/");
    assert_eq!(
        sign_in(&app, "DORA", "Pässwörd-1").await,
        "/",
        "names are not case-sensitive"
    );
    assert_eq!(sign_in(&app, "émile", "mot-de-passe-été").await, "/");
    assert_eq!(
        stored(&app, "émile").await.unwrap().display_name,
        "Émile Ångström"
    );

    // Wrong and empty passwords, a user in no granted group.
    assert!(
        sign_in(&app, "dora", "Passwörd-1")
            .await
            .contains("error=invalid")
    );
    assert!(sign_in(&app, "dora", "").await.contains("error=invalid"));
    assert!(
        sign_in(&app, "frank", "frank-pass-1")
            .await
            .contains("error=no-access")
    );
    assert!(
        sign_in(&app, "nobody", "whatever")
            .await
            .contains("error=invalid")
    );

    // A signed-in directory user's session works like any other.
    let mut grace = app.browser();
    assert_eq!(location(&grace.sign_in("grace", "grace-pass-1").await), "/");
    assert_eq!(grace.get("/").await.status(), 200);
    // Taking the grant away takes the role away at once.
    grant(&mut admin, server, MOBILE_STAFF, &[]).await;
    assert_eq!(stored(&app, "grace").await.unwrap().group_roles, "");
    assert_eq!(
        grace
            .get_accepting("/api/registration/overview", JSON)
            .await
            .status(),
        401
    );

    let created = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("user.create"))
        .filter(audit_event::Column::Target.eq("dora"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the new directory user is audited");
    assert!(created.details.contains("ldap"));
    app.stop().await;
}

async fn typed_names_cannot_change_the_search(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let server = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, server, MOBILE_STAFF, &[Role::PortalAccess]).await;
    for name in [
        "*",
        "dora)(uid=*",
        ")(uid=*",
        "*)(|(uid=*",
        "\\",
        "dor*",
        "dora\\",
    ] {
        let to = sign_in(&app, name, "Pässwörd-1").await;
        assert!(to.contains("error=invalid"), "{name:?} → {to}");
    }
    let directory_users = user::Entity::find()
        .filter(user::Column::Source.eq("ldap"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(
        directory_users.is_empty(),
        "nobody was found: {directory_users:?}"
    );
    app.stop().await;
}

async fn local_users_sign_in_while_the_directory_is_down(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    add_server(
        &mut admin,
        &format!("ldap://127.0.0.1:{port}"),
        "member-of",
        SERVICE_PASSWORD,
    )
    .await;
    app.add_user("alice", &[Role::PortalAccess], "alice's long password")
        .await;
    assert_eq!(sign_in(&app, "alice", "alice's long password").await, "/");
    assert!(
        sign_in(&app, "alice", "wrong")
            .await
            .contains("error=invalid")
    );
    let to = sign_in(&app, "dora", "Pässwörd-1").await;
    assert!(to.contains("error=directory-unavailable"), "{to}");
    let page = app
        .client
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("cannot be reached right now"),
        "the page says why"
    );
    // Not a failed sign-in: the directory was at fault, not the person.
    let refused = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("sign_in"))
        .filter(audit_event::Column::Target.eq("dora"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.outcome.as_str(), "refused");
    assert!(refused.details.contains("directory unavailable"));
    app.stop().await;
}

async fn overview(browser: &mut Browser) -> Value {
    let response = browser
        .get_accepting("/api/registration/overview", JSON)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn set_registration(admin: &mut Browser, limit: &str, precedence: &str) {
    let response = admin
        .post_form(
            "/api/admin/save_registration_settings",
            &[
                ("mode", "pin"),
                ("pin_length", "8"),
                ("pin_validity_hours", "72"),
                ("device_limit", limit),
                ("precedence", precedence),
            ],
        )
        .await;
    assert!(
        location(&response).contains("saved=1"),
        "{}",
        location(&response)
    );
}

async fn set_group_limit(admin: &mut Browser, id: Option<i64>, group: &str, limit: &str) -> String {
    let id = id.map(|i| i.to_string());
    let mut form = vec![("group", group), ("limit", limit)];
    if let Some(id) = &id {
        form.push(("id", id));
    }
    location(&admin.post_form("/api/admin/save_group_limit", &form).await)
}

async fn group_limits_decide_how_many_devices_a_member_may_register(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let server = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(
        &mut admin,
        server,
        MOBILE_STAFF,
        &[Role::PortalAccess, Role::DeviceRegistration],
    )
    .await;
    set_registration(&mut admin, "1", "groups").await;
    let staff = format!("{server}|{MOBILE_STAFF}");
    let admins = format!("{server}|{PORTAL_ADMINS}");
    assert!(
        set_group_limit(&mut admin, None, &staff, "3")
            .await
            .contains("limit_saved")
    );
    assert!(
        set_group_limit(&mut admin, None, &admins, "2")
            .await
            .contains("limit_saved")
    );
    // One limit per group; limits out of range come back with the reason.
    assert!(
        set_group_limit(&mut admin, None, &staff, "4")
            .await
            .contains("refused=limit-taken")
    );
    assert!(
        set_group_limit(&mut admin, None, &admins, "51")
            .await
            .contains("refused=limit-range")
    );
    assert!(
        set_group_limit(&mut admin, None, "999|cn=x", "2")
            .await
            .contains("refused=limit-group")
    );

    // grace is in both groups: the highest applies.
    let mut grace = app.browser();
    assert_eq!(location(&grace.sign_in("grace", "grace-pass-1").await), "/");
    assert_eq!(overview(&mut grace).await["limit"], 3);
    // dora is in mobile-staff only; frank (no granted group) cannot register at all.
    let mut dora = app.browser();
    dora.sign_in("dora", "Pässwörd-1").await;
    assert_eq!(overview(&mut dora).await["limit"], 3);

    // The global limit can be made to win.
    set_registration(&mut admin, "1", "global").await;
    assert_eq!(overview(&mut grace).await["limit"], 1);
    // A form without the choice (an older client) keeps it.
    let response = admin
        .post_form(
            "/api/admin/save_registration_settings",
            &[
                ("mode", "pin"),
                ("pin_length", "8"),
                ("pin_validity_hours", "72"),
                ("device_limit", "1"),
            ],
        )
        .await;
    assert!(location(&response).contains("saved=1"));
    assert_eq!(overview(&mut grace).await["limit"], 1);
    set_registration(&mut admin, "1", "groups").await;

    // Editing the table changes the outcome.
    let limits: Value = admin
        .get_accepting("/api/admin/group_limits", JSON)
        .await
        .json()
        .await
        .unwrap();
    let staff_row = limits["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group_name"] == "mobile-staff")
        .unwrap()
        .clone();
    assert!(
        set_group_limit(&mut admin, staff_row["id"].as_i64(), &staff, "1")
            .await
            .contains("limit_saved")
    );
    assert_eq!(
        overview(&mut grace).await["limit"],
        2,
        "portal-admins' 2 is now the highest"
    );
    assert_eq!(overview(&mut dora).await["limit"], 1);

    // Registration stops at the group's limit.
    for n in 0..3 {
        let response = grace
            .post_form(
                "/api/registration/register",
                &[("platform", "ios"), ("phone", ""), ("invitation", "none")],
            )
            .await;
        let to = location(&response);
        if n < 2 {
            assert!(to.contains("/enroll"), "registration {n}: {to}");
        } else {
            assert!(!to.contains("/enroll"), "the third is refused: {to}");
        }
    }
    let left = overview(&mut grace).await;
    assert_eq!(left["counted"], 2);
    assert_eq!(left["slots_left"], 0);

    // Deleting a limit: back to the global limit for dora.
    let response = admin
        .post_form(
            "/api/admin/delete_group_limit",
            &[("id", &staff_row["id"].to_string())],
        )
        .await;
    assert!(location(&response).contains("limit_deleted"));
    assert_eq!(overview(&mut dora).await["limit"], 1);
    app.stop().await;
}

async fn test_connection(admin: &mut Browser, server: i32, login: &str) -> Vec<String> {
    let path = format!(
        "/api/admin/test_ldap_server?id={server}&login={}",
        form_urlencoded::byte_serialize(login.as_bytes()).collect::<String>()
    );
    let response = admin.get_accepting(&path, JSON).await;
    assert_eq!(response.status(), 200);
    let steps: Value = response.json().await.unwrap();
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                if s["ok"] == true { "ok" } else { "FAILED" },
                s["text"].as_str().unwrap()
            )
        })
        .collect()
}

async fn the_connection_test_says_what_it_found_or_what_failed(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    // Every kind of group entry: dora is in one of each.
    let server = add_server(&mut admin, &url, "any-group", SERVICE_PASSWORD).await;
    let steps = test_connection(&mut admin, server, "dora").await.join("\n");
    assert!(
        steps.contains("ok Found uid=dora,ou=engineering,ou=people,dc=example,dc=org"),
        "{steps}"
    );
    assert!(
        steps.contains("Dora Ünal") && steps.contains("dora@example.org"),
        "{steps}"
    );
    assert!(
        steps.contains("Groups: engineers, field, mobile-staff."),
        "{steps}"
    );
    assert!(!steps.contains("FAILED"), "{steps}");

    let steps = test_connection(&mut admin, server, "nobody")
        .await
        .join("\n");
    assert!(steps.contains("FAILED No user nobody"), "{steps}");

    let wrong = add_server(&mut admin, &url, "member-of", "not the password").await;
    let steps = test_connection(&mut admin, wrong, "dora").await.join("\n");
    assert!(
        steps.contains("FAILED Could not sign in as the service account"),
        "{steps}"
    );

    // The service password is sealed, never stored or shown in clear.
    let stored = ldap_server::Entity::find_by_id(server)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.bind_password.contains(SERVICE_PASSWORD));
    let page = admin
        .get(&format!("/admin/ldap/{server}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(SERVICE_PASSWORD) && !page.contains(&stored.bind_password));
    app.stop().await;
}

async fn only_administrators_manage_directories(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let server = add_server(
        &mut admin,
        "ldap://127.0.0.1:1",
        "member-of",
        SERVICE_PASSWORD,
    )
    .await;
    app.add_user(
        "bob",
        &[Role::PortalAccess, Role::DeviceRegistration],
        "bob's long password",
    )
    .await;
    let mut bob = app.signed_in("bob", "bob's long password").await;
    assert_eq!(
        bob.get_accepting("/api/admin/ldap_servers", JSON)
            .await
            .status(),
        403
    );
    assert_eq!(
        bob.get_accepting(&format!("/api/admin/ldap_server?id={server}"), JSON)
            .await
            .status(),
        403
    );
    assert_eq!(
        bob.get_accepting("/api/admin/group_limits", JSON)
            .await
            .status(),
        403
    );
    let crafted = bob
        .post_form(
            "/api/admin/save_group_roles",
            &[
                ("server", &server.to_string()),
                ("group", &format!("{server}|cn=x")),
                ("roles[administrator]", "on"),
            ],
        )
        .await;
    assert_eq!(crafted.status(), 403);
    let crafted = bob
        .post_form(
            "/api/admin/move_ldap_server",
            &[("id", &server.to_string()), ("direction", "up")],
        )
        .await;
    assert_eq!(crafted.status(), 403);
    let crafted = bob
        .post_form(
            "/api/admin/delete_ldap_server",
            &[("id", &server.to_string())],
        )
        .await;
    assert_eq!(crafted.status(), 403);
    assert!(
        ldap_server::Entity::find_by_id(server)
            .one(&app.db)
            .await
            .unwrap()
            .is_some()
    );

    // A form with mistakes comes back with them and without the password.
    let response = admin
        .post_form(
            "/api/admin/save_ldap_server",
            &[
                ("name", ""),
                ("url", "http://nope"),
                ("ca_certificate", ""),
                ("bind_dn", SERVICE_DN),
                ("bind_password", "typed secret"),
                ("user_base", "ou=people,dc=example,dc=org"),
                ("user_filter", ""),
                ("login_attribute", "uid"),
                ("name_attribute", "displayName"),
                ("email_attribute", "mail"),
                ("mobile_attribute", ""),
                ("group_base", ""),
                ("membership", "member-of"),
                ("timeout_seconds", "0"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(
        to.starts_with("/admin/ldap/new?") && to.contains("refused=1"),
        "{to}"
    );
    assert!(
        !to.contains("typed+secret") && !to.contains("typed%20secret"),
        "{to}"
    );
    let page = admin.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("Enter a name of at most 64 characters."),
        "the name's message"
    );
    assert!(
        page.contains("From 1 to 60 seconds."),
        "the timeout's message"
    );
    assert!(page.contains("http://nope"), "what was typed stays");
    app.stop().await;
}

async fn tls_connections_trust_the_configured_authority(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let ldaps = std::env::var("SSP_TEST_LDAPS_URL").expect("scripts/ldap serves ldaps too");
    let ca = std::fs::read_to_string(std::env::var("SSP_TEST_LDAP_CA").unwrap()).unwrap();
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let with_ca = [("ca_certificate", ca.as_str())];
    let over_ldaps =
        add_server_with(&mut admin, &ldaps, "member-of", SERVICE_PASSWORD, &with_ca).await;
    let steps = test_connection(&mut admin, over_ldaps, "dora")
        .await
        .join("\n");
    assert!(steps.contains("ok Found uid=dora"), "{steps}");

    let mut starttls = with_ca.to_vec();
    starttls.push(("starttls", "on"));
    let over_starttls =
        add_server_with(&mut admin, &url, "member-of", SERVICE_PASSWORD, &starttls).await;
    let steps = test_connection(&mut admin, over_starttls, "dora")
        .await
        .join("\n");
    assert!(
        steps.contains("with StartTLS") && steps.contains("ok Found uid=dora"),
        "{steps}"
    );

    // Without the authority, the server's certificate is not trusted.
    let untrusted = add_server_with(
        &mut admin,
        &ldaps,
        "member-of",
        SERVICE_PASSWORD,
        &[("ca_certificate", "")],
    )
    .await;
    let steps = test_connection(&mut admin, untrusted, "dora")
        .await
        .join("\n");
    assert!(steps.starts_with("FAILED Could not connect"), "{steps}");

    // Directory users sign in over TLS like over plain LDAP.
    grant(&mut admin, over_ldaps, MOBILE_STAFF, &[Role::PortalAccess]).await;
    assert_eq!(sign_in(&app, "dora", "Pässwörd-1").await, "/");
    app.stop().await;
}

/// Saves server `id` with another address (and, if given, a password).
async fn move_server(admin: &mut Browser, id: i32, url: &str, password: &str) -> String {
    let id = id.to_string();
    let mut form = server_form(url, "member-of", password);
    form.push(("id", &id));
    location(&admin.post_form("/api/admin/save_ldap_server", &form).await)
}

async fn a_directory_user_is_only_checked_by_their_own_directory(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let first = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, first, MOBILE_STAFF, &[Role::PortalAccess]).await;
    assert_eq!(sign_in(&app, "dora", "Pässwörd-1").await, "/");
    assert_eq!(
        stored(&app, "dora").await.unwrap().directory_server,
        Some(first)
    );

    // The stored service password never follows the server to another address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let elsewhere = format!("ldap://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let refused = move_server(&mut admin, first, &elsewhere, "").await;
    assert!(refused.contains("refused=1"), "{refused}");
    let kept = ldap_server::Entity::find_by_id(first)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.url, url);
    assert!(
        move_server(&mut admin, first, &elsewhere, SERVICE_PASSWORD)
            .await
            .contains("?saved=")
    );

    // Another directory that also has a "dora" does not stand in for hers.
    let second = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, second, MOBILE_STAFF, &[Role::PortalAccess]).await;
    let to = sign_in(&app, "dora", "Pässwörd-1").await;
    assert!(to.contains("error=directory-unavailable"), "{to}");
    assert_eq!(
        stored(&app, "dora").await.unwrap().directory_server,
        Some(first)
    );

    // The order decides which directory is asked first.
    let ids = |list: Value| -> Vec<i64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    };
    let list = admin
        .get_accepting("/api/admin/ldap_servers", JSON)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(list), [i64::from(first), i64::from(second)]);
    let response = admin
        .post_form(
            "/api/admin/move_ldap_server",
            &[("id", &second.to_string()), ("direction", "up")],
        )
        .await;
    assert!(location(&response).contains("moved="));
    let list = admin
        .get_accepting("/api/admin/ldap_servers", JSON)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(list), [i64::from(second), i64::from(first)]);

    // An administrator gave her record a role of its own.
    let response = admin
        .post_form(
            "/api/admin/save_user_roles",
            &[("username", "dora"), ("roles[lock]", "on")],
        )
        .await;
    assert_eq!(response.status(), 302);
    // Her directory disabled: she waits; nobody else takes her place.
    let mut form = server_form(&elsewhere, "member-of", "");
    let first_id = first.to_string();
    form.retain(|(k, _)| *k != "enabled");
    form.push(("id", &first_id));
    let response = admin.post_form("/api/admin/save_ldap_server", &form).await;
    assert!(
        location(&response).contains("?saved="),
        "{}",
        location(&response)
    );
    let to = sign_in(&app, "dora", "Pässwörd-1").await;
    assert!(to.contains("error=directory-unavailable"), "{to}");

    // Once an administrator deletes her directory, another may take her in,
    // with a record of her own: the old one, with the role given to it, is
    // set aside (renamed and disabled).
    let old = stored(&app, "dora").await.unwrap();
    let response = admin
        .post_form("/api/admin/delete_ldap_server", &[("id", &first_id)])
        .await;
    assert!(location(&response).contains("deleted="));
    assert_eq!(sign_in(&app, "dora", "Pässwörd-1").await, "/");
    let dora = stored(&app, "dora").await.unwrap();
    assert_ne!(dora.id, old.id);
    assert_eq!(dora.directory_server, Some(second));
    assert_eq!(dora.roles, "");
    assert_eq!(dora.group_roles, "portal-access");
    let former = user::Entity::find_by_id(old.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(former.username, format!("former-{}.dora", old.id));
    assert!(former.disabled && former.roles == "lock");
    let set_aside = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("user.set_aside"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("setting the record aside is audited");
    assert!(
        set_aside.details.contains("former-"),
        "{}",
        set_aside.details
    );
    app.stop().await;
}

async fn group_roles_never_leave_the_portal_without_an_administrator(db: TestDb) {
    let Some(url) = ldap_url() else { return };
    let app = TestApp::spawn(&db).await;
    let mut admin = admin(&app).await;
    let server = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(
        &mut admin,
        server,
        PORTAL_ADMINS,
        &[Role::PortalAccess, Role::Administrator],
    )
    .await;
    let mut grace = app.browser();
    assert_eq!(location(&grace.sign_in("grace", "grace-pass-1").await), "/");
    // grace is an administrator through her group: the local one may go.
    app.disable("admin").await;
    assert_eq!(
        grace
            .get_accepting("/api/admin/ldap_servers", JSON)
            .await
            .status(),
        200
    );

    // Taking the group's Administrator role away would leave nobody.
    let response = grace
        .post_form(
            "/api/admin/save_group_roles",
            &[
                ("server", &server.to_string()),
                ("group", &format!("{server}|{PORTAL_ADMINS}")),
                ("roles[portal-access]", "on"),
            ],
        )
        .await;
    assert!(
        location(&response).contains("grant_error=last-admin"),
        "{}",
        location(&response)
    );
    let response = grace
        .post_form(
            "/api/admin/delete_ldap_server",
            &[("id", &server.to_string())],
        )
        .await;
    assert!(
        location(&response).contains("error=last-admin"),
        "{}",
        location(&response)
    );
    assert_eq!(
        stored(&app, "grace").await.unwrap().group_roles,
        "portal-access,administrator"
    );
    app.stop().await;
}

/// A certificate names a directory user nobody has seen yet: found by the
/// e-mail address of their UPN (or by their login name), made a user with
/// their groups' roles; a user the directory does not know is refused.
async fn directory_users_sign_in_with_a_certificate(db: TestDb) {
    use crate::certificate_sign_in::{Pki, card_with, certificate_sign_in, set_sign_in};
    use app::domain::certificate_sign_in::{CertificateMapping, SignInMethods};

    let Some(url) = ldap_url() else { return };
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    let mut admin = admin(&app).await;
    let server = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, server, MOBILE_STAFF, &[Role::PortalAccess]).await;
    let saved = admin
        .post_form(
            "/api/admin/save_sign_in_settings",
            &[("methods", "both"), ("mapping", "upn")],
        )
        .await;
    assert_eq!(location(&saved), "/admin/sign-in?saved=1");
    assert!(stored(&app, "dora").await.is_none());

    let dora = pki.card(card_with(|c| c.upn = Some("dora@example.org".to_owned())));
    let mut browser = app.browser_using(pki.client(Some(&dora)));
    assert_eq!(certificate_sign_in(&mut browser).await, "/");
    let record = stored(&app, "dora").await.expect("a record for dora");
    assert_eq!(record.source, "ldap");
    assert_eq!(record.group_roles, "portal-access");
    assert!(
        browser
            .get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Dora Ünal")
    );

    // By login name (UID mapping), and someone the directory does not know.
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Uid).await;
    let grace = pki.card(card_with(|c| c.uid = Some("grace".to_owned())));
    let mut browser = app.browser_using(pki.client(Some(&grace)));
    assert_eq!(certificate_sign_in(&mut browser).await, "/");
    let nobody = pki.card(card_with(|c| c.uid = Some("nobody".to_owned())));
    let mut browser = app.browser_using(pki.client(Some(&nobody)));
    assert!(
        certificate_sign_in(&mut browser)
            .await
            .contains("error=certificate-unknown-user")
    );
    app.stop().await;
}

/// Two directories both have a "dora", two people. A card whose address only
/// the second knows must not open (or move) the first one's record, with
/// her devices, while her directory is configured; once it is deleted, the
/// newcomer gets a record of her own and the old one is set aside.
async fn a_namesake_in_another_directory_cannot_take_over_a_record(db: TestDb) {
    use crate::certificate_sign_in::{Pki, card_with, certificate_sign_in, set_sign_in};
    use app::domain::certificate_sign_in::{CertificateMapping, SignInMethods};
    use app::domain::device::Platform;
    use app::server::entities::device;

    let (Some(url), Some(partner)) = (ldap_url(), ldap_partner_url()) else {
        return;
    };
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    let mut admin = admin(&app).await;
    let ours = add_server(&mut admin, &url, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, ours, MOBILE_STAFF, &[Role::PortalAccess]).await;
    let theirs = add_server(&mut admin, &partner, "member-of", SERVICE_PASSWORD).await;
    grant(&mut admin, theirs, MOBILE_STAFF, &[Role::PortalAccess]).await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;

    // Our dora signs in with her password and has a phone.
    assert_eq!(sign_in(&app, "dora", "Pässwörd-1").await, "/");
    let ours_dora = stored(&app, "dora").await.unwrap();
    assert_eq!(ours_dora.directory_server, Some(ours));
    let (phone, _) = app
        .add_device("dora", Platform::Ios, "Dora Ünal's phone")
        .await;

    // The partner's dora, with a card only her directory knows: refused,
    // and the record stays as it was.
    let card = pki.card(card_with(|c| {
        c.upn = Some("dora@partner.example".to_owned())
    }));
    let mut newcomer = app.browser_using(pki.client(Some(&card)));
    let to = certificate_sign_in(&mut newcomer).await;
    assert!(to.contains("error=certificate-unknown-user"), "{to}");
    let record = stored(&app, "dora").await.unwrap();
    assert_eq!(
        (record.id, record.directory_server, record.email.as_str()),
        (ours_dora.id, Some(ours), "dora@example.org")
    );
    let refused = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("user.relink"))
        .filter(audit_event::Column::Outcome.eq("refused"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the refusal is audited");
    assert!(refused.details.contains("namesake"), "{}", refused.details);
    // Nor does her password open our dora's record.
    assert!(
        sign_in(&app, "dora", "Partner-pass-1")
            .await
            .contains("error=")
    );
    // Our directory disabled for a while: still refused.
    let mut form = server_form(&url, "member-of", "");
    let ours_id = ours.to_string();
    form.retain(|(k, _)| *k != "enabled");
    form.push(("id", &ours_id));
    admin.post_form("/api/admin/save_ldap_server", &form).await;
    let to = certificate_sign_in(&mut newcomer).await;
    assert!(to.contains("error="), "{to}");
    assert_eq!(stored(&app, "dora").await.unwrap().id, ours_dora.id);

    // Our directory deleted: the partner's dora signs in to a record of her
    // own, without our dora's phone; our dora's record is set aside with it.
    let response = admin
        .post_form("/api/admin/delete_ldap_server", &[("id", &ours_id)])
        .await;
    assert!(location(&response).contains("deleted="));
    assert_eq!(certificate_sign_in(&mut newcomer).await, "/");
    let hers = stored(&app, "dora").await.unwrap();
    assert_ne!(hers.id, ours_dora.id);
    assert_eq!(hers.directory_server, Some(theirs));
    assert_eq!(hers.email, "dora@partner.example");
    let page = newcomer.get("/").await.text().await.unwrap();
    assert!(page.contains("Dora Partner"), "{page}");
    assert!(!page.contains("Dora Ünal&#x27;s phone") && !page.contains("Dora Ünal's phone"));
    let owner = device::Entity::find_by_id(app::domain::ids::DeviceId(phone))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .owner_id;
    assert_eq!(owner, ours_dora.id);
    let former = user::Entity::find_by_id(ours_dora.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(former.username, format!("former-{}.dora", ours_dora.id));
    assert!(former.disabled);
    app.stop().await;
}
