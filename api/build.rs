//! Installs the admin page's front-end packages (GraphiQL and its explorer plugin, React) from the npm
//! registry at build time, so the admin never loads anything from a CDN and
//! `cargo run` on a fresh clone still does everything.
//!
//! `npm ci` runs inside OUT_DIR from the committed `admin/package-lock.json`, so the
//! source tree is never written to and the versions are pinned. Set
//! `CHORUS_ADMIN_NODE_MODULES` to an existing `node_modules` directory to skip npm
//! (for offline builds).
//!
//! It also lists Chorus's own admin files (`admin/index.html`, `admin/admin.*`,
//! everything under `admin/newsroom/`) into `OUT_DIR/admin_assets.rs`, and joins the
//! newsroom's named GraphQL documents (`admin/operations/*.graphql`) into one served
//! file, so a new module or operation needs no change to the server code.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

/// Files the admin page needs from `node_modules`, and the name each is served under.
const VENDORED: &[(&str, &str)] = &[
    ("graphiql/graphiql.min.js", "graphiql.min.js"),
    ("graphiql/graphiql.min.css", "graphiql.min.css"),
    (
        "@graphiql/plugin-explorer/dist/index.umd.js",
        "graphiql-plugin-explorer.umd.js",
    ),
    (
        "@graphiql/plugin-explorer/dist/style.css",
        "graphiql-plugin-explorer.css",
    ),
    (
        "react/umd/react.production.min.js",
        "react.production.min.js",
    ),
    (
        "react-dom/umd/react-dom.production.min.js",
        "react-dom.production.min.js",
    ),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let admin_dir = manifest_dir.join("admin");
    println!("cargo:rerun-if-changed=admin/package.json");
    println!("cargo:rerun-if-changed=admin/package-lock.json");
    println!("cargo:rerun-if-env-changed=CHORUS_ADMIN_NODE_MODULES");

    let node_modules = match env::var_os("CHORUS_ADMIN_NODE_MODULES") {
        Some(dir) => PathBuf::from(dir),
        None => npm_ci(&admin_dir, &out_dir.join("admin-npm")),
    };

    own_assets(&admin_dir, &out_dir);

    let vendor_dir = out_dir.join("admin-vendor");
    fs::create_dir_all(&vendor_dir).expect("create OUT_DIR/admin-vendor");
    for (source, name) in VENDORED {
        let from = node_modules.join(source);
        if let Err(e) = fs::copy(&from, vendor_dir.join(name)) {
            fail(&format!(
                "the admin asset {} is missing ({e})",
                from.display()
            ));
        }
    }
}

/// Runs `npm ci` in `work` from the committed manifest and lock file, unless the
/// same lock file was already installed there.
fn npm_ci(admin_dir: &Path, work: &Path) -> PathBuf {
    let lock = fs::read(admin_dir.join("package-lock.json"))
        .unwrap_or_else(|e| fail(&format!("cannot read admin/package-lock.json: {e}")));
    let installed_lock = work.join(".installed-lock.json");
    let node_modules = work.join("node_modules");
    if fs::read(&installed_lock).ok().as_deref() == Some(lock.as_slice()) && node_modules.is_dir() {
        return node_modules;
    }
    fs::create_dir_all(work).expect("create OUT_DIR/admin-npm");
    for file in ["package.json", "package-lock.json"] {
        fs::copy(admin_dir.join(file), work.join(file))
            .unwrap_or_else(|e| fail(&format!("cannot copy admin/{file}: {e}")));
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(work)
        .status()
        .unwrap_or_else(|e| {
            fail(&format!(
                "could not run npm ({e}); install Node.js and npm, or set CHORUS_ADMIN_NODE_MODULES"
            ))
        });
    if !status.success() {
        fail(&format!("`npm ci` for the admin page failed ({status})"));
    }
    fs::write(&installed_lock, &lock).expect("record the installed lock file");
    node_modules
}

/// The content type an admin file is served with, by its extension.
fn content_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "graphql" => "application/graphql; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// Writes `OUT_DIR/admin_assets.rs` (Chorus's own admin files, embedded) and
/// `OUT_DIR/admin-operations.graphql` (every named document, joined).
fn own_assets(admin_dir: &Path, out_dir: &Path) {
    println!("cargo:rerun-if-changed=admin/index.html");
    println!("cargo:rerun-if-changed=admin/admin.js");
    println!("cargo:rerun-if-changed=admin/admin.css");
    println!("cargo:rerun-if-changed=admin/newsroom");
    println!("cargo:rerun-if-changed=admin/operations");

    // Paths are written relative to CARGO_MANIFEST_DIR, not as this checkout's
    // absolute paths: a target directory shared by several checkouts (CI's clean
    // clones) reuses this script's output, and must still embed the files of the
    // checkout being compiled.
    let mut files: Vec<(String, String)> = ["admin.js", "admin.css"]
        .iter()
        .map(|n| (n.to_string(), format!("admin/{n}")))
        .collect();
    for entry in sorted_dir(&admin_dir.join("newsroom")) {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned);
        if let Some(name) = name.filter(|n| content_type(n).is_some()) {
            files.push((format!("newsroom/{name}"), format!("admin/newsroom/{name}")));
        }
    }
    let operations: Vec<String> = sorted_dir(&admin_dir.join("operations"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
        .map(|name| format!("admin/operations/{name}"))
        .collect();

    let include =
        |path: &str| format!("include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{path}\"))");
    let mut table = String::from("/// Chorus's own admin files: (name, content type, bytes).\n");
    table.push_str("pub const OWN_ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for (name, path) in &files {
        let kind = content_type(name).expect("filtered above");
        table.push_str(&format!("    ({name:?}, {kind:?}, {}),\n", include(path)));
    }
    table.push_str("];\n");
    table
        .push_str("/// The newsroom's GraphQL documents, served joined as `operations.graphql`.\n");
    table.push_str("pub const OPERATIONS: &[&[u8]] = &[\n");
    for path in &operations {
        table.push_str(&format!("    {},\n", include(path)));
    }
    table.push_str("];\n");
    fs::write(out_dir.join("admin_assets.rs"), table).expect("write admin_assets.rs");
}

/// The files (not directories) in `dir`, by name; none if it does not exist.
fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("building the admin page failed: {message}");
}
