//! The admin: GraphiQL, the newsroom and a sign-in form, every byte served from this binary.
//!
//! The page and its scripts are embedded at build time (see `api/build.rs`), so an
//! editor's browser never contacts a CDN, and the Content-Security-Policy forbids it
//! from contacting anything but this server. In development,
//! `CHORUS_ADMIN_ASSETS_DIR` serves Chorus's own files from the checkout instead,
//! so front-end edits show on reload; the vendored packages are always built in.

use std::path::Path as FsPath;

use poem::{
    Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use crate::{config::StorageConfig, state::AppState};

mod own {
    include!(concat!(env!("OUT_DIR"), "/admin_assets.rs"));
}

/// The page's Content-Security-Policy: nothing but this server, except that with
/// media on S3 the newsroom shows previews from, plays media from and sends large
/// uploads to the bucket (presigned URLs), so its origin is named for images,
/// media and connections, and for nothing else.
fn csp(storage: &StorageConfig) -> String {
    let bucket = match storage {
        StorageConfig::S3(s3) => crate::storage::s3::presigned_origin(s3)
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default(),
        StorageConfig::Local => String::new(),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{bucket}; media-src 'self'{bucket}; font-src 'self' data:; \
         connect-src 'self'{bucket}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

const INDEX: &[u8] = include_bytes!("../../admin/index.html");

/// The npm packages the page loads: (name, content type, bytes).
const VENDORED: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/admin-vendor/graphiql.min.js")),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/admin-vendor/graphiql.min.css")),
    ),
    (
        "graphiql-plugin-explorer.umd.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/admin-vendor/graphiql-plugin-explorer.umd.js"
        )),
    ),
    (
        "graphiql-plugin-explorer.css",
        "text/css; charset=utf-8",
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/admin-vendor/graphiql-plugin-explorer.css"
        )),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/admin-vendor/react.production.min.js"
        )),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/admin-vendor/react-dom.production.min.js"
        )),
    ),
];

/// The admin page.
#[handler]
pub fn index(state: Data<&AppState>) -> Response {
    let body = match &state.config.admin_assets_dir {
        Some(dir) => match std::fs::read(dir.join("index.html")) {
            Ok(bytes) => bytes,
            Err(_) => return not_found(),
        },
        None => INDEX.to_vec(),
    };
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, csp(&state.config.storage))
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// One of the page's scripts, stylesheets or documents.
#[handler]
pub fn asset(state: Data<&AppState>, Path(name): Path<String>) -> Response {
    let (content_type, body, cache) =
        if let Some(&(_, kind, bytes)) = VENDORED.iter().find(|(n, _, _)| *n == name) {
            (kind, bytes.to_vec(), "public, max-age=3600")
        } else if let Some((kind, built_in)) = own_asset(&name) {
            // Only names built in are served, from disk too: the directory is never browsed.
            let body = match &state.config.admin_assets_dir {
                Some(dir) => match from_checkout(dir, &name) {
                    Some(bytes) => bytes,
                    None => return not_found(),
                },
                None => built_in,
            };
            // Revalidated on every load, so an upgrade never mixes old and new modules.
            (kind, body, "no-cache")
        } else {
            return not_found();
        };
    Response::builder()
        .content_type(content_type)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, cache)
        .body(body)
}

/// One of Chorus's own files as built in: its content type and bytes.
fn own_asset(name: &str) -> Option<(&'static str, Vec<u8>)> {
    if name == "operations.graphql" {
        let joined = own::OPERATIONS
            .iter()
            .flat_map(|doc| doc.iter().copied().chain([b'\n']))
            .collect();
        return Some(("application/graphql; charset=utf-8", joined));
    }
    own::OWN_ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, kind, bytes)| (kind, bytes.to_vec()))
}

/// A built-in file's current text in the checkout (`CHORUS_ADMIN_ASSETS_DIR`).
fn from_checkout(dir: &FsPath, name: &str) -> Option<Vec<u8>> {
    if name == "operations.graphql" {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join("operations"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
            .collect();
        paths.sort();
        let mut joined = Vec::new();
        for path in paths {
            joined.extend(std::fs::read(path).ok()?);
            joined.push(b'\n');
        }
        return Some(joined);
    }
    std::fs::read(dir.join(name)).ok()
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .body("not found")
}
