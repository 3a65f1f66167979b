//! Messages to people: e-mail over SMTP and text messages through an HTTP
//! gateway. Sending never holds up a page: each message goes out from a
//! background task that retries, and every attempt's outcome is audited.
//! Messages (which may carry a registration PIN) are kept in memory only.

use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use chrono::Utc;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use std::{sync::Arc, time::Duration};

use super::audit::{self, Event, RequestOrigin};
use super::entities::registration;
use crate::domain::audit::Outcome;
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

/// Pauses before the second, third and fourth attempt.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];

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
    pub fn new(
        mail: Option<MailSettings>,
        sms: Option<SmsSettings>,
        support_contact: String,
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

    /// Sends `message` from a background task: a first attempt now, then
    /// up to three more, each outcome audited and, for a registration,
    /// kept in its delivery status.
    pub fn send(&self, db: DatabaseConnection, message: Outgoing) {
        if self.initial_status(&message.to) == Delivery::NotConfigured {
            return;
        }
        let messenger = self.clone();
        tokio::spawn(async move {
            let mut attempt = 0usize;
            loop {
                attempt += 1;
                if attempt > 1 && !still_wanted(&db, &message).await {
                    return;
                }
                let result = messenger.attempt(&message).await;
                let last = attempt > RETRY_DELAYS.len();
                let status = match &result {
                    Ok(()) => Delivery::Sent,
                    Err(_) if last => Delivery::Failed,
                    Err(_) => Delivery::Retrying,
                };
                record(&db, &message, attempt, &result, status).await;
                if result.is_ok() || last {
                    return;
                }
                tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
            }
        });
    }

    async fn attempt(&self, message: &Outgoing) -> Result<(), String> {
        match &message.to {
            Recipient::Email(address) => {
                let Some((transport, from)) = &self.inner.mail else {
                    return Err("no mail server is configured".to_owned());
                };
                let to: Mailbox = address.parse().map_err(|e| format!("bad address: {e}"))?;
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&message.subject)
                    .multipart(MultiPart::alternative_plain_html(
                        message.text.clone(),
                        message.html.clone(),
                    ))
                    .map_err(|e| e.to_string())?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Recipient::Sms(number) => {
                let Some(sms) = &self.inner.sms else {
                    return Err("no SMS gateway is configured".to_owned());
                };
                let body = fill_template(&sms.body_template, number, &message.text);
                let mut request = self
                    .inner
                    .http
                    .post(&sms.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body);
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

/// Whether a message about a registration still matters: its link has
/// neither been used nor replaced by a new one.
async fn still_wanted(db: &DatabaseConnection, message: &Outgoing) -> bool {
    let Some((device_id, token_hash)) = &message.tracks_registration else {
        return true;
    };
    registration::Entity::find_by_id(*device_id)
        .filter(registration::Column::TokenHash.eq(token_hash.as_str()))
        .filter(registration::Column::UsedAt.is_null())
        .one(db)
        .await
        .map(|row| row.is_some())
        .unwrap_or(true)
}

/// The gateway's body with `{to}` and `{text}` filled in, each escaped as
/// the inside of a JSON string.
pub fn fill_template(template: &str, to: &str, text: &str) -> String {
    let escape = |value: &str| {
        let quoted = serde_json::Value::String(value.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    template
        .replace("{to}", &escape(to))
        .replace("{text}", &escape(text))
}

#[allow(clippy::disallowed_methods)] // a background job: when the delivery ended
async fn record(
    db: &DatabaseConnection,
    message: &Outgoing,
    attempt: usize,
    result: &Result<(), String>,
    status: Delivery,
) {
    let (recipient, column) = match &message.to {
        Recipient::Email(a) => (a.as_str(), registration::Column::EmailDelivery),
        Recipient::Sms(n) => (n.as_str(), registration::Column::SmsDelivery),
    };
    if let Err(error) = result {
        tracing::warn!(%error, attempt, action = message.audit_action, "message not delivered");
    }
    if let Some((device_id, token_hash)) = &message.tracks_registration {
        let updated = registration::Entity::update_many()
            .col_expr(column, Expr::value(status.as_str()))
            .filter(registration::Column::DeviceId.eq(*device_id))
            .filter(registration::Column::TokenHash.eq(token_hash.as_str()))
            .exec(db)
            .await;
        if let Err(error) = updated {
            tracing::warn!(%error, "cannot record a delivery status");
        }
    }
    let recorded = audit::record(
        db,
        &RequestOrigin {
            client_addr: "server".to_owned(),
            user_agent: "messages".to_owned(),
        },
        Utc::now(),
        Event {
            actor: Some(&message.actor),
            action: message.audit_action,
            target: Some(recipient),
            device_id: message.device_id,
            outcome: if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            details: json!({
                "attempt": attempt,
                "status": status.as_str(),
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
            r#"{"to":"{to}","message":"{text}"}"#,
            "+4915112345678",
            "PIN \"12\"\nnext line",
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["to"], "+4915112345678");
        assert_eq!(parsed["message"], "PIN \"12\"\nnext line");
    }
}
