//! My account through the real server: changing one's own password (the
//! current one checked, with the sign-in lock), the list of one's sessions,
//! ending one or all others, and an administrator ending someone's.

use crate::helpers::{Browser, MailSink, TestApp, TestDb, location, on_every_backend};
use app::domain::role::Role;
use app::server::entities::{audit_event, password_link};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

const PASSWORD: &str = "a long enough password";
const NEW_PASSWORD: &str = "another long password";

on_every_backend!(
    people_change_their_own_password,
    people_see_and_end_their_sessions,
    administrators_add_reset_disable_and_enable_users,
    a_link_by_e_mail_sets_a_password_once,
);

/// The handles of the sessions a page lists, and which is this browser's.
fn handles(page: &str) -> Vec<(String, bool)> {
    page.split("<tr>")
        .skip(2)
        .filter_map(|row| {
            let at = row.find("name=\"handle\" value=\"")? + 21;
            let handle = row[at..].split('"').next()?.to_owned();
            Some((handle, row.contains("this browser")))
        })
        .collect()
}

async fn signed_out(browser: &mut Browser) -> bool {
    location(&browser.get("/account").await).starts_with("/sign-in")
}

async fn change(browser: &mut Browser, current: &str, new: &str, repeat: &str) -> String {
    let response = browser
        .post_form(
            "/api/account/password",
            &[("current", current), ("new", new), ("repeat", repeat)],
        )
        .await;
    assert_eq!(response.status(), 302);
    location(&response)
}

async fn people_change_their_own_password(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut here = app.signed_in("alice", PASSWORD).await;
    let mut elsewhere = app.signed_in("alice", PASSWORD).await;

    // Refusals say why, next to the form, and never echo a password.
    let to = change(&mut here, PASSWORD, NEW_PASSWORD, "another long passwort").await;
    assert_eq!(to, "/account?password=mismatch#password");
    let page = here.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("The new password and its repetition differ."),
        "{page}"
    );
    assert!(!page.contains(NEW_PASSWORD) && !page.contains(PASSWORD));
    let to = change(&mut here, PASSWORD, "short", "short").await;
    assert_eq!(to, "/account?password=too-short#password");
    let to = change(&mut here, "not my password", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(to, "/account?password=wrong-current#password");

    // The right one: changed, and the other session ends.
    let to = change(&mut here, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(to, "/account?password_changed=1");
    assert!(signed_out(&mut elsewhere).await);
    assert!(!signed_out(&mut here).await);
    let mut old = app.browser();
    assert!(location(&old.sign_in("alice", PASSWORD).await).contains("error=invalid"));
    let mut new = app.browser();
    assert_eq!(location(&new.sign_in("alice", NEW_PASSWORD).await), "/");

    // Wrong current passwords count towards the lock, as at sign-in.
    let mut locked = false;
    for _ in 0..8 {
        let to = change(&mut here, "not my password", PASSWORD, PASSWORD).await;
        if to == "/account?password=locked#password" {
            locked = true;
            break;
        }
    }
    assert!(locked, "wrong current passwords lead to the lock");
    app.stop().await;
}

async fn people_see_and_end_their_sessions(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let mut phone = app.signed_in("alice", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;

    let page = alice.get("/account").await.text().await.unwrap();
    assert!(page.contains("Where you are signed in"), "{page}");
    let listed = handles(&page);
    assert_eq!(listed.len(), 2, "{page}");
    assert_eq!(listed.iter().filter(|(_, current)| *current).count(), 1);
    let (other, _) = listed.iter().find(|(_, current)| !current).unwrap();

    // A handle of someone else's session ends nothing of theirs.
    let bob_page = bob.get("/account").await.text().await.unwrap();
    let (bobs, _) = handles(&bob_page).remove(0);
    alice
        .post_form("/api/account/end_sessions", &[("handle", &bobs)])
        .await;
    assert!(!signed_out(&mut bob).await, "bob's session goes on");

    // One of her own, by its handle.
    let ended = alice
        .post_form("/api/account/end_sessions", &[("handle", other)])
        .await;
    assert_eq!(location(&ended), "/account?sessions_ended=1#sessions");
    assert!(signed_out(&mut phone).await);
    assert!(!signed_out(&mut alice).await);

    // Everywhere else.
    let mut laptop = app.signed_in("alice", PASSWORD).await;
    alice.post_form("/api/account/end_sessions", &[]).await;
    assert!(signed_out(&mut laptop).await);
    assert!(!signed_out(&mut alice).await);

    // An administrator sees her sessions and ends them; nobody else may.
    let forbidden = bob
        .post_form("/api/admin/end_user_sessions", &[("username", "alice")])
        .await;
    assert_eq!(forbidden.status(), 403);
    let mut root = app.signed_in("root", PASSWORD).await;
    let page = root.get("/admin/users/alice").await.text().await.unwrap();
    assert_eq!(handles(&page).len(), 1, "{page}");
    let ended = root
        .post_form("/api/admin/end_user_sessions", &[("username", "alice")])
        .await;
    assert_eq!(
        location(&ended),
        "/admin/users/alice?sessions_ended=1#sessions"
    );
    assert!(signed_out(&mut alice).await);
    assert!(!signed_out(&mut bob).await);
    app.stop().await;
}

/// The password a user's page shows once, if it shows one.
fn revealed(page: &str) -> Option<String> {
    let at = page.find("id=\"revealed-password\"")?;
    let rest = &page[at..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(rest[open..open + close].to_owned())
}

async fn administrators_add_reset_disable_and_enable_users(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    let mut root = app.signed_in("root", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let add = |name: &'static str, email: &'static str| {
        vec![
            ("username", name),
            ("display_name", "Dana Example"),
            ("email", email),
            ("roles[portal-access]", "on"),
            ("roles[lock]", "on"),
        ]
    };
    // Only administrators.
    let forbidden = bob.post_form("/api/admin/add_user", &add("dana", "")).await;
    assert_eq!(forbidden.status(), 403);

    // What cannot be taken goes back next to the field.
    let refused = root
        .post_form("/api/admin/add_user", &add("dana", "not an address"))
        .await;
    let to = location(&refused);
    assert!(
        to.starts_with("/admin/users?") && to.ends_with("#add"),
        "{to}"
    );
    let page = root.get(&to).await.text().await.unwrap();
    assert!(
        page.contains("Enter an e-mail address like name@example.com"),
        "{page}"
    );
    assert!(page.contains("value=\"not an address\""), "{page}");

    // Added: the password shows once, and works.
    let added = root
        .post_form("/api/admin/add_user", &add("Dana", "dana@example.com"))
        .await;
    assert_eq!(location(&added), "/admin/users/dana?saved=1");
    let page = root
        .get("/admin/users/dana?saved=1")
        .await
        .text()
        .await
        .unwrap();
    let first = revealed(&page).expect("the password is shown");
    let handed = added
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(handed.contains("ssp_new_password=v1:"), "{handed}");
    assert!(
        !handed.contains(&first),
        "the browser keeps the password sealed: {handed}"
    );
    let again = root.get("/admin/users/dana").await.text().await.unwrap();
    assert_eq!(revealed(&again), None, "shown once");
    let mut dana = app.signed_in("dana", &first).await;
    assert!(!signed_out(&mut dana).await);
    let created = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("user.create"))
        .filter(audit_event::Column::Target.eq("dana"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("audited");
    assert_eq!(created.actor.as_deref(), Some("root"));
    let exists = root
        .post_form("/api/admin/add_user", &add("dana", ""))
        .await;
    let page = root.get(&location(&exists)).await.text().await.unwrap();
    assert!(page.contains("exists already"), "{page}");

    // A new password: shown once, her sessions end, the old one is gone.
    let reset = root
        .post_form("/api/admin/reset_password", &[("username", "dana")])
        .await;
    let page = root.get(&location(&reset)).await.text().await.unwrap();
    let second = revealed(&page).expect("the new password is shown");
    assert_ne!(first, second);
    assert!(signed_out(&mut dana).await);
    let mut old = app.browser();
    assert!(location(&old.sign_in("dana", &first).await).contains("error="));
    let mut dana = app.signed_in("dana", &second).await;

    // Disabled: signed out and kept out; enabled again: back in.
    let enabled = |on: &'static str| vec![("username", "dana"), ("enabled", on)];
    root.post_form("/api/admin/set_user_enabled", &enabled("false"))
        .await;
    assert!(signed_out(&mut dana).await);
    let mut again = app.browser();
    assert!(location(&again.sign_in("dana", &second).await).contains("error="));
    root.post_form("/api/admin/set_user_enabled", &enabled("true"))
        .await;
    assert_eq!(location(&again.sign_in("dana", &second).await), "/");
    // The last administrator stays.
    let last = root
        .post_form(
            "/api/admin/set_user_enabled",
            &[("username", "root"), ("enabled", "false")],
        )
        .await;
    assert_eq!(location(&last), "/admin/users/root?error=last-admin");

    // Without a mail server, a link cannot be the way: said next to the choice.
    let mut by_link = add("erin", "erin@example.com");
    by_link.push(("password", "link"));
    let refused = root.post_form("/api/admin/add_user", &by_link).await;
    assert!(
        location(&refused).contains("refused=no-mail"),
        "{}",
        location(&refused)
    );
    let page = root.get(&location(&refused)).await.text().await.unwrap();
    assert!(page.contains("no mail server"), "{page}");
    let reset = root
        .post_form(
            "/api/admin/reset_password",
            &[("username", "dana"), ("link", "1")],
        )
        .await;
    assert_eq!(location(&reset), "/admin/users/dana?error=no-mail");
    app.stop().await;
}

async fn set_with(
    visitor: &mut Browser,
    token: &str,
    new: &str,
    repeat: &str,
) -> reqwest::Response {
    let form = [("token", token), ("new", new), ("repeat", repeat)];
    visitor.post_form("/api/set_password", &form).await
}

/// The secret of the first link to set a password in `mail`.
fn link_token(mail: &str) -> String {
    // Long lines travel quoted-printable: joined again here.
    let mail = mail.replace("=\n", "");
    let at = mail.find("/set-password/").expect("a link") + "/set-password/".len();
    mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn a_link_by_e_mail_sets_a_password_once(db: TestDb) {
    let mail = MailSink::start().await;
    let app = TestApp::spawn_with(&db, |config| mail.configure(config)).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    let mut root = app.signed_in("root", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let erin = [
        ("username", "erin"),
        ("display_name", "Erin Example"),
        ("email", "erin@example.com"),
        ("phone", "+44 7700 900123"),
        ("roles[portal-access]", "on"),
        ("password", "link"),
    ];
    // A link needs an address to go to.
    let mut nowhere = erin.to_vec();
    nowhere[2] = ("email", "");
    let refused = root.post_form("/api/admin/add_user", &nowhere).await;
    let page = root.get(&location(&refused)).await.text().await.unwrap();
    assert!(page.contains("needs an e-mail address"), "{page}");

    let added = root.post_form("/api/admin/add_user", &erin).await;
    assert_eq!(location(&added), "/admin/users/erin?link_sent=1");
    let page = root.get(&location(&added)).await.text().await.unwrap();
    assert!(page.contains("on its way"), "{page}");
    assert!(page.contains("+447700900123"), "the number is kept: {page}");
    assert!(!page.contains("revealed-password"), "no password to show");
    // No password yet: nothing signs her in.
    let mut stranger = app.browser();
    assert!(location(&stranger.sign_in("erin", "").await).contains("error="));

    let mails = mail.wait_for(1).await;
    assert!(mails[0].contains("erin@example.com"), "{}", mails[0]);
    let token = link_token(&mails[0]);
    assert_eq!(token.len(), 43, "{}", mails[0]);
    // Only a hash is kept.
    let stored = password_link::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token);

    // Anyone with the link, signed in or not, may use it.
    let mut visitor = app.browser();
    let page_of_link = format!("/set-password/{token}");
    let opened = visitor.get(&page_of_link).await;
    assert_eq!(opened.status(), 200);
    assert!(opened.text().await.unwrap().contains("erin"));
    let mismatch = set_with(&mut visitor, &token, NEW_PASSWORD, "something else").await;
    assert_eq!(
        location(&mismatch),
        format!("{page_of_link}?password=mismatch")
    );
    let page = visitor
        .get(&location(&mismatch))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("differ"), "{page}");
    let short = set_with(&mut visitor, &token, "short", "short").await;
    assert_eq!(
        location(&short),
        format!("{page_of_link}?password=too-short")
    );

    let done = set_with(&mut visitor, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&done), "/sign-in?password_set=1&username=erin");
    let mut erin_browser = app.signed_in("erin", NEW_PASSWORD).await;
    assert!(!signed_out(&mut erin_browser).await);
    // Once only.
    let again = set_with(
        &mut visitor,
        &token,
        "yet another password",
        "yet another password",
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(visitor.get(&page_of_link).await.status(), 409);
    let by = |action: &'static str| {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .filter(audit_event::Column::Target.eq("erin"))
            .one(&app.db)
    };
    let issued = by("user.password_link").await.unwrap().unwrap();
    assert_eq!(issued.actor.as_deref(), Some("root"));
    let used = by("user.password").await.unwrap().unwrap();
    assert_eq!(used.actor.as_deref(), Some("erin"));
    let mailed = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("password_link.email"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the sending is audited");
    assert_eq!(mailed.actor.as_deref(), Some("root"));

    // A reset by link: her password and session stay until she uses it;
    // a newer link replaces the older one. Only administrators send them.
    let reset = [("username", "erin"), ("link", "1")];
    let forbidden = bob.post_form("/api/admin/reset_password", &reset).await;
    assert_eq!(forbidden.status(), 403);
    let sent = root.post_form("/api/admin/reset_password", &reset).await;
    assert_eq!(location(&sent), "/admin/users/erin?link_sent=1");
    let older = link_token(&mail.wait_for(2).await[1]);
    root.post_form("/api/admin/reset_password", &reset).await;
    let newer = link_token(&mail.wait_for(3).await[2]);
    assert!(!signed_out(&mut erin_browser).await);
    let link_status = async |visitor: &mut Browser, token: &str| {
        visitor
            .get(&format!("/set-password/{token}"))
            .await
            .status()
    };
    assert_eq!(link_status(&mut visitor, &older).await, 409);
    assert_eq!(link_status(&mut visitor, &newer).await, 200);
    // An expired link, or one of a disabled person, does nothing.
    let row = password_link::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut expired: password_link::ActiveModel = row.clone().into();
    expired.expires_at = Set(chrono::Utc::now() - chrono::TimeDelta::minutes(1));
    expired.update(&app.db).await.unwrap();
    assert_eq!(link_status(&mut visitor, &newer).await, 409);
    let mut fresh: password_link::ActiveModel = row.into();
    fresh.expires_at = Set(chrono::Utc::now() + chrono::TimeDelta::hours(1));
    fresh.update(&app.db).await.unwrap();
    let enabled = |on: &'static str| vec![("username", "erin"), ("enabled", on)];
    root.post_form("/api/admin/set_user_enabled", &enabled("false"))
        .await;
    assert_eq!(link_status(&mut visitor, &newer).await, 409);
    // No new link for a disabled person: it could not be used.
    let refused = root.post_form("/api/admin/reset_password", &reset).await;
    assert_eq!(location(&refused), "/admin/users/erin?error=disabled");
    root.post_form("/api/admin/set_user_enabled", &enabled("true"))
        .await;
    let mut erin_browser = app.signed_in("erin", NEW_PASSWORD).await;
    let used = set_with(
        &mut visitor,
        &newer,
        "the third password",
        "the third password",
    )
    .await;
    assert!(
        location(&used).starts_with("/sign-in?password_set=1"),
        "{}",
        location(&used)
    );
    // Her sessions ended with the old password.
    assert!(signed_out(&mut erin_browser).await);
    app.signed_in("erin", "the third password").await;
    // A crafted token is simply a link that does not work.
    let crafted = set_with(&mut visitor, "../admin", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(crafted.status(), 409);
    app.stop().await;
}
