//! Start-up and shutdown: migrations on demand, and requests in flight finish when
//! the server is told to stop.

use std::time::Duration;

use api::{Application, Config};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestDatabase, spawn_app};

#[tokio::test]
async fn a_request_in_flight_finishes_after_shutdown_begins() {
    let mut app = spawn_app().await;
    let body = json!({ "query": "{ campaigns { edges { cursor } } }" }).to_string();
    let (head, tail) = body.split_at(body.len() / 2);

    // Send half a request, then ask the server to stop.
    let mut stream = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: chorus\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // New connections are no longer accepted...
    assert!(
        TcpStream::connect(app.base_url.trim_start_matches("http://"))
            .await
            .is_err(),
        "the listener is closed once shutdown begins"
    );

    // ...but the request already under way completes.
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"campaigns\""), "{response}");
    app.stopped().await.expect("clean stop");
}

#[tokio::test]
async fn chorus_migrate_prepares_a_database_for_a_server_that_does_not_migrate() {
    let database = TestDatabase::new().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("migrate")
        .current_dir(database.dir.path())
        .env("CHORUS_DATABASE_URL", &database.url)
        .env("CHORUS_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let config =
        Config::from_map(&database.config(&[("CHORUS_MIGRATE_ON_START", "false")])).unwrap();
    let app = Application::build(config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ tags { edges { cursor } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["tags"]["edges"], json!([]), "{body}");
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_unreadable_key_file_stops_start_up_before_the_database_is_touched() {
    let database = TestDatabase::new().await;
    std::fs::write(database.dir.path().join("encryption.key"), "").unwrap();
    let config = Config::from_map(&database.config(&[("CHORUS_ENCRYPTION_KEY", "")])).unwrap();
    let err = Application::build(config)
        .await
        .err()
        .expect("refuses to start");
    assert!(err.to_string().contains("encryption key"), "{err}");
    if database.pg.is_none() {
        assert!(
            !database.dir.path().join("chorus.db").exists(),
            "no database was created"
        );
    }
}
