//! GraphQL over HTTP: the request and response media types of `/graphql`, the
//! status codes of request errors, refusals a client can read before its body is
//! sent, and the spec's own audit suite (npm `graphql-http`) run against the server.

use std::{path::Path, process::Command, time::Duration};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{GqlResponse, TestApp, spawn_app, spawn_app_with};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` as JSON to `/graphql` with the given `Accept` (none if `None`).
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> GqlResponse {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    GqlResponse::read(req.send().await.expect("request sent")).await
}

fn content_type(res: &GqlResponse) -> &str {
    res.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_post_without_a_content_type_is_refused_as_unsupported() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .expect("request sent");
    assert!(res.headers().get("content-type").is_some());
    let res = GqlResponse::read(res).await;
    assert_eq!(res.status, 415, "{}", res.body);
    assert_eq!(res.code(), "UNSUPPORTED_MEDIA_TYPE", "{}", res.body);

    // A JSON type (with parameters, in any case) is still read.
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .expect("request sent");
    let res = GqlResponse::read(res).await;
    assert_eq!(res.data()["__typename"], "Query");
}

#[tokio::test]
async fn graphql_response_json_is_answered_in_that_media_type() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ __typename }" });
    for accept in [
        GRAPHQL_RESPONSE,
        // What Apollo Client sends.
        "application/graphql-response+json,application/json;q=0.9",
        "application/json;q=0.5, application/graphql-response+json",
    ] {
        let res = post(&app, Some(accept), query.clone()).await;
        assert_eq!(res.status, 200, "{accept}: {}", res.body);
        assert!(
            content_type(&res).starts_with(GRAPHQL_RESPONSE),
            "{accept}: {:?}",
            res.headers
        );
        assert_eq!(res.data()["__typename"], "Query");
    }
    // The legacy type for those who ask for it, who accept anything, or say nothing.
    for accept in [
        Some("application/json"),
        Some("application/json, application/graphql-response+json;q=0.9"),
        Some("*/*"),
        Some("text/html"),
        None,
    ] {
        let res = post(&app, accept, query.clone()).await;
        assert_eq!(res.status, 200, "{accept:?}: {}", res.body);
        assert!(
            content_type(&res).starts_with("application/json"),
            "{accept:?}: {:?}",
            res.headers
        );
    }

    // The answer depends on Accept, so shared caches must key on it.
    let res = app
        .client
        .get(app.url("/graphql?query=%7B__typename%7D"))
        .header("accept", GRAPHQL_RESPONSE)
        .send()
        .await
        .expect("request sent");
    let res = GqlResponse::read(res).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(content_type(&res).starts_with(GRAPHQL_RESPONSE));
    let vary = res.headers["vary"].to_str().unwrap().to_ascii_lowercase();
    assert!(vary.split(',').any(|v| v.trim() == "accept"), "{vary}");
}

#[tokio::test]
async fn cached_answers_are_sent_in_either_media_type() {
    let app = spawn_app_with(&[("CHORUS_PUBLIC_READS", "true")]).await;
    let url = app.url("/graphql?query=%7B%20tags%20%7B%20edges%20%7B%20cursor%20%7D%20%7D%20%7D");
    let get = |accept: &'static str, etag: Option<String>| {
        let mut req = app.client.get(&url).header("accept", accept);
        if let Some(etag) = etag {
            req = req.header("if-none-match", etag);
        }
        req.send()
    };
    // The first answer is made and kept, the second comes from the cache.
    let mut etags = Vec::new();
    for accept in [GRAPHQL_RESPONSE, GRAPHQL_RESPONSE, "application/json"] {
        let res = GqlResponse::read(get(accept, None).await.expect("request sent")).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let wanted = if accept == GRAPHQL_RESPONSE {
            GRAPHQL_RESPONSE
        } else {
            "application/json"
        };
        assert!(content_type(&res).starts_with(wanted), "{:?}", res.headers);
        assert!(res.data()["tags"]["edges"].is_array());
        etags.push(res.headers["etag"].to_str().unwrap().to_owned());
    }
    assert!(etags.windows(2).all(|w| w[0] == w[1]), "{etags:?}");
    let res = get(GRAPHQL_RESPONSE, Some(etags[0].clone()))
        .await
        .expect("request sent");
    assert_eq!(res.status(), 304);
}

#[tokio::test]
async fn request_errors_are_400_without_data_in_graphql_response_json() {
    let app = spawn_app().await;
    let request_errors = [
        ("parse", json!({ "query": "{" })),
        ("validation", json!({ "query": "{ noSuchField }" })),
        (
            "unused variable",
            json!({ "query": "query($id: ID!) { __typename }", "variables": { "id": null } }),
        ),
        (
            "variable coercion",
            json!({
                "query": "query($n: Int!) { stories(first: $n) { totalCount } }",
                "variables": { "n": "many" },
            }),
        ),
        (
            "missing variable",
            json!({ "query": "query($n: Int!) { stories(first: $n) { totalCount } }" }),
        ),
        (
            "no operation",
            json!({ "query": "fragment F on Query { __typename }" }),
        ),
        (
            "unknown operation",
            json!({ "query": "query A { __typename }", "operationName": "B" }),
        ),
    ];
    for (what, body) in &request_errors {
        let res = post(&app, Some(GRAPHQL_RESPONSE), body.clone()).await;
        assert_eq!(res.status, 400, "{what}: {}", res.body);
        assert!(content_type(&res).starts_with(GRAPHQL_RESPONSE), "{what}");
        assert!(
            res.body.get("data").is_none(),
            "{what}: no data entry: {}",
            res.body
        );
        assert_eq!(res.code(), "BAD_USER_INPUT", "{what}: {}", res.body);
        assert_eq!(res.headers["cache-control"], "no-store", "{what}");

        // The legacy type keeps 200 and its `data: null`.
        let res = post(&app, Some("application/json"), body.clone()).await;
        assert_eq!(res.status, 200, "{what}: {}", res.body);
        assert!(content_type(&res).starts_with("application/json"), "{what}");
        assert_eq!(res.body.get("data"), Some(&Value::Null), "{what}");
        assert_eq!(res.code(), "BAD_USER_INPUT", "{what}: {}", res.body);
    }

    // Refusals before execution carry their status and no data either.
    let res = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ __typename }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } } }),
    )
    .await;
    assert!(res.body.get("data").is_none(), "{}", res.body);
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", GRAPHQL_RESPONSE)
        .bearer_auth("not-a-token")
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .expect("request sent");
    let res = GqlResponse::read(res).await;
    assert_eq!(res.status, 401, "{}", res.body);
    assert!(res.body.get("data").is_none(), "{}", res.body);
    assert_eq!(res.code(), "UNAUTHENTICATED", "{}", res.body);
}

#[tokio::test]
async fn execution_errors_keep_200_and_data_in_graphql_response_json() {
    // Without public reads an anonymous read of stories fails in its resolver.
    let app = spawn_app().await;
    let res = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ __typename stories(first: 1) { edges { cursor } } }" }),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(content_type(&res).starts_with(GRAPHQL_RESPONSE));
    assert!(res.body.get("data").is_some(), "{}", res.body);
    assert_eq!(res.code(), "UNAUTHENTICATED", "{}", res.body);
}

/// A GraphQL multipart upload of a file of `size` bytes, with no credentials:
/// the head and the body of the request.
fn uncredentialed_upload(size: usize, extra_headers: &str) -> (String, Vec<u8>) {
    let boundary = "chorus-boundary";
    let operations = json!({
        "query": "mutation($f: Upload!) { addStoryMedia(storyId: \"x\", file: $f) { id } }",
        "variables": { "f": null },
    });
    let mut body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.f\"]}}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"0\"; filename=\"a.jpg\"\r\ncontent-type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'x', size));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: chorus\r\ncontent-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {}\r\n{extra_headers}\r\n",
        body.len()
    );
    (head, body)
}

/// Reads from `stream` until the answer's JSON error arrives, the server closes,
/// or 10 s pass; a reset is a failure.
async fn answer(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&response).contains("\"FORBIDDEN\"") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("the answer is read, not reset");
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&response).into_owned()
}

/// Sends an uncredentialed upload of `size` bytes in chunks of `chunk` bytes,
/// `pause` apart, then reads the answer.
async fn send_refused_upload(app: &TestApp, size: usize, chunk: usize, pause: Duration) -> String {
    let (head, body) = uncredentialed_upload(size, "");
    let mut stream = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(chunk) {
        tokio::time::sleep(pause).await;
        stream
            .write_all(chunk)
            .await
            .expect("the server reads the body it refuses instead of closing on it");
    }
    answer(&mut stream).await
}

#[tokio::test]
async fn a_refused_upload_is_answered_rather_than_cut_off() {
    let app = spawn_app().await;
    // At once: several times what a socket buffers, so the body is still on its
    // way when the refusal is decided.
    let response = send_refused_upload(&app, 6 << 20, 6 << 20, Duration::ZERO).await;
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.contains("\"FORBIDDEN\""), "{response}");

    // Slowly, as from a weak uplink: the body trickles in long after the head.
    let response = send_refused_upload(&app, 2 << 20, 256 << 10, Duration::from_millis(20)).await;
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.contains("\"FORBIDDEN\""), "{response}");
}

#[tokio::test]
async fn a_refused_upload_that_waits_for_100_continue_is_answered_before_its_body() {
    let app = spawn_app().await;
    let (head, _) = uncredentialed_upload(6 << 20, "expect: 100-continue\r\n");
    let mut stream = TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // No body is sent: the refusal must come without asking for it.
    let response = answer(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.contains("\"FORBIDDEN\""), "{response}");
}

/// The directory of the Node script that runs the audits.
fn audit_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http-audit"))
}

#[tokio::test]
async fn the_graphql_over_http_audits_pass() {
    let dir = audit_dir();
    if !dir.join("node_modules/graphql-http").is_dir() {
        // Installs the pinned versions (`.ci/run` does the same up front).
        let status = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(dir)
            .status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "`npm ci` in {} failed ({status:?}); this test needs Node.js and npm",
            dir.display()
        );
    }
    let app = spawn_app_with(&[("CHORUS_PUBLIC_READS", "true")]).await;
    let url = app.url("/graphql");
    // The server runs on this test's runtime: wait for node off it.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("audit.mjs")
            .arg(&url)
            .current_dir(dir)
            .output()
    })
    .await
    .expect("the audit task")
    .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "GraphQL over HTTP audits failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("MUST"), "{stdout}");
}
