//! Messages to people: e-mail over SMTP and text messages through an HTTP
//! gateway. Sending never holds up a page: a message is queued in the
//! database's outbox with the change that causes it, and whichever portal
//! instance takes it sends it, retrying with pauses; every attempt's
//! outcome is audited. Queued bodies (which may carry a registration PIN
//! or a link to set a password) are sealed, and removed once sent.

use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use chrono::{DateTime, TimeDelta, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

use super::audit::{self, Event, RequestOrigin};
use super::entities::{outbox, registration};
use super::passwords::random_token;
use super::secrets::Sealer;
use crate::domain::audit::Outcome;
use crate::domain::outbox::{Channel, OutboxState, retry_after};
use crate::domain::registration::Delivery;

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587).
    StartTls,
    /// TLS from the start (usually port 465).
    Tls,
}

/// Where and how to send e-mail.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty for a server that needs no sign-in.
    pub username: String,
    pub password: String,
    /// The sender, e.g. `SSP <ssp@example.com>`.
    pub from: String,
}

/// An HTTP gateway that sends text messages.
#[derive(Clone, Debug)]
pub struct SmsSettings {
    pub url: String,
    /// One header line sent with each request, e.g. `Authorization: Bearer …`.
    pub auth_header: String,
    /// The JSON body, with `{to}` and `{text}` where the number and the
    /// text go (inside JSON strings; they are escaped).
    pub body_template: String,
}

/// One message to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub to: Recipient,
    pub subject: String,
    pub text: String,
    /// The HTML body of an e-mail (ignored for SMS).
    pub html: String,
    /// The audit event name for each attempt, e.g. `invitation.email`.
    pub audit_action: &'static str,
    /// The person it concerns (for the audit log).
    pub actor: String,
    pub device_id: Option<DeviceId>,
    /// The registration (device id, hash of its link token) whose delivery
    /// status follows this message. Retries stop once that link is used or
    /// replaced.
    pub tracks_registration: Option<(DeviceId, String)>,
}

#[derive(Clone, Debug)]
pub enum Recipient {
    Email(String),
    Sms(String),
}

/// How long a sender holds a message it took: past that (it stopped on
/// the way), another sender may take it.
const CLAIM_FOR: TimeDelta = TimeDelta::seconds(60);

/// How often each instance looks for messages that are due, besides being
/// woken when one is queued here.
const POLL: Duration = Duration::from_secs(2);

/// How long the outbox remembers a message that was sent or given up on.
const KEEP_ENDED: TimeDelta = TimeDelta::days(30);

/// The purpose a queued message's body is sealed for.
const SEALED_FOR: &str = "outbox";

/// What is sealed of a queued message.
#[derive(Serialize, Deserialize)]
struct Body {
    subject: String,
    text: String,
    html: String,
}

/// Sends e-mail and text messages; cheap to clone.
#[derive(Clone)]
pub struct Messenger {
    inner: Arc<Inner>,
}

struct Inner {
    mail: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms: Option<SmsSettings>,
    http: reqwest::Client,
    support_contact: String,
    /// Seals queued bodies; `None` only for a messenger that sends nothing.
    sealer: Option<Sealer>,
    /// Woken when a message is queued here.
    wake: Notify,
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger")
            .field("mail", &self.mail_enabled())
            .field("sms", &self.sms_enabled())
            .finish()
    }
}

impl Messenger {
    /// A messenger for the settings given; `None` turns a channel off.
    /// Queued bodies are sealed with `sealer`.
    pub fn new(
        mail: Option<MailSettings>,
        sms: Option<SmsSettings>,
        support_contact: String,
        sealer: Sealer,
    ) -> Result<Messenger, String> {
        let mail = match mail {
            None => None,
            Some(settings) => {
                let from: Mailbox = settings
                    .from
                    .parse()
                    .map_err(|e| format!("mail_from: {e}"))?;
                let builder = match settings.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
                    }
                    SmtpTls::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                            .map_err(|e| format!("smtp_host: {e}"))?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                        .map_err(|e| format!("smtp_host: {e}"))?,
                };
                let mut builder = builder
                    .port(settings.port)
                    .timeout(Some(Duration::from_secs(15)));
                if !settings.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        settings.username.clone(),
                        settings.password.clone(),
                    ));
                }
                Some((builder.build(), from))
            }
        };
        if let Some(sms) = &sms
            && !sms.auth_header.is_empty()
            && !sms.auth_header.contains(':')
        {
            return Err("sms_gateway_auth_header: write it as `Name: value`".to_owned());
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Messenger {
            inner: Arc::new(Inner {
                mail,
                sms,
                http,
                support_contact,
                sealer: Some(sealer),
                wake: Notify::new(),
            }),
        })
    }

    /// Sends nothing: every message is "not configured".
    pub fn disabled() -> Messenger {
        Messenger {
            inner: Arc::new(Inner {
                mail: None,
                sms: None,
                http: reqwest::Client::new(),
                support_contact: String::new(),
                sealer: None,
                wake: Notify::new(),
            }),
        }
    }

    pub fn mail_enabled(&self) -> bool {
        self.inner.mail.is_some()
    }

    pub fn sms_enabled(&self) -> bool {
        self.inner.sms.is_some()
    }

    /// Who people should contact for help (may be empty).
    pub fn support_contact(&self) -> &str {
        &self.inner.support_contact
    }

    /// Whether `to` can be sent at all; the delivery status to start with.
    pub fn initial_status(&self, to: &Recipient) -> Delivery {
        let configured = match to {
            Recipient::Email(_) => self.mail_enabled(),
            Recipient::Sms(_) => self.sms_enabled(),
        };
        if configured {
            Delivery::Sending
        } else {
            Delivery::NotConfigured
        }
    }

    /// Puts `message` in the outbox, on `db`: given the transaction of the
    /// change that causes it, the message exists exactly when the change
    /// does. A sender (on any instance) takes it within seconds; each
    /// attempt's outcome is audited and, for a registration, kept in its
    /// delivery status. A channel that is not configured queues nothing.
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        message: Outgoing,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(sealer) = self.inner.sealer.as_ref() else {
            return Ok(());
        };
        if self.initial_status(&message.to) == Delivery::NotConfigured {
            return Ok(());
        }
        let body = Body {
            subject: message.subject,
            text: message.text,
            html: message.html,
        };
        let body = serde_json::to_string(&body).map_err(|e| DbErr::Custom(e.to_string()))?;
        let sealed = sealer
            .seal(SEALED_FOR, &body)
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        let (channel, recipient) = match message.to {
            Recipient::Email(address) => (Channel::Email, address),
            Recipient::Sms(number) => (Channel::Sms, number),
        };
        let (tracked_device, tracks_token) = message.tracks_registration.unzip();
        outbox::ActiveModel {
            message_id: Set(random_token()),
            channel: Set(channel),
            recipient: Set(recipient),
            body: Set(Some(sealed)),
            audit_action: Set(message.audit_action.to_owned()),
            actor: Set(message.actor),
            device_id: Set(message.device_id.or(tracked_device)),
            tracks_token: Set(tracks_token),
            state: Set(OutboxState::Queued),
            attempts: Set(0),
            due_at: Set(now),
            claim: Set(None),
            claimed_until: Set(None),
            created_at: Set(now),
            ended_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Sends what the outbox holds, for as long as the portal runs: every
    /// instance runs one, and each message is taken by one of them at a
    /// time (a claim that lapses if its sender stops on the way, so that a
    /// message is sent at least once).
    #[allow(clippy::disallowed_methods)] // a background job: each round reads the clock
    pub async fn deliver_queued(self, db: DatabaseConnection) {
        loop {
            loop {
                match self.deliver_one(&db, Utc::now()).await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the outbox");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = self.inner.wake.notified() => {
                    // The transaction that queued it is about to end.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Takes the next message that is due and makes one attempt at it.
    /// `false` when none is due.
    pub async fn deliver_one(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        // Only what this instance can send: one without a mail server
        // leaves e-mail to the others.
        let channels: Vec<Channel> = [
            (Channel::Email, self.mail_enabled()),
            (Channel::Sms, self.sms_enabled()),
        ]
        .into_iter()
        .filter_map(|(channel, on)| on.then_some(channel))
        .collect();
        if channels.is_empty() {
            return Ok(false);
        }
        let Some(row) = claim(db, &channels, now).await? else {
            return Ok(false);
        };
        let attempt = usize::try_from(row.attempts).unwrap_or(usize::MAX);
        if attempt > 1 && !still_wanted(db, &row).await {
            finish(db, &row, OutboxState::Dropped, None, now).await?;
            return Ok(true);
        }
        let body = row
            .body
            .as_deref()
            .zip(self.inner.sealer.as_ref())
            .and_then(|(sealed, sealer)| sealer.open(SEALED_FOR, sealed).ok())
            .and_then(|body| serde_json::from_str::<Body>(&body).ok());
        let result = match &body {
            Some(body) => self.attempt(&row, body).await,
            None => Err("its text cannot be read with this portal's key".to_owned()),
        };
        // Unreadable with this key: no later attempt can do better.
        let next = retry_after(attempt).filter(|_| body.is_some());
        let (state, status, retry_at) = match (&result, next) {
            (Ok(()), _) => (OutboxState::Sent, Delivery::Sent, None),
            (Err(_), None) => (OutboxState::Failed, Delivery::Failed, None),
            (Err(_), Some(pause)) => (OutboxState::Queued, Delivery::Retrying, Some(now + pause)),
        };
        if finish(db, &row, state, retry_at, now).await? {
            record(db, &row, attempt, &result, status, now).await;
        }
        Ok(true)
    }

    async fn attempt(&self, row: &outbox::Model, body: &Body) -> Result<(), String> {
        match row.channel {
            Channel::Email => {
                let Some((transport, from)) = &self.inner.mail else {
                    return Err("no mail server is configured".to_owned());
                };
                let to: Mailbox = row
                    .recipient
                    .parse()
                    .map_err(|e| format!("bad address: {e}"))?;
                // The same Message-ID on every attempt: a message sent twice
                // (its sender stopped before it could note that it was sent)
                // is recognisable as one.
                let domain = from.email.domain().to_owned();
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .message_id(Some(format!("<{}@{domain}>", row.message_id)))
                    .subject(&body.subject)
                    .multipart(MultiPart::alternative_plain_html(
                        body.text.clone(),
                        body.html.clone(),
                    ))
                    .map_err(|e| e.to_string())?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Channel::Sms => {
                let Some(sms) = &self.inner.sms else {
                    return Err("no SMS gateway is configured".to_owned());
                };
                let payload = fill_template(
                    &sms.body_template,
                    &row.recipient,
                    &body.text,
                    &row.message_id,
                );
                let mut request = self
                    .inner
                    .http
                    .post(&sms.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(payload);
                if let Some((name, value)) = sms.auth_header.split_once(':') {
                    request = request.header(name.trim(), value.trim());
                }
                // Without the URL: a gateway's key may be in it.
                let response = request
                    .send()
                    .await
                    .map_err(|e| e.without_url().to_string())?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the gateway answered {}", response.status()))
                }
            }
        }
    }
}

/// Messages due now that no sender holds (or whose sender's claim lapsed).
fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(outbox::Column::State.eq(OutboxState::Queued))
        .add(outbox::Column::DueAt.lte(now))
        .add(
            Condition::any()
                .add(outbox::Column::ClaimedUntil.is_null())
                .add(outbox::Column::ClaimedUntil.lt(now)),
        )
}

/// Takes the oldest message that is due, for this sender alone: the
/// update repeats the conditions, so of two senders that picked the same
/// row, one changes it and the other changes nothing (PostgreSQL checks
/// them again once the first one's write is done; SQLite has one writer).
async fn claim(
    db: &DatabaseConnection,
    channels: &[Channel],
    now: DateTime<Utc>,
) -> Result<Option<outbox::Model>, DbErr> {
    let candidates = outbox::Entity::find()
        .filter(due(now))
        .filter(outbox::Column::Channel.is_in(channels.iter().copied()))
        .order_by_asc(outbox::Column::DueAt)
        .order_by_asc(outbox::Column::Id)
        .limit(8)
        .all(db)
        .await?;
    for row in candidates {
        let claim = random_token();
        let _turn = super::write_turn(db).await;
        let taken = outbox::Entity::update_many()
            .col_expr(outbox::Column::Claim, Expr::value(claim.clone()))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(now + CLAIM_FOR))
            .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::Attempts.eq(row.attempts))
            .filter(due(now))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Some(outbox::Model {
                claim: Some(claim),
                claimed_until: Some(now + CLAIM_FOR),
                attempts: row.attempts + 1,
                ..row
            }));
        }
    }
    Ok(None)
}

/// Notes how an attempt ended, if the message is still this sender's.
/// A message that ended loses its body.
async fn finish(
    db: &DatabaseConnection,
    row: &outbox::Model,
    state: OutboxState,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let ended = state != OutboxState::Queued;
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value(state.as_str()))
        .col_expr(outbox::Column::Claim, Expr::value(Option::<String>::None))
        .col_expr(
            outbox::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    if let Some(at) = retry_at {
        update = update.col_expr(outbox::Column::DueAt, Expr::value(at));
    }
    if ended {
        update = update
            .col_expr(outbox::Column::Body, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::EndedAt, Expr::value(Some(now)));
    }
    let _turn = super::write_turn(db).await;
    let done = update
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::Claim.eq(row.claim.clone()))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Forgets messages that ended (sent, failed or dropped) a while ago.
pub async fn forget_ended(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let _turn = super::write_turn(db).await;
    let deleted = outbox::Entity::delete_many()
        .filter(outbox::Column::State.ne(OutboxState::Queued))
        .filter(outbox::Column::EndedAt.lt(now - KEEP_ENDED))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// How many messages wait to be sent, and since when the oldest of them.
pub async fn waiting(db: &DatabaseConnection) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let queued = outbox::Entity::find().filter(outbox::Column::State.eq(OutboxState::Queued));
    let count = queued.clone().count(db).await?;
    let oldest = queued
        .order_by_asc(outbox::Column::CreatedAt)
        .one(db)
        .await?
        .map(|row| row.created_at);
    Ok((count, oldest))
}

/// Whether a message about a registration still matters: its link has
/// neither been used nor replaced by a new one.
async fn still_wanted(db: &DatabaseConnection, row: &outbox::Model) -> bool {
    let (Some(device_id), Some(token_hash)) = (row.device_id, &row.tracks_token) else {
        return true;
    };
    registration::Entity::find_by_id(device_id)
        .filter(registration::Column::TokenHash.eq(token_hash.as_str()))
        .filter(registration::Column::UsedAt.is_null())
        .one(db)
        .await
        .map(|row| row.is_some())
        .unwrap_or(true)
}

/// The gateway's body with `{to}`, `{text}` and `{id}` (the message's
/// stable id) filled in, each escaped as the inside of a JSON string.
pub fn fill_template(template: &str, to: &str, text: &str, id: &str) -> String {
    let escape = |value: &str| {
        let quoted = serde_json::Value::String(value.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    template
        .replace("{to}", &escape(to))
        .replace("{text}", &escape(text))
        .replace("{id}", &escape(id))
}

async fn record(
    db: &DatabaseConnection,
    row: &outbox::Model,
    attempt: usize,
    result: &Result<(), String>,
    status: Delivery,
    now: DateTime<Utc>,
) {
    let column = match row.channel {
        Channel::Email => registration::Column::EmailDelivery,
        Channel::Sms => registration::Column::SmsDelivery,
    };
    if let Err(error) = result {
        tracing::warn!(%error, attempt, action = row.audit_action, "message not delivered");
    }
    if let (Some(device_id), Some(token_hash)) = (row.device_id, &row.tracks_token) {
        let _turn = super::write_turn(db).await;
        let updated = registration::Entity::update_many()
            .col_expr(column, Expr::value(status.as_str()))
            .filter(registration::Column::DeviceId.eq(device_id))
            .filter(registration::Column::TokenHash.eq(token_hash.as_str()))
            .exec(db)
            .await;
        if let Err(error) = updated {
            tracing::warn!(%error, "cannot record a delivery status");
        }
    }
    let _turn = super::write_turn(db).await;
    let recorded = audit::record(
        db,
        &RequestOrigin {
            client_addr: "server".to_owned(),
            user_agent: "messages".to_owned(),
        },
        now,
        Event {
            actor: Some(&row.actor),
            action: &row.audit_action,
            target: Some(&row.recipient),
            device_id: row.device_id,
            outcome: if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            details: json!({
                "attempt": attempt,
                "status": status.as_str(),
                "message": row.message_id,
                "error": result.as_ref().err(),
            }),
        },
    )
    .await;
    if let Err(error) = recorded {
        tracing::warn!(%error, "cannot audit a delivery");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_escaped_inside_json_strings() {
        let body = fill_template(
            r#"{"to":"{to}","message":"{text}","ref":"{id}"}"#,
            "+4915112345678",
            "PIN \"12\"\nnext line",
            "m-1",
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["to"], "+4915112345678");
        assert_eq!(parsed["ref"], "m-1");
        assert_eq!(parsed["message"], "PIN \"12\"\nnext line");
    }
}
