//! HTTPS served by the portal itself: the certificate and key files, the
//! request for a client certificate (identity certificates, smart cards),
//! and reading the files again when they change or on SIGHUP.
//!
//! The TLS layer asks for a client certificate but does not require one,
//! and takes any certificate whose key the browser proves it holds: which
//! CAs are trusted, validity and key usage are checked when someone signs
//! in with it (`app::server::client_certificates`), so that a person with
//! an expired or foreign certificate gets a page that says so instead of a
//! broken connection.

use app::server::client_certificates::{ClientTrust, SharedTrust};
use axum_server::tls_rustls::RustlsConfig;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime, pem::PemObject};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the files are looked at for changes.
const WATCH_EVERY: Duration = Duration::from_secs(5);

/// The files behind the portal's TLS and certificate sign-in.
#[derive(Clone, Debug)]
pub struct Files {
    /// The portal's certificate chain and key (HTTPS).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The CA bundle of sign-in certificates.
    pub client_ca: Option<PathBuf>,
    /// The revocation lists of those CAs.
    pub client_crl: Vec<PathBuf>,
    /// Refuse certificate sign-in while a list is past its next update.
    pub refuse_stale_crl: bool,
}

/// Reads the CA bundle of sign-in certificates at `path` and the
/// revocation lists of `files`.
pub fn read_trust(path: &Path, files: &Files) -> Result<ClientTrust, String> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let trust =
        ClientTrust::from_pem(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lists = Vec::new();
    for crl in &files.client_crl {
        lists.push(read(crl)?);
    }
    trust
        .with_revocation_lists(&lists, files.refuse_stale_crl)
        .map_err(|e| format!("client_crl: {e}"))
}

/// The rustls configuration for the portal's certificate and key, asking
/// for (not requiring) a client certificate when `trust` is given.
pub fn server_config(
    certificate: &Path,
    key: &Path,
    trust: Option<&ClientTrust>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(certificate)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("tls_certificate {}: {e}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "tls_certificate {}: no certificate in the file",
            certificate.display()
        ));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("tls_key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match trust {
        None => builder.with_no_client_auth(),
        Some(trust) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in trust.certificates() {
                roots
                    .add(certificate.clone())
                    .map_err(|e| format!("client_ca: {e}"))?;
            }
            let checked = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("client_ca: {e}"))?;
            builder.with_client_cert_verifier(Arc::new(AnyClientCertificate(checked)))
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("tls_key does not match tls_certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Asks for a certificate issued by one of the bundle's CAs (the names
/// browsers use to pick one) and checks the browser's proof that it holds
/// the key; leaves judging the certificate to the sign-in.
#[derive(Debug)]
struct AnyClientCertificate(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// When each file last changed (and its size), to notice replacements.
fn stamps(files: &Files) -> Vec<Option<(SystemTime, u64)>> {
    let mut paths: Vec<&Path> = Vec::new();
    if let Some((certificate, key)) = &files.tls {
        paths.push(certificate);
        paths.push(key);
    }
    if let Some(ca) = &files.client_ca {
        paths.push(ca);
    }
    paths.extend(files.client_crl.iter().map(PathBuf::as_path));
    paths
        .into_iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

/// Reads the files again and puts them in use; on a mistake the old ones
/// stay and the log says why.
pub fn reload(files: &Files, tls: Option<&RustlsConfig>, trust: &SharedTrust) {
    let new_trust = files
        .client_ca
        .as_deref()
        .and_then(|path| match read_trust(path, files) {
            Ok(read) => Some(read),
            Err(error) => {
                tracing::warn!(%error, "kept the CA bundle in use: the new one cannot be used");
                None
            }
        });
    // A bundle that cannot be used does not hold up a renewed certificate.
    let in_use = new_trust
        .clone()
        .or_else(|| trust.get().map(|t| (*t).clone()));
    if let (Some((certificate, key)), Some(tls)) = (&files.tls, tls) {
        match server_config(certificate, key, in_use.as_ref()) {
            Ok(config) => {
                tls.reload_from_config(config);
                tracing::info!("read the TLS certificate again");
            }
            Err(error) => {
                tracing::warn!(%error, "kept the TLS certificate in use: the new files cannot be used");
            }
        }
    }
    if let Some(read) = new_trust {
        trust.set(read);
        tracing::info!("read the CA bundle of sign-in certificates again");
    }
}

/// Reads the files again whenever one of them changes, and on SIGHUP.
pub async fn watch(files: Files, tls: Option<RustlsConfig>, trust: SharedTrust) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut seen = stamps(&files);
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        let forced = tokio::select! {
            () = signalled => true,
            _ = tick.tick() => false,
        };
        let now = stamps(&files);
        if forced || now != seen {
            seen = now;
            reload(&files, tls.as_ref(), &trust);
        }
    }
}
