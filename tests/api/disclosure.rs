//! The server gives away nothing it need not: no schema hints to callers who may
//! not introspect, no file of personal data readable by other local users.

use std::{os::unix::fs::PermissionsExt, path::Path};

use api::auth::Role;
use serde_json::json;

use crate::helpers::spawn_app_with;

const MISSPELT: &[&str] = &[
    "{ storys { edges { cursor } } }",
    "{ stories(firs: 1) { edges { cursor } } }",
];

#[tokio::test]
async fn field_suggestions_go_only_to_callers_who_may_introspect() {
    let app = spawn_app_with(&[("CHORUS_PUBLIC_INTROSPECTION", "false")]).await;
    let staff = app.token_for("ed@example.org", Role::Editor).await;
    for query in MISSPELT {
        let res = app.gql(None, query, json!({})).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
        assert!(
            !res.message().contains("Did you mean"),
            "anonymous, {query}: {}",
            res.body
        );
        assert!(res.message().starts_with("Unknown"), "{}", res.body);

        let res = app.gql(Some(&staff), query, json!({})).await;
        assert!(
            res.message().contains("Did you mean"),
            "staff may introspect, so they get the hint: {}",
            res.body
        );
    }

    let open = spawn_app_with(&[("CHORUS_PUBLIC_INTROSPECTION", "true")]).await;
    let res = open.gql(None, MISSPELT[0], json!({})).await;
    assert!(
        res.message().contains("Did you mean"),
        "with public introspection everyone gets it: {}",
        res.body
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_data_directory_database_and_local_media_are_owner_only() {
    // A data directory Chorus creates itself, with the embedded database in it
    // (on either test backend).
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("var/chorus");
    let url = format!("sqlite://{}?mode=rwc", data.join("chorus.db").display());
    let app = spawn_app_with(&[
        ("CHORUS_DATA_DIR", &data.display().to_string()),
        ("CHORUS_DATABASE_URL", &url),
        ("CHORUS_STORAGE", "local"),
    ])
    .await;
    // A write, so the write-ahead log is in use.
    app.create_user("ana@example.org", Role::Editor).await;
    let source = root.path().join("photo.bin");
    std::fs::write(&source, b"not really a photo").unwrap();
    std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o644)).unwrap();
    app.state
        .storage
        .put_file("media/ab/photo", &source, "image/jpeg")
        .await
        .expect("stored");

    for dir in [
        "var",
        "var/chorus",
        "var/chorus/media",
        "var/chorus/media/media/ab",
    ] {
        assert_eq!(mode(&root.path().join(dir)), 0o700, "{dir}");
    }
    for file in [
        "chorus.db",
        "chorus.db-wal",
        "chorus.db-shm",
        "media/media/ab/photo",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}
