//! The one typed configuration of `ssp`, read in this order, later wins:
//! built-in defaults → a TOML file (`--config FILE` or `SSP_CONFIG`) →
//! `SSP_*` environment variables → command-line flags.

use app::server::messages::{MailSettings, Messenger, SmsSettings, SmtpTls};
use app::server::secrets::Sealer;
use figment::{
    Figment, Metadata, Profile, Provider,
    providers::{Format, Serialized, Toml},
    value::{Dict, Map, Value},
};
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

/// Everything `ssp serve` needs to run. Every key can be set in the TOML
/// file, as `SSP_<KEY>` (upper case) in the environment, or as a flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the portal listens on.
    pub listen: SocketAddr,
    /// The address people use to reach the portal. With `https://`, cookies
    /// are marked Secure.
    pub public_url: String,
    /// `sqlite://PATH` (the file is created on first run) or `postgres://…`.
    pub database_url: String,
    /// Connections kept open to the database.
    pub database_pool_size: u32,
    /// Where the compiled site (the `pkg/` folder with WASM, JS and CSS) lives.
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    /// A `tracing` filter: `info`, `debug`, or per module, e.g. `info,sqlx=warn`.
    pub log_level: String,
    /// The mail server for invitations and notices; empty sends no e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTlsMode,
    /// Empty for a mail server that needs no sign-in.
    pub smtp_username: String,
    pub smtp_password: String,
    /// A file holding the SMTP password (instead of `smtp_password`).
    pub smtp_password_file: String,
    /// The sender of the portal's e-mail, e.g. `IT Service Desk <it@example.com>`.
    pub mail_from: String,
    /// Who people contact for help, named in invitations (text).
    pub support_contact: String,
    /// The HTTP gateway that sends text messages; empty sends none.
    pub sms_gateway_url: String,
    /// One header sent to the gateway, e.g. `Authorization: Bearer …`.
    pub sms_gateway_auth_header: String,
    /// The JSON body sent to the gateway; `{to}` and `{text}` are filled in.
    pub sms_gateway_body: String,
    /// The key that seals stored secrets (directory passwords): 32 bytes in
    /// base64. Empty reads `secret_key_file`.
    pub secret_key: String,
    /// The file holding that key; made with a new random key (and a
    /// warning in the log) when it does not exist.
    pub secret_key_file: PathBuf,
    /// A PEM file with the portal's certificate (its chain after it). With
    /// `tls_key`, the portal serves HTTPS itself; both files are read again
    /// when they change or on SIGHUP.
    pub tls_certificate: String,
    /// The PEM file with the private key of `tls_certificate`.
    pub tls_key: String,
    /// A PEM bundle of the CAs (roots and intermediates) that issue
    /// identity certificates: turns on certificate sign-in. Over HTTPS the
    /// portal then asks browsers for a certificate (without requiring one).
    pub client_ca: String,
    /// Certificate revocation lists (PEM or DER files, each with one or
    /// more lists) of the CAs in `client_ca`: a certificate on one is
    /// refused. Read at start and again when they change, like the bundle.
    pub client_crl: Vec<String>,
    /// While a list is past its next update: `use` it anyway (the log says
    /// so at each sign-in; the default) or `refuse` certificate sign-in.
    pub client_crl_when_stale: String,
    /// Addresses of the reverse proxies in front of the portal: only their
    /// `X-Forwarded-For` and certificate header are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The header in which a trusted proxy passes the client certificate
    /// it verified, as URL-encoded PEM (nginx: `$ssl_client_escaped_cert`).
    pub client_certificate_header: String,
    /// Where Prometheus reads `GET /metrics`, e.g. `127.0.0.1:9090`: an
    /// address of its own, apart from the portal's; empty (the default)
    /// serves no metrics.
    pub metrics_listen: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTlsMode {
    /// STARTTLS after connecting (port 587).
    Starttls,
    /// TLS from the start (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: "http://127.0.0.1:3000".to_owned(),
            database_url: "sqlite://data/ssp.db".to_owned(),
            database_pool_size: 8,
            site_root: PathBuf::from("target/site"),
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: SmtpTlsMode::Starttls,
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_password_file: String::new(),
            mail_from: "SSP <ssp@localhost>".to_owned(),
            support_contact: String::new(),
            sms_gateway_url: String::new(),
            sms_gateway_auth_header: String::new(),
            sms_gateway_body: r#"{"to": "{to}", "text": "{text}"}"#.to_owned(),
            secret_key: String::new(),
            secret_key_file: PathBuf::from("data/secret.key"),
            tls_certificate: String::new(),
            tls_key: String::new(),
            client_ca: String::new(),
            client_crl: Vec::new(),
            client_crl_when_stale: "use".to_owned(),
            trusted_proxies: Vec::new(),
            client_certificate_header: String::new(),
            metrics_listen: String::new(),
        }
    }
}

/// The keys the environment may set, each as `SSP_<KEY>`. Other `SSP_*`
/// variables are left alone, so unrelated ones cannot break start-up.
const ENV_KEYS: [&str; 28] = [
    "listen",
    "public_url",
    "database_url",
    "database_pool_size",
    "site_root",
    "log_format",
    "log_level",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_username",
    "smtp_password",
    "smtp_password_file",
    "mail_from",
    "support_contact",
    "sms_gateway_url",
    "sms_gateway_auth_header",
    "sms_gateway_body",
    "secret_key",
    "secret_key_file",
    "tls_certificate",
    "tls_key",
    "client_ca",
    "client_crl",
    "client_crl_when_stale",
    "trusted_proxies",
    "client_certificate_header",
    "metrics_listen",
];

/// Values given on the command line; `None` leaves the earlier layers' value.
#[derive(Clone, Debug, Default, Serialize, clap::Args)]
pub struct Overrides {
    /// Address and port to listen on [default: 127.0.0.1:3000]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// The address people use to reach the portal (links in invitations) [default: http://127.0.0.1:3000]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Database URL: sqlite://PATH or postgres://… [default: sqlite://data/ssp.db]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Log format [default: text]
    #[arg(long, global = true, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. info or debug,sqlx=warn [default: info]
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

impl Config {
    /// Reads the layers in order. `env` is the process environment (passed
    /// in so that tests do not depend on the machine's variables).
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let from_env: BTreeMap<String, Value> = env
            .into_iter()
            .filter_map(|(key, value)| {
                let key = key.strip_prefix("SSP_")?.to_ascii_lowercase();
                // Parsed the way figment's own `Env` provider parses values.
                let value = value.parse::<Value>().ok()?;
                ENV_KEYS.contains(&key.as_str()).then_some((key, value))
            })
            .collect();
        figment = figment.merge(EnvLayer(from_env));
        figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(ConfigError::from)
    }
}

impl Config {
    /// The messenger for e-mail and text messages this configuration
    /// describes (each channel off when its server is not set), sealing
    /// queued messages with `sealer`.
    pub fn messenger(&self, sealer: Sealer) -> Result<Messenger, ConfigError> {
        let mail = if self.smtp_host.is_empty() {
            None
        } else {
            let password = if self.smtp_password_file.is_empty() {
                self.smtp_password.clone()
            } else {
                std::fs::read_to_string(&self.smtp_password_file)
                    .map_err(|e| {
                        ConfigError(format!(
                            "smtp_password_file: cannot read {}: {e}",
                            self.smtp_password_file
                        ))
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned()
            };
            Some(MailSettings {
                host: self.smtp_host.clone(),
                port: self.smtp_port,
                tls: match self.smtp_tls {
                    SmtpTlsMode::Starttls => SmtpTls::StartTls,
                    SmtpTlsMode::Tls => SmtpTls::Tls,
                    SmtpTlsMode::None => SmtpTls::None,
                },
                username: self.smtp_username.clone(),
                password,
                from: self.mail_from.clone(),
            })
        };
        let sms = (!self.sms_gateway_url.is_empty()).then(|| SmsSettings {
            url: self.sms_gateway_url.clone(),
            auth_header: self.sms_gateway_auth_header.clone(),
            body_template: self.sms_gateway_body.clone(),
        });
        Messenger::new(mail, sms, self.support_contact.clone(), sealer).map_err(ConfigError)
    }

    /// The address of the metrics listener, if metrics are served.
    pub fn metrics_address(&self) -> Result<Option<SocketAddr>, ConfigError> {
        match self.metrics_listen.trim() {
            "" => Ok(None),
            text => text.parse().map(Some).map_err(|_| {
                ConfigError(format!(
                    "metrics_listen: `{text}` is not an address and port, e.g. 127.0.0.1:9090"
                ))
            }),
        }
    }

    /// Whether the database is one several instances may share
    /// (PostgreSQL), rather than a file of this host's.
    pub fn shared_database(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// The sealer for stored secrets, with the configured key; a missing
    /// key file is made with a new key (readable by its owner only), except
    /// for a shared database.
    pub fn sealer(&self) -> Result<Sealer, ConfigError> {
        let bad = |e: &dyn std::fmt::Display| ConfigError(format!("secret_key: {e}"));
        if !self.secret_key.trim().is_empty() {
            return Sealer::from_base64(&self.secret_key).map_err(|e| bad(&e));
        }
        let path = &self.secret_key_file;
        let shown = path.display();
        match std::fs::read_to_string(path) {
            Ok(text) => Sealer::from_base64(&text)
                .map_err(|e| ConfigError(format!("secret_key_file {shown}: {e}"))),
            // Several instances share a PostgreSQL database: a key made
            // here would be this host's alone.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.shared_database() => {
                Err(ConfigError(format!(
                    "secret_key_file {shown} does not exist: with PostgreSQL every instance \
                     needs the same key, so none is made; set secret_key, or secret_key_file to \
                     a file every instance reads (make one with `openssl rand -base64 32`)"
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Sealer::generate_key().map_err(|e| bad(&e))?;
                write_private(path, &key).map_err(|e| {
                    ConfigError(format!("secret_key_file {shown}: cannot create it: {e}"))
                })?;
                tracing::warn!(
                    file = %shown,
                    "made a new secret key for stored secrets: back it up with the database; without it they cannot be read"
                );
                Sealer::from_base64(&key).map_err(|e| bad(&e))
            }
            Err(e) => Err(ConfigError(format!(
                "secret_key_file {shown}: cannot read it: {e}"
            ))),
        }
    }
}

/// How the portal takes connections and client certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    /// HTTPS served by the portal: certificate and key files.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The CA bundle of sign-in certificates.
    pub client_ca: Option<PathBuf>,
    /// The revocation lists of those CAs.
    pub client_crl: Vec<PathBuf>,
    /// Refuse certificate sign-in while a list is past its next update.
    pub refuse_stale_crl: bool,
    pub trusted_proxies: Vec<IpAddr>,
    /// The header a trusted proxy passes the client certificate in.
    pub certificate_header: Option<axum::http::HeaderName>,
}

impl Config {
    /// The TLS, certificate sign-in and proxy settings, checked for
    /// combinations that cannot work.
    pub fn transport(&self) -> Result<Transport, ConfigError> {
        let path = |text: &str| (!text.trim().is_empty()).then(|| PathBuf::from(text.trim()));
        let tls = match (path(&self.tls_certificate), path(&self.tls_key)) {
            (Some(certificate), Some(key)) => Some((certificate, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError(
                    "tls_certificate and tls_key: set both (HTTPS) or neither (plain HTTP)"
                        .to_owned(),
                ));
            }
        };
        let certificate_header = match self.client_certificate_header.trim() {
            "" => None,
            name => Some(axum::http::HeaderName::try_from(name).map_err(|_| {
                ConfigError(format!(
                    "client_certificate_header: {name:?} is not a header name"
                ))
            })?),
        };
        let client_ca = path(&self.client_ca);
        if certificate_header.is_some() && self.trusted_proxies.is_empty() {
            return Err(ConfigError(
                "client_certificate_header: list the proxies that may send it in trusted_proxies"
                    .to_owned(),
            ));
        }
        if certificate_header.is_some() && client_ca.is_none() {
            return Err(ConfigError(
                "client_certificate_header: set client_ca too (the CAs whose certificates may sign in)".to_owned(),
            ));
        }
        if client_ca.is_some() && tls.is_none() && certificate_header.is_none() {
            return Err(ConfigError(
                "client_ca: certificate sign-in needs HTTPS (tls_certificate and tls_key) or a trusted proxy's client_certificate_header".to_owned(),
            ));
        }
        let client_crl: Vec<PathBuf> = self.client_crl.iter().filter_map(|p| path(p)).collect();
        if !client_crl.is_empty() && client_ca.is_none() {
            return Err(ConfigError(
                "client_crl: set client_ca too (the CAs whose revocations these are)".to_owned(),
            ));
        }
        let refuse_stale_crl = match self.client_crl_when_stale.trim() {
            "use" | "" => false,
            "refuse" => true,
            other => {
                return Err(ConfigError(format!(
                    "client_crl_when_stale: {other:?}: choose use or refuse"
                )));
            }
        };
        Ok(Transport {
            tls,
            client_ca,
            client_crl,
            refuse_stale_crl,
            trusted_proxies: self.trusted_proxies.clone(),
            certificate_header,
        })
    }
}

impl Transport {
    /// Where sign-in certificates come from and what they are checked
    /// against, in words for administrators; empty without certificate
    /// sign-in.
    pub fn certificate_sources(&self) -> String {
        let Some(bundle) = &self.client_ca else {
            return String::new();
        };
        let mut ways = Vec::new();
        if self.tls.is_some() {
            ways.push("the portal's own HTTPS connections".to_owned());
        }
        if let Some(header) = &self.certificate_header {
            let proxies: Vec<String> = self
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect();
            ways.push(format!(
                "the {header} header of the trusted proxies ({})",
                proxies.join(", ")
            ));
        }
        format!(
            "Certificates are taken from {}, and checked against the CA bundle {}",
            ways.join(" and "),
            bundle.display()
        )
    }
}

/// Writes a new file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

/// The `SSP_*` variables, named as such in error messages.
struct EnvLayer(BTreeMap<String, Value>);

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("SSP_* environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Serialized::defaults(&self.0).data()
    }
}

/// What is wrong with the configuration, in words for the person running `ssp`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        let problems: Vec<String> = error
            .into_iter()
            .map(|e| {
                let key = e.path.join(".");
                let source = e
                    .metadata
                    .as_ref()
                    .map(|m| match &m.source {
                        Some(figment::Source::File(path)) => format!(" (in {})", path.display()),
                        _ if m.name.contains("environment") => format!(" (in {})", m.name),
                        _ => String::new(),
                    })
                    .unwrap_or_default();
                if key.is_empty() {
                    format!("{}{source}", e.kind)
                } else {
                    format!("{key}: {}{source}", e.kind)
                }
            })
            .collect();
        ConfigError(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_without_any_layer() {
        let config = Config::load(None, env(&[]), &Overrides::default()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert!(config.database_url.starts_with("sqlite://data/"));
    }

    #[test]
    fn file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ssp.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:8080\"\nlog_level = \"debug\"\ndatabase_pool_size = 3\n",
        )
        .unwrap();

        let only_file = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap();
        assert_eq!(only_file.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(only_file.database_pool_size, 3);

        let environment = env(&[
            ("SSP_LOG_LEVEL", "warn"),
            ("SSP_DATABASE_POOL_SIZE", "12"),
            ("SSP_LOG_FORMAT", "json"),
            ("SSP_UNRELATED", "ignored"),
            ("PATH", "/bin"),
        ]);
        let with_env =
            Config::load(Some(&file), environment.clone(), &Overrides::default()).unwrap();
        assert_eq!(with_env.log_level, "warn");
        assert_eq!(with_env.database_pool_size, 12);
        assert_eq!(with_env.log_format, LogFormat::Json);
        assert_eq!(with_env.listen.to_string(), "0.0.0.0:8080");

        let flags = Overrides {
            log_level: Some("trace".to_owned()),
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Overrides::default()
        };
        let with_flags = Config::load(Some(&file), environment, &flags).unwrap();
        assert_eq!(with_flags.log_level, "trace");
        assert_eq!(with_flags.listen.to_string(), "127.0.0.1:0");
        assert_eq!(with_flags.database_pool_size, 12);
    }

    #[test]
    fn a_missing_secret_key_file_is_made_once_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            secret_key_file: dir.path().join("keys/secret.key"),
            ..Config::default()
        };
        let first = config.sealer().unwrap();
        let sealed = first.seal("test", "secret").unwrap();
        // The next start reads the same key.
        assert_eq!(
            config.sealer().unwrap().open("test", &sealed).unwrap(),
            "secret"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&config.secret_key_file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let inline = Config {
            secret_key: "too short".to_owned(),
            ..Config::default()
        };
        assert!(
            inline
                .sealer()
                .unwrap_err()
                .to_string()
                .contains("secret_key")
        );
    }

    #[test]
    fn with_postgresql_no_key_file_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            database_url: "postgres://db.example.com/ssp".to_owned(),
            secret_key_file: dir.path().join("secret.key"),
            ..Config::default()
        };
        let refused = config.sealer().unwrap_err().to_string();
        assert!(refused.contains("every instance"), "{refused}");
        assert!(!config.secret_key_file.exists());
        let given = Config {
            secret_key: Sealer::generate_key().unwrap(),
            ..config
        };
        assert!(given.sealer().is_ok());
    }

    #[test]
    fn transport_combinations() {
        let plain = Config::default().transport().unwrap();
        assert_eq!(plain.tls, None);
        assert_eq!(plain.client_ca, None);
        let with = |pairs: &[(&str, &str)]| Config::load(None, env(pairs), &Overrides::default());
        let direct = with(&[
            ("SSP_TLS_CERTIFICATE", "server.pem"),
            ("SSP_TLS_KEY", "server.key"),
            ("SSP_CLIENT_CA", "ca.pem"),
        ])
        .unwrap()
        .transport()
        .unwrap();
        assert_eq!(
            direct.tls,
            Some((PathBuf::from("server.pem"), PathBuf::from("server.key")))
        );
        assert_eq!(direct.client_ca, Some(PathBuf::from("ca.pem")));
        assert_eq!(plain.certificate_sources(), "");
        assert_eq!(
            direct.certificate_sources(),
            "Certificates are taken from the portal's own HTTPS connections, and checked against the CA bundle ca.pem"
        );
        let proxied = with(&[
            ("SSP_TRUSTED_PROXIES", "[10.0.0.5, \"::1\"]"),
            ("SSP_CLIENT_CERTIFICATE_HEADER", "X-SSL-Client-Cert"),
            ("SSP_CLIENT_CA", "ca.pem"),
        ])
        .unwrap()
        .transport()
        .unwrap();
        assert_eq!(proxied.trusted_proxies.len(), 2);
        assert!(
            proxied
                .certificate_sources()
                .contains("the x-ssl-client-cert header of the trusted proxies (10.0.0.5, ::1)")
        );
        assert_eq!(
            proxied.certificate_header.map(|h| h.to_string()),
            Some("x-ssl-client-cert".to_owned())
        );
        for (pairs, says) in [
            (vec![("SSP_TLS_CERTIFICATE", "server.pem")], "set both"),
            (vec![("SSP_CLIENT_CA", "ca.pem")], "needs HTTPS"),
            (
                vec![
                    ("SSP_CLIENT_CERTIFICATE_HEADER", "X-SSL-Client-Cert"),
                    ("SSP_CLIENT_CA", "ca.pem"),
                ],
                "trusted_proxies",
            ),
            (
                vec![
                    ("SSP_CLIENT_CERTIFICATE_HEADER", "X-SSL-Client-Cert"),
                    ("SSP_TRUSTED_PROXIES", "[10.0.0.5]"),
                ],
                "set client_ca",
            ),
            (
                vec![("SSP_CLIENT_CRL", "[\"cards.crl\"]")],
                "client_crl: set client_ca",
            ),
            (
                vec![
                    ("SSP_TLS_CERTIFICATE", "server.pem"),
                    ("SSP_TLS_KEY", "server.key"),
                    ("SSP_CLIENT_CA", "ca.pem"),
                    ("SSP_CLIENT_CRL_WHEN_STALE", "maybe"),
                ],
                "choose use or refuse",
            ),
        ] {
            let error = with(&pairs).unwrap().transport().unwrap_err().to_string();
            assert!(error.contains(says), "{error}");
        }
        let revoking = with(&[
            ("SSP_TLS_CERTIFICATE", "server.pem"),
            ("SSP_TLS_KEY", "server.key"),
            ("SSP_CLIENT_CA", "ca.pem"),
            ("SSP_CLIENT_CRL", "[\"a.crl\", \"b.crl\"]"),
            ("SSP_CLIENT_CRL_WHEN_STALE", "refuse"),
        ])
        .unwrap()
        .transport()
        .unwrap();
        assert_eq!(revoking.client_crl.len(), 2);
        assert!(revoking.refuse_stale_crl && !direct.refuse_stale_crl);
    }

    #[test]
    fn mistakes_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ssp.toml");
        std::fs::write(&file, "listen_addr = \"0.0.0.0:8080\"\n").unwrap();
        let unknown = Config::load(Some(&file), env(&[]), &Overrides::default()).unwrap_err();
        assert!(unknown.to_string().contains("listen_addr"), "{unknown}");
        assert!(unknown.to_string().contains("ssp.toml"), "{unknown}");

        let missing = Config::load(
            Some(&dir.path().join("nope.toml")),
            env(&[]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");

        let bad_value = Config::load(
            None,
            env(&[("SSP_LISTEN", "not an address")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(
            bad_value.to_string(),
            "listen: invalid socket address syntax (in SSP_* environment variables)"
        );
    }
}
