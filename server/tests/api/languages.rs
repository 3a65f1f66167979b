//! The portal's languages: the browser's by default, the person's choice
//! once made (kept in a cookie, and for their e-mails), and a page in each.

use crate::helpers::{TestApp, TestDb, location, on_every_backend};
use app::domain::role::Role;
use app::server::entities::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

on_every_backend!(
    pages_follow_the_browser_until_the_person_chooses,
    the_choice_is_kept_for_the_persons_messages,
);

const PASSWORD: &str = "correct horse battery";

async fn page_in(app: &TestApp, path: &str, accept_language: &str) -> String {
    reqwest::Client::new()
        .get(app.url(path))
        .header("accept", "text/html")
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn pages_follow_the_browser_until_the_person_chooses(db: TestDb) {
    let app = TestApp::spawn(&db).await;

    let german = page_in(&app, "/sign-in", "de-DE,de;q=0.9,en;q=0.8").await;
    assert!(german.contains("<html lang=\"de\""), "{german}");
    assert!(german.contains("<h1>Anmelden</h1>"), "{german}");
    assert!(german.contains("Benutzername"), "{german}");
    let english = page_in(&app, "/sign-in", "fr-FR, en;q=0.5").await;
    assert!(english.contains("<html lang=\"en\""), "{english}");
    assert!(english.contains("<h1>Sign in</h1>"), "{english}");

    // The switch on every page: a plain form, back to the same page.
    let mut browser = app.browser();
    let page = browser
        .get("/sign-in?next=%2Fcertificates")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/api/language\""), "{page}");
    let response = browser
        .post_form(
            "/api/language",
            &[("lang", "de"), ("next", "/sign-in?next=%2Fcertificates")],
        )
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(location(&response), "/sign-in?next=%2Fcertificates");
    assert_eq!(
        browser.cookies.get("ssp-lang").map(String::as_str),
        Some("de")
    );
    let page = browser.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("<h1>Anmelden</h1>"), "{page}");

    // A language the portal does not speak, or a page elsewhere: refused,
    // or back home.
    let response = browser
        .post_form("/api/language", &[("lang", "xx"), ("next", "/")])
        .await;
    assert_eq!(response.status(), 400);
    let response = browser
        .post_form(
            "/api/language",
            &[("lang", "en"), ("next", "https://elsewhere.example/")],
        )
        .await;
    assert_eq!(location(&response), "/");
    let page = browser.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");

    // A refusal comes back in the language too.
    app.add_user("dana", &[Role::PortalAccess], PASSWORD).await;
    browser
        .post_form("/api/language", &[("lang", "de"), ("next", "/")])
        .await;
    let response = browser
        .post_form(
            "/api/sign_in",
            &[("username", "dana"), ("password", "wrong password")],
        )
        .await;
    let page = browser
        .get(&location(&response))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Passwort ist nicht korrekt"),
        "the refusal is not in German: {page}"
    );
    app.stop().await;
}

async fn the_choice_is_kept_for_the_persons_messages(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("erik", &[Role::PortalAccess], PASSWORD).await;
    let stored = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            user::Entity::find()
                .filter(user::Column::Username.eq("erik"))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .language
        }
    };
    assert_eq!(stored(&app).await, None);

    let mut browser = app.signed_in("erik", PASSWORD).await;
    let response = browser
        .post_form("/api/language", &[("lang", "de"), ("next", "/account")])
        .await;
    assert_eq!(location(&response), "/account");
    assert_eq!(stored(&app).await, Some(app::i18n::Lang::De));
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(page.contains("<html lang=\"de\""), "{page}");
    assert!(page.contains("Mein Konto"), "{page}");

    // Signing in from an English browser makes English their language.
    let mut english = app.browser();
    english.sign_in("erik", PASSWORD).await;
    assert_eq!(stored(&app).await, Some(app::i18n::Lang::En));
    app.stop().await;
}
