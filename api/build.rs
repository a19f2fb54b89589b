//! Installs the admin page's front-end packages (GraphiQL, React) from the npm
//! registry at build time, so the admin never loads anything from a CDN and
//! `cargo run` on a fresh clone still does everything.
//!
//! `npm ci` runs inside OUT_DIR from the committed `admin/package-lock.json`, so the
//! source tree is never written to and the versions are pinned. Set
//! `CHORUS_ADMIN_NODE_MODULES` to an existing `node_modules` directory to skip npm
//! (for offline builds).

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

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("building the admin page failed: {message}");
}
