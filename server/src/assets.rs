//! The site's own files: the stylesheet, the islands' loader and the WASM
//! bundle with its JavaScript glue. They are read once at start, compressed
//! once (gzip and brotli), and served under names that carry a hash of
//! their content with a year-long `Cache-Control`: a returning browser has
//! them already, and a new version of a file has a new name.

use app::islands::Assets;
use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

/// Where the loader comes from: it is part of the program, not of the site.
const LOADER: &[u8] = include_bytes!("../../app/src/islands/loader.js");

/// One file, in the encodings it is served in.
#[derive(Clone)]
struct File {
    content_type: &'static str,
    /// Under its hashed name it never changes; under its plain name (for
    /// the few pages made without the app, such as a refusal) it may.
    immutable: bool,
    identity: bytes::Bytes,
    gzip: Option<bytes::Bytes>,
    brotli: Option<bytes::Bytes>,
}

/// The files by their hashed names, and those names for the pages.
#[derive(Clone, Default)]
pub struct SiteFiles {
    files: Arc<HashMap<String, File>>,
    pub assets: Assets,
}

impl SiteFiles {
    /// Reads the compiled site under `site_root` (`pkg/ssp.css`,
    /// `pkg/ssp.js`, `pkg/ssp.wasm`). A file that is missing (a build
    /// without the site, as in the server's own tests) keeps its plain
    /// name and is not served.
    pub fn load(site_root: &std::path::Path) -> SiteFiles {
        let pkg = site_root.join("pkg");
        let mut files = HashMap::new();
        let mut add = |stem: &str, extension: &str, content_type, bytes: Option<Vec<u8>>| {
            let Some(bytes) = bytes else {
                return format!("/pkg/{stem}.{extension}");
            };
            let digest = Sha256::digest(&bytes);
            let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let name = format!("{stem}.{hash}.{extension}");
            let file = File::compressed(content_type, bytes);
            files.insert(
                format!("{stem}.{extension}"),
                File {
                    immutable: false,
                    ..file.clone()
                },
            );
            files.insert(name.clone(), file);
            format!("/pkg/{name}")
        };
        let read = |name: &str| std::fs::read(pkg.join(name)).ok();
        let assets = Assets {
            stylesheet: add("ssp", "css", "text/css; charset=utf-8", read("ssp.css")),
            bundle_js: add(
                "ssp",
                "js",
                "text/javascript; charset=utf-8",
                read("ssp.js"),
            ),
            bundle_wasm: add("ssp", "wasm", "application/wasm", read("ssp.wasm")),
            loader: add(
                "islands",
                "js",
                "text/javascript; charset=utf-8",
                Some(LOADER.to_vec()),
            ),
        };
        SiteFiles {
            files: Arc::new(files),
            assets,
        }
    }
}

impl File {
    fn compressed(content_type: &'static str, bytes: Vec<u8>) -> File {
        let gzip = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder
                .write_all(&bytes)
                .and_then(|()| encoder.finish())
                .ok()
        };
        let brotli = {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut bytes.as_slice(), &mut out, &params)
                .ok()
                .map(|_| out)
        };
        // Only what is smaller is worth sending.
        let smaller = |packed: Option<Vec<u8>>| {
            packed
                .filter(|p| p.len() < bytes.len())
                .map(bytes::Bytes::from)
        };
        File {
            content_type,
            immutable: true,
            gzip: smaller(gzip),
            brotli: smaller(brotli),
            identity: bytes.into(),
        }
    }
}

/// `GET /pkg/{name}`: a file by its hashed (or plain) name, in the best
/// encoding the browser accepts.
pub async fn serve(
    State(site): State<SiteFiles>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = site.files.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepts = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let accepts = |coding: &str| {
        accepts.split(',').any(|part| {
            let mut pieces = part.split(';');
            let name = pieces.next().unwrap_or_default().trim();
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            name == coding && !refused
        })
    };
    let (body, encoding) = match (&file.brotli, &file.gzip) {
        (Some(brotli), _) if accepts("br") => (brotli.clone(), Some("br")),
        (_, Some(gzip)) if accepts("gzip") => (gzip.clone(), Some("gzip")),
        _ => (file.identity.clone(), None),
    };
    let mut response = Response::new(Body::from(body));
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if file.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_names_from_their_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/ssp.css"), "body { color: red }").unwrap();
        let site = SiteFiles::load(dir.path());
        assert!(site.assets.stylesheet.starts_with("/pkg/ssp."));
        assert!(site.assets.stylesheet.ends_with(".css"));
        assert_ne!(site.assets.stylesheet, "/pkg/ssp.css");
        // Not built: the plain name, and nothing served.
        assert_eq!(site.assets.bundle_wasm, "/pkg/ssp.wasm");
        assert_eq!(
            site.files.len(),
            4,
            "the stylesheet and the loader, under both names"
        );
        assert!(site.files["ssp.css"].gzip.is_none(), "too small to gain");

        std::fs::write(dir.path().join("pkg/ssp.css"), "body { color: blue }").unwrap();
        let changed = SiteFiles::load(dir.path());
        assert_ne!(changed.assets.stylesheet, site.assets.stylesheet);
    }
}
