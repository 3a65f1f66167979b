//! Sign-in, sessions, the anti-forgery check and the admin area's
//! authorization, through the real HTTP server.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::entities::session;
use chrono::{TimeDelta, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

const PASSWORD: &str = "a long enough password";

on_every_backend!(
    sign_in_right_and_wrong,
    pages_need_a_session,
    session_survives_a_restart,
    idle_sessions_end,
    forged_requests_are_refused,
    non_admins_get_403_from_every_admin_function,
    six_failures_lock_the_user_name,
    a_burst_of_parallel_guesses_gets_six_tries,
    a_burst_over_many_names_gets_thirty_tries,
    disabled_users_cannot_sign_in,
    admin_changes_roles_and_it_is_audited,
    two_administrators_cannot_demote_each_other_at_once,
    sign_out_ends_the_session,
    over_https_cookies_are_this_hosts_alone,
    the_audit_log_keeps_events_for_the_days_chosen,
);

async fn sign_in_right_and_wrong(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;

    let mut browser = app.browser();
    let wrong = browser.sign_in("alice", "not the password").await;
    let location = wrong.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/sign-in?error=invalid"), "{location}");
    assert!(!browser.cookies.contains_key("ssp_session"));
    let html = browser.get(&location).await.text().await.unwrap();
    assert!(
        html.contains("The user name or password is not correct."),
        "{html}"
    );
    assert!(
        !html.contains("not the password"),
        "the password is never echoed"
    );

    let unknown = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(
        unknown.headers()["location"]
            .to_str()
            .unwrap()
            .split('&')
            .next(),
        location.split('&').next(),
        "unknown user and wrong password look the same"
    );

    let right = browser.sign_in("ALICE", PASSWORD).await;
    assert_eq!(right.headers()["location"], "/");
    let session_cookie = right
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("ssp_session="))
        .unwrap();
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(
        !session_cookie.contains("Secure"),
        "plain HTTP here: {session_cookie}"
    );
    let html = browser.get("/").await.text().await.unwrap();
    assert!(html.contains("alice Example"), "{html}");

    // Signing in again gives a new session id and ends the old session.
    let first = browser.cookies["ssp_session"].clone();
    let mut old = browser.moved_to(&app);
    let again = old.sign_in("alice", PASSWORD).await;
    assert_eq!(again.headers()["location"], "/");
    assert_ne!(old.cookies["ssp_session"], first);
    old.cookies.insert("ssp_session".to_owned(), first);
    assert_eq!(
        old.get("/").await.status(),
        303,
        "the previous session is gone"
    );
    app.stop().await;
}

async fn pages_need_a_session(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut browser = app.browser();
    let home = browser.get("/").await;
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()["location"], "/sign-in?next=%2F");
    let admin = browser.get("/admin/users?q=a").await;
    assert_eq!(
        admin.headers()["location"],
        "/sign-in?next=%2Fadmin%2Fusers%3Fq%3Da"
    );
    let sign_in = browser.get("/sign-in?next=%2Fadmin").await;
    assert_eq!(sign_in.status(), 200);
    let html = sign_in.text().await.unwrap();
    assert!(html.contains(r#"name="next" value="/admin""#), "{html}");

    // A program without a session gets 401.
    let token = browser.csrf();
    let api = browser
        .post_raw(
            "/api/whoami",
            &[("csrf_token", token)],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(api.status(), 401);
    app.stop().await;
}

async fn session_survives_a_restart(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let browser = app.signed_in("alice", PASSWORD).await;
    app.stop().await;

    let again = TestApp::spawn(&db).await;
    let mut browser = browser.moved_to(&again);
    let home = browser.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("alice Example"));
    again.stop().await;
}

async fn idle_sessions_end(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    let mut admin = app.signed_in("admin", PASSWORD).await;

    // The administrator shortens the idle timeout to 5 minutes…
    let saved = admin
        .post_form("/api/admin/save_settings", &[("idle_timeout_minutes", "5")])
        .await;
    assert_eq!(saved.headers()["location"], "/admin/settings?saved=1");
    // …and a value out of range is refused and shown again with the reason.
    let refused = admin
        .post_form(
            "/api/admin/save_settings",
            &[("idle_timeout_minutes", "200")],
        )
        .await;
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    let html = admin.get(&location).await.text().await.unwrap();
    assert!(html.contains("Choose between 5 and 90 minutes."), "{html}");
    assert!(html.contains(r#"value="200""#), "{html}");

    // Six minutes without a request later, the session is over.
    for row in session::Entity::find().all(&app.db).await.unwrap() {
        let mut row: session::ActiveModel = row.into();
        row.last_seen_at = Set(Utc::now() - TimeDelta::minutes(6));
        row.update(&app.db).await.unwrap();
    }
    let home = admin.get("/").await;
    assert_eq!(home.status(), 303);
    assert!(
        !admin.cookies.contains_key("ssp_session"),
        "the dead cookie is cleared"
    );
    assert!(
        session::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

async fn forged_requests_are_refused(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let token = alice.csrf();
    let html = [("accept", "text/html")];

    let none = alice.post_raw("/api/sign_out", &[], &html).await;
    assert_eq!(none.status(), 403);
    assert!(
        none.text()
            .await
            .unwrap()
            .contains("did not come from this portal")
    );

    let wrong = alice
        .post_raw("/api/sign_out", &[("csrf_token", "x".repeat(43))], &html)
        .await;
    assert_eq!(wrong.status(), 403);

    let foreign = alice
        .post_raw(
            "/api/sign_out",
            &[("csrf_token", token.clone())],
            &[("accept", "text/html"), ("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(foreign.status(), 403);

    let cross_site = alice
        .post_raw(
            "/api/sign_out",
            &[("csrf_token", token.clone())],
            &[("accept", "text/html"), ("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross_site.status(), 403);

    // Still signed in: nothing above had any effect.
    assert_eq!(alice.get("/").await.status(), 200);

    let real = alice
        .post_raw(
            "/api/sign_out",
            &[("csrf_token", token)],
            &[
                ("accept", "text/html"),
                ("origin", &format!("http://{}", app.addr)),
            ],
        )
        .await;
    assert_eq!(real.status(), 302);
    assert_eq!(real.headers()["location"], "/sign-in?signed_out=1");
    app.stop().await;
}

async fn non_admins_get_403_from_every_admin_function(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    let all_but_admin: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Administrator)
        .collect();
    app.add_user("carol", &all_but_admin, PASSWORD).await;
    let mut carol = app.signed_in("carol", PASSWORD).await;
    let token = carol.csrf();
    let json = [("accept", "application/json")];
    for path in [
        "/api/admin/list_users?query=&page=1",
        "/api/admin/get_user?username=admin",
        "/api/admin/search_audit?filter%5Bactor%5D=admin&page=1",
        "/api/admin/get_settings",
        "/admin/audit.csv",
    ] {
        let response = carol.get_accepting(path, "application/json").await;
        assert_eq!(response.status(), 403, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("Administrator"), "{path}: {body}");
    }
    // A filter no date arithmetic can follow is refused, not a broken connection.
    let page = carol.get("/admin/audit?to=%2B262142-12-31").await;
    assert_eq!(page.status(), 403);
    let writes: [(&str, Vec<(&str, String)>); 2] = [
        (
            "/api/admin/save_user_roles",
            vec![
                ("username", "carol".into()),
                ("roles[administrator]", "on".into()),
            ],
        ),
        (
            "/api/admin/save_settings",
            vec![("idle_timeout_minutes", "90".into())],
        ),
    ];
    for (path, mut fields) in writes {
        fields.push(("csrf_token", token.clone()));
        let response = carol.post_raw(path, &fields, &json).await;
        assert_eq!(response.status(), 403, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("Administrator"), "{path}: {body}");
    }
    // A malformed call (no user named) is a 400, not a failure of the server.
    let malformed = carol
        .post_raw(
            "/api/admin/save_user_roles",
            &[("csrf_token", token.clone())],
            &json,
        )
        .await;
    assert_eq!(malformed.status(), 400);
    let page = carol.get("/admin/users").await;
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("Not allowed"));

    // The crafted role change did nothing.
    let mut admin = app.signed_in("admin", PASSWORD).await;
    let html = admin.get("/admin/users/carol").await.text().await.unwrap();
    assert!(
        !html.contains(r#"name="roles[administrator]" checked"#),
        "{html}"
    );
    app.stop().await;
}

async fn six_failures_lock_the_user_name(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut browser = app.browser();
    for attempt in 1..=6 {
        let response = browser.sign_in("alice", "wrong password").await;
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/sign-in?error=invalid"),
            "attempt {attempt}: {location}"
        );
    }
    let locked = browser.sign_in("alice", PASSWORD).await;
    let location = locked.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/sign-in?error=locked&minutes=15"),
        "{location}"
    );
    assert!(!browser.cookies.contains_key("ssp_session"));
    let html = browser.get(&location).await.text().await.unwrap();
    assert!(
        html.contains("Too many failed sign-ins. Try again in 15 minute(s)."),
        "{html}"
    );

    // Another user name is not locked.
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    let bob = app.browser().sign_in("bob", PASSWORD).await;
    assert_eq!(bob.headers()["location"], "/");
    app.stop().await;
}

async fn disabled_users_cannot_sign_in(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    app.add_user("dave", &[Role::PortalAccess], PASSWORD).await;
    app.add_user("erin", &[], PASSWORD).await;
    let mut dave = app.signed_in("dave", PASSWORD).await;
    app.disable("dave").await;
    assert_eq!(
        dave.get("/").await.status(),
        303,
        "disabling ends the session"
    );
    let refused = dave.sign_in("dave", PASSWORD).await;
    assert!(
        refused.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in?error=disabled")
    );
    let erin = app.browser().sign_in("erin", PASSWORD).await;
    assert!(
        erin.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in?error=no-access")
    );
    app.stop().await;
}

async fn admin_changes_roles_and_it_is_audited(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    app.add_user("carol", &[Role::PortalAccess], PASSWORD).await;
    let mut admin = app.signed_in("admin", PASSWORD).await;
    let mut carol = app.signed_in("carol", PASSWORD).await;
    assert!(
        !carol
            .get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Lock your device")
    );

    let saved = admin
        .post_form(
            "/api/admin/save_user_roles",
            &[
                ("username", "carol"),
                ("roles[portal-access]", "on"),
                ("roles[lock]", "on"),
            ],
        )
        .await;
    assert_eq!(saved.headers()["location"], "/admin/users/carol?saved=1");
    let html = admin
        .get("/admin/users/carol?saved=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Roles saved."), "{html}");
    assert!(
        carol
            .get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Lock your device")
    );

    // The last administrator cannot remove their own Administrator role.
    let refused = admin
        .post_form(
            "/api/admin/save_user_roles",
            &[("username", "admin"), ("roles[portal-access]", "on")],
        )
        .await;
    assert_eq!(
        refused.headers()["location"],
        "/admin/users/admin?error=last-admin"
    );

    let csv = admin.get("/admin/audit.csv?action=user.roles").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains(",admin,user.roles,carol,,success,"),
        "{csv}"
    );
    assert!(lines[1].contains("lock"), "{csv}");

    let page = admin
        .get("/admin/audit?action=sign_in&outcome=success")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("sign_in"), "{page}");
    assert!(page.contains("Page 1 of 1 · 2 in all"), "{page}");
    // The last day there is, as the page's and the export's upper bound.
    for path in [
        "/admin/audit?to=%2B262142-12-31",
        "/admin/audit.csv?to=%2B262142-12-31",
    ] {
        assert_eq!(admin.get(path).await.status(), 200, "{path}");
    }
    app.stop().await;
}

/// Two administrators taking each other's Administrator role at the same
/// moment: one of the two changes is refused, every time.
async fn two_administrators_cannot_demote_each_other_at_once(db: TestDb) {
    use app::domain::{role::RoleSet, username::Username};
    use app::server::{Admin, accounts, audit::RequestOrigin};

    let app = TestApp::spawn(&db).await;
    let admin = [Role::PortalAccess, Role::Administrator];
    app.add_user("ann", &admin, PASSWORD).await;
    app.add_user("ben", &admin, PASSWORD).await;
    let (origin, actor) = (RequestOrigin::command_line(), Admin::command_line());
    let name = |n: &str| Username::parse(n).unwrap();
    let set = |who: &'static str, roles: RoleSet| {
        let (db, origin, actor) = (&app.db, &origin, &actor);
        async move {
            let who = name(who);
            accounts::set_roles(db, origin, actor, &who, roles, Utc::now()).await
        }
    };
    for round in 0..30 {
        let portal_only = RoleSet::new([Role::PortalAccess]);
        let (a, b) = tokio::join!(set("ann", portal_only.clone()), set("ben", portal_only));
        let (a, b) = (a.map(|_| "changed"), b.map(|_| "changed"));
        assert!(a.is_ok() != b.is_ok(), "round {round}: {a:?} / {b:?}");
        assert!(accounts::an_administrator_remains(&app.db).await.unwrap());
        set("ann", RoleSet::new(admin)).await.unwrap();
        set("ben", RoleSet::new(admin)).await.unwrap();
    }
    app.stop().await;
}

async fn sign_out_ends_the_session(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let old_cookies = alice.cookies.clone();
    let out = alice.post_form("/api/sign_out", &[]).await;
    assert_eq!(out.headers()["location"], "/sign-in?signed_out=1");
    assert!(!alice.cookies.contains_key("ssp_session"));
    assert_ne!(
        alice.cookies.get("ssp_csrf"),
        old_cookies.get("ssp_csrf"),
        "a new token"
    );
    alice.cookies = old_cookies;
    assert_eq!(alice.get("/").await.status(), 303, "the old cookie is dead");
    assert!(
        session::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

async fn a_burst_of_parallel_guesses_gets_six_tries(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    assert_eq!(burst(&app, 20, |_| "alice".to_owned()).await, (6, 14));
    app.stop().await;
}

/// Guesses over many names from one address at once: the address's limit
/// (30) holds too, though no two guesses share a name. (Attempts still
/// being checked count against it, so a burst may get fewer.)
async fn a_burst_over_many_names_gets_thirty_tries(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let (failures, refused) = burst(&app, 60, |i| format!("name{i}")).await;
    assert!(
        failures <= 30 && failures + refused == 60,
        "{failures} / {refused}"
    );
    app.stop().await;
}

/// Sends `n` sign-ins at once from one address (`name(i)`, a wrong
/// password each) and counts the audited failures and refusals.
async fn burst(app: &TestApp, n: usize, name: impl Fn(usize) -> String) -> (usize, usize) {
    use app::server::entities::audit_event;
    use sea_orm::{ColumnTrait, QueryFilter};

    let mut browser = app.browser();
    browser.get("/sign-in").await;
    let token = browser.csrf();
    let cookie = format!("ssp_csrf={token}");
    let guesses: Vec<_> = (0..n)
        .map(|i| {
            let request = app
                .client
                .post(app.url("/api/sign_in"))
                .header("cookie", cookie.clone())
                .header("accept", "text/html")
                .form(&[
                    ("csrf_token", token.clone()),
                    ("username", name(i)),
                    ("password", format!("guess number {i}")),
                ]);
            tokio::spawn(request.send())
        })
        .collect();
    for guess in guesses {
        assert_eq!(guess.await.unwrap().unwrap().status(), 302);
    }
    let outcomes: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("sign_in"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome.as_str().to_owned())
        .collect();
    let failures = outcomes.iter().filter(|o| *o == "failure").count();
    let refused = outcomes.iter().filter(|o| *o == "refused").count();
    (failures, refused)
}

/// With an https:// address the cookies are `__Host-` (Secure, this host
/// only: no other host of the domain can plant one) and browsers are told
/// to stay on HTTPS.
async fn over_https_cookies_are_this_hosts_alone(db: TestDb) {
    let app = TestApp::spawn_with(&db, |c| {
        c.public_url = "https://portal.example.org".to_owned();
    })
    .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut browser = app.browser();
    let page = browser.get("/sign-in").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let sets_secure = |response: &reqwest::Response, name: &str| {
        let prefix = format!("{name}=");
        let mut values = response.headers().get_all("set-cookie").iter();
        values.any(|v| {
            v.to_str()
                .is_ok_and(|v| v.starts_with(&prefix) && v.contains("; Secure"))
        })
    };
    assert!(sets_secure(&page, "__Host-ssp_csrf"));
    let signed_in = browser.sign_in("alice", PASSWORD).await;
    assert!(sets_secure(&signed_in, "__Host-ssp_session"));
    assert_eq!(browser.get("/").await.status(), 200);

    // The same session under the old name is nobody's.
    let token = browser.cookies["__Host-ssp_session"].clone();
    let mut planted = app.browser();
    planted.cookies.insert("ssp_session".to_owned(), token);
    assert_eq!(planted.get("/").await.status(), 303);
    app.stop().await;
}

/// Admin → Settings says how long the audit log keeps events; housekeeping
/// removes older ones. Rows that strangers cause stay small.
async fn the_audit_log_keeps_events_for_the_days_chosen(db: TestDb) {
    use app::domain::audit::Outcome;
    use app::server::audit::{self, Event, RequestOrigin};
    use app::server::entities::audit_event;
    use sea_orm::{ColumnTrait, QueryFilter};

    let app = TestApp::spawn(&db).await;
    let admin_roles = [Role::PortalAccess, Role::Administrator];
    app.add_user("admin", &admin_roles, PASSWORD).await;
    let mut admin = app.signed_in("admin", PASSWORD).await;
    let too_short = admin
        .post_form(
            "/api/admin/save_settings",
            &[("audit_retention_days", "20")],
        )
        .await;
    let location = too_short.headers()["location"].to_str().unwrap().to_owned();
    let html = admin.get(&location).await.text().await.unwrap();
    assert!(
        html.contains("Enter a number of days from 30 to 3650."),
        "{html}"
    );
    assert!(html.contains(r#"value="20""#), "{html}");
    let saved = admin
        .post_form(
            "/api/admin/save_settings",
            &[("audit_retention_days", "30")],
        )
        .await;
    assert_eq!(saved.headers()["location"], "/admin/settings?saved=1");
    let retention = app::server::settings::audit_retention(&app.db)
        .await
        .unwrap();
    assert_eq!(retention.days(), 30);

    // How long Wipe and Retire wait: 2 minutes unless set, 0 to 60.
    let html = admin.get("/admin/settings").await.text().await.unwrap();
    assert!(html.contains(r#"id="action_hold_minutes""#), "{html}");
    assert!(html.contains(r#"value="2""#), "{html}");
    let too_long = admin
        .post_form("/api/admin/save_settings", &[("action_hold_minutes", "61")])
        .await;
    let location = too_long.headers()["location"].to_str().unwrap().to_owned();
    let html = admin.get(&location).await.text().await.unwrap();
    assert!(
        html.contains("Enter a whole number of minutes from 0 to 60."),
        "{html}"
    );
    admin
        .post_form("/api/admin/save_settings", &[("action_hold_minutes", "0")])
        .await;
    let hold = app::server::settings::action_hold(&app.db).await.unwrap();
    assert_eq!(hold.minutes(), 0);

    let origin = RequestOrigin::command_line();
    for (days, target) in [(31, "old"), (29, "recent")] {
        let event = Event {
            actor: None,
            action: "test.event",
            target: Some(target),
            device_id: None,
            outcome: Outcome::Success,
            details: serde_json::json!({}),
        };
        let at = Utc::now() - TimeDelta::days(days);
        audit::record(&app.db, &origin, at, event).await.unwrap();
    }
    assert_eq!(
        audit::prune(&app.db, retention, Utc::now()).await.unwrap(),
        1
    );
    let left: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("test.event"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.target)
        .collect();
    assert_eq!(left, ["recent"]);

    // A stranger's failed sign-in with a long user agent.
    let mut stranger = app.browser();
    stranger.get("/sign-in").await;
    let token = stranger.csrf();
    let long_agent = "x".repeat(500);
    let origin = app.url("");
    stranger
        .post_raw(
            "/api/sign_in",
            &[
                ("csrf_token", token),
                ("username", "nobody".into()),
                ("password", "wrong".into()),
            ],
            &[("user-agent", &long_agent), ("origin", &origin)],
        )
        .await;
    let failed = audit_event::Entity::find()
        .filter(audit_event::Column::Target.eq("nobody"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the failure is audited");
    assert_eq!(failed.user_agent.len(), 120);
    app.stop().await;
}
