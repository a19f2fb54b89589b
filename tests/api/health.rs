//! `/healthz` says the process is up; `/readyz` says its database answers.

use api::{Application, Config};

use crate::helpers::{TestDatabase, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_200_with_a_database() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readyz_fails_when_the_database_goes_away() {
    let app = spawn_app().await;
    app.db.clone().close().await.unwrap();
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the process itself is still up");
}

#[tokio::test]
async fn readyz_fails_while_the_database_is_unreachable_from_the_start() {
    let database = TestDatabase::new().await;
    if database.pg.is_none() {
        // An embedded database is a local file: one that cannot be opened stops start-up
        // with an error naming it rather than serving "not ready" forever.
        let missing = format!(
            "sqlite://{}/missing/chorus.db?mode=ro",
            database.dir.path().display()
        );
        let config = Config::from_map(&database.config(&[
            ("CHORUS_DATABASE_URL", &missing),
            ("CHORUS_MIGRATE_ON_START", "false"),
        ]))
        .unwrap();
        let err = Application::build(config)
            .await
            .err()
            .expect("refuses to start");
        assert!(err.to_string().contains("missing/chorus.db"), "{err}");
        return;
    }
    let config = Config::from_map(&database.config(&[
        (
            "CHORUS_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/nowhere",
        ),
        ("CHORUS_MIGRATE_ON_START", "false"),
    ]))
    .unwrap();
    let app = Application::build(config)
        .await
        .expect("starts without its database");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));

    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
