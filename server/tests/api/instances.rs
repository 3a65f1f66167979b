//! Several instances on one database: what one queues another may send,
//! nothing is sent twice in normal running, a restart loses nothing, they
//! migrate once and share one key.

use crate::helpers::{MailSink, TestApp, TestDb, on_every_backend};
use app::domain::outbox::OutboxState;
use app::server::entities::outbox;
use app::server::messages::{Outgoing, Recipient};
use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use server::{Server, config::Config};

on_every_backend!(
    instances_started_together_migrate_once,
    an_instance_with_another_key_is_refused,
    two_instances_send_each_queued_message_once,
    a_message_queued_before_a_restart_is_sent_after_it,
    one_instance_at_a_time_does_a_job
);

fn config_for(db: &TestDb) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: db.url.clone(),
        database_pool_size: 4,
        secret_key: db.secret_key.clone(),
        ..Config::default()
    }
}

fn note(n: usize) -> Outgoing {
    Outgoing {
        to: Recipient::Email(format!("person{n}@example.com")),
        subject: format!("Note {n}"),
        text: format!("Note number {n}"),
        html: format!("<p>Note number {n}</p>"),
        audit_action: "test.note",
        actor: "root".to_owned(),
        device_id: None,
        tracks_registration: None,
    }
}

/// The Message-ID of each mail, in the order they came.
fn message_ids(mails: &[String]) -> Vec<String> {
    mails
        .iter()
        .map(|mail| {
            mail.lines()
                .find_map(|line| line.strip_prefix("Message-ID: "))
                .unwrap_or_else(|| panic!("no Message-ID in {mail}"))
                .to_owned()
        })
        .collect()
}

async fn instances_started_together_migrate_once(db: TestDb) {
    let (first, second) = (config_for(&db), config_for(&db));
    // A SQLite file is one process's: there, one starts after the other.
    let (a, b) = if db.url.starts_with("postgres") {
        tokio::join!(Server::bind(&first), Server::bind(&second))
    } else {
        let a = Server::bind(&first).await;
        (a, Server::bind(&second).await)
    };
    let (a, b) = (a.unwrap(), b.unwrap());
    a.database().clone().close().await.unwrap();
    b.database().clone().close().await.unwrap();
}

async fn an_instance_with_another_key_is_refused(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let other = Config {
        secret_key: app::server::secrets::Sealer::generate_key().unwrap(),
        ..config_for(&db)
    };
    let refused = Server::bind(&other).await.err().expect("refused");
    let message = refused.to_string();
    assert!(message.contains("secret_key"), "{message}");
    assert!(message.contains("same secret_key"), "{message}");
    // The same key is welcome.
    let same = Server::bind(&config_for(&db)).await.unwrap();
    same.database().clone().close().await.unwrap();
    app.stop().await;
}

async fn two_instances_send_each_queued_message_once(db: TestDb) {
    let mail = MailSink::start().await;
    let one = TestApp::spawn_with(&db, |c| mail.configure(c)).await;
    let two = TestApp::spawn_with(&db, |c| mail.configure(c)).await;
    // Queued half by each: both senders race for every message.
    for n in 0..24 {
        let app = if n % 2 == 0 { &one } else { &two };
        app.messenger
            .queue(&app.db, note(n), Utc::now())
            .await
            .unwrap();
    }
    mail.wait_for(24).await;
    // Time for a second copy to arrive, if one were on its way.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mails = mail.messages.lock().unwrap().clone();
    let mut ids = message_ids(&mails);
    ids.sort();
    ids.dedup();
    assert_eq!((mails.len(), ids.len()), (24, 24), "each one once");
    let rows = outbox::Entity::find().all(&one.db).await.unwrap();
    assert!(
        rows.iter().all(|r| r.state == OutboxState::Sent),
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| r.body.is_none()),
        "sent: the text is gone"
    );
    one.stop().await;
    two.stop().await;
}

async fn a_message_queued_before_a_restart_is_sent_after_it(db: TestDb) {
    // A mail server that is down: the first attempt fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let before = TestApp::spawn_with(&db, |c| {
        c.smtp_host = "127.0.0.1".to_owned();
        c.smtp_port = closed;
        c.smtp_tls = server::config::SmtpTlsMode::None;
    })
    .await;
    let mut secret = note(1);
    secret.text = "Your PIN is 81726354".to_owned();
    before
        .messenger
        .queue(&before.db, secret, Utc::now())
        .await
        .unwrap();
    let mut row = None;
    for _ in 0..100 {
        row = outbox::Entity::find()
            .filter(outbox::Column::Attempts.eq(1))
            .filter(outbox::Column::Claim.is_null())
            .one(&before.db)
            .await
            .unwrap();
        if row.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let row = row.expect("a first attempt was made");
    assert_eq!(row.state, OutboxState::Queued, "to be tried again");
    let body = row.body.clone().unwrap();
    assert!(!body.contains("81726354"), "the PIN is sealed at rest");
    before.stop().await;

    // Started again (with its mail server back), due now.
    let mail = MailSink::start().await;
    let direct = sea_orm::Database::connect(&db.url).await.unwrap();
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::DueAt,
            Expr::value(Utc::now() - TimeDelta::seconds(1)),
        )
        .exec(&direct)
        .await
        .unwrap();
    direct.close().await.unwrap();
    let after = TestApp::spawn_with(&db, |c| mail.configure(c)).await;
    let mails = mail.wait_for(1).await;
    assert!(mails[0].contains("81726354"), "{}", mails[0]);
    assert!(
        message_ids(&mails)[0].contains(&row.message_id),
        "the same message id on every attempt"
    );
    let mut sent = None;
    for _ in 0..50 {
        sent = outbox::Entity::find_by_id(row.id)
            .filter(outbox::Column::State.eq(OutboxState::Sent))
            .one(&after.db)
            .await
            .unwrap();
        if sent.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sent = sent.expect("marked sent");
    assert_eq!((sent.attempts, sent.body), (2, None));
    after.stop().await;
}

async fn one_instance_at_a_time_does_a_job(db: TestDb) {
    use server::db::JobLock;
    let app = TestApp::spawn(&db).await;
    let postgres = db.url.starts_with("postgres");
    let first = JobLock::try_take(&app.db, JobLock::HOUSEKEEPING)
        .await
        .unwrap()
        .expect("free");
    let second = JobLock::try_take(&app.db, JobLock::HOUSEKEEPING)
        .await
        .unwrap();
    // A SQLite file has one process: nothing to share.
    assert_eq!(second.is_none(), postgres);
    if let Some(second) = second {
        second.release().await;
    }
    first.release().await;
    let again = JobLock::try_take(&app.db, JobLock::HOUSEKEEPING)
        .await
        .unwrap()
        .expect("free again once released");
    again.release().await;
    app.stop().await;
}
