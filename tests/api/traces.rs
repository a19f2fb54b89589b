//! Traces over OTLP: `chorus serve` runs as a child process (its tracing
//! subscriber is process-wide) pointed at an OTLP/HTTP receiver inside the test,
//! which decodes what arrives with the OpenTelemetry protocol's own types.

use std::{
    collections::HashMap,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::any_value::Value as AnyValue,
    trace::v1::{Span, span::SpanKind},
};
use prost::Message;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::cli::{Banner, Server, chorus, read_banner, stop};

/// The caller's trace that Chorus must join (W3C trace context).
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A span as received, with its attributes as strings.
#[derive(Debug)]
struct Received {
    name: String,
    kind: i32,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: HashMap<String, String>,
}

impl Received {
    fn from(span: &Span) -> Self {
        let attributes = span
            .attributes
            .iter()
            .map(|kv| {
                let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(AnyValue::StringValue(s)) => s.clone(),
                    Some(AnyValue::IntValue(i)) => i.to_string(),
                    Some(AnyValue::BoolValue(b)) => b.to_string(),
                    Some(AnyValue::DoubleValue(d)) => d.to_string(),
                    other => format!("{other:?}"),
                };
                (kv.key.clone(), value)
            })
            .collect();
        Self {
            name: span.name.clone(),
            kind: span.kind,
            trace_id: hex(&span.trace_id),
            span_id: hex(&span.span_id),
            parent_span_id: hex(&span.parent_span_id),
            attributes,
        }
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the receiver got: each export request's decoded body, and its service name.
#[derive(Default)]
struct Collected {
    spans: Vec<Received>,
    service_names: Vec<String>,
    content_types: Vec<String>,
}

/// An OTLP/HTTP receiver on a free port: `POST /v1/traces` with a protobuf body.
/// Plain HTTP/1.1 over a socket, so nothing here shares code with the exporter.
async fn otlp_receiver() -> (String, Arc<Mutex<Collected>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let collected = Arc::new(Mutex::new(Collected::default()));
    let sink = collected.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                loop {
                    // Headers, then as many body bytes as they announce.
                    let head_end = loop {
                        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 8192];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
                    let header = |name: &str| {
                        head.lines().find_map(|line| {
                            let (k, v) = line.split_once(':')?;
                            k.trim()
                                .eq_ignore_ascii_case(name)
                                .then(|| v.trim().to_owned())
                        })
                    };
                    let length: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < head_end + length {
                        let mut chunk = [0u8; 8192];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
                    assert!(head.starts_with("POST /v1/traces "), "{head}");
                    let request = ExportTraceServiceRequest::decode(body.as_slice())
                        .expect("an OTLP protobuf export request");
                    {
                        let mut sink = sink.lock().unwrap();
                        sink.content_types
                            .push(header("content-type").unwrap_or_default());
                        for resource in &request.resource_spans {
                            if let Some(resource) = &resource.resource {
                                for kv in &resource.attributes {
                                    if kv.key == "service.name"
                                        && let Some(AnyValue::StringValue(s)) =
                                            kv.value.as_ref().and_then(|v| v.value.as_ref())
                                    {
                                        sink.service_names.push(s.clone());
                                    }
                                }
                            }
                            for scope in &resource.scope_spans {
                                sink.spans.extend(scope.spans.iter().map(Received::from));
                            }
                        }
                    }
                    // An empty ExportTraceServiceResponse: all accepted.
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, collected)
}

async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> Value {
    let mut req = client.post(format!("{base}/graphql")).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let answer: Value = req.send().await.unwrap().json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
    answer
}

/// `chorus serve` on a free port exporting to `endpoint`, logging at info in
/// `format`; returns once it printed its banner.
async fn start(dir: &std::path::Path, endpoint: &str, format: &str) -> (Server, Banner) {
    let mut command: Command = chorus(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    let mut server = Server::start(
        command
            .env("CHORUS_BIND", "127.0.0.1:0")
            .env("CHORUS_LOG", "info")
            .env("CHORUS_LOG_FORMAT", format)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_SERVICE_NAME", "chorus-under-test")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = server.stdout();
    let banner = tokio::task::spawn_blocking(move || read_banner(stdout))
        .await
        .unwrap();
    (server, banner)
}

#[tokio::test]
async fn a_request_exports_its_server_span_with_statement_and_storage_children_and_logs_its_trace_id()
 {
    let (endpoint, collected) = otlp_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, (base, credentials, _)) = start(dir.path(), &endpoint, "text").await;
    let (email, password) = credentials.expect("the first start prints the demo admin");

    let client = reqwest::Client::new();
    let login = graphql(
        &client,
        &base,
        None,
        &[],
        json!({
            "query": "mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "operationName": "SignIn",
            "variables": { "e": email, "p": password }
        }),
    )
    .await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap();

    // The named query joins the caller's trace.
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let newsroom = graphql(
        &client,
        &base,
        Some(token),
        &[("traceparent", &traceparent)],
        json!({
            "query": "query Newsroom { editorialStories(first: 1) { edges { node { id } } } }",
            "operationName": "Newsroom"
        }),
    )
    .await;
    let story_id = newsroom["data"]["editorialStories"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("the demo has stories")
        .to_owned();

    // An upload: its bytes go to the store.
    let form = Form::new()
        .text(
            "operations",
            json!({
                "query": "mutation Attach($storyId: ID!, $file: Upload!) { addStoryMedia(storyId: $storyId, file: $file) { id } }",
                "operationName": "Attach",
                "variables": { "storyId": story_id, "file": null }
            })
            .to_string(),
        )
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            Part::bytes(api::media::strip::fixtures::jpeg_with_metadata(6)).file_name("IMG_0001.jpg"),
        );
    let uploaded: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        uploaded["data"]["addStoryMedia"]["id"].is_string(),
        "{uploaded}"
    );

    // A graceful stop sends the spans still queued.
    let stderr = stop(server).await;
    let collected = collected.lock().unwrap();
    assert!(
        collected
            .content_types
            .iter()
            .all(|c| c == "application/x-protobuf"),
        "{:?}",
        collected.content_types
    );
    assert!(
        collected
            .service_names
            .iter()
            .all(|s| s == "chorus-under-test")
            && !collected.service_names.is_empty()
    );
    let spans = &collected.spans;

    // The server span: in the caller's trace, under the caller's span, named
    // after the operation.
    let server_span = spans
        .iter()
        .find(|s| s.attr("graphql.operation.name") == Some("Newsroom"))
        .unwrap_or_else(|| panic!("no span for the Newsroom operation in {spans:#?}"));
    assert_eq!(server_span.name, "query Newsroom");
    assert_eq!(server_span.kind, SpanKind::Server as i32);
    assert_eq!(server_span.trace_id, CALLER_TRACE);
    assert_eq!(server_span.parent_span_id, CALLER_SPAN);
    assert_eq!(server_span.attr("graphql.outcome"), Some("ok"));
    assert_eq!(server_span.attr("http.response.status_code"), Some("200"));

    // Its statements: children in the same trace, with their SQL (placeholders only).
    let statements: Vec<&Received> = spans
        .iter()
        .filter(|s| s.parent_span_id == server_span.span_id && s.attr("db.query.text").is_some())
        .collect();
    assert!(!statements.is_empty(), "no statement spans in {spans:#?}");
    for statement in &statements {
        assert_eq!(statement.trace_id, CALLER_TRACE);
        assert_eq!(statement.kind, SpanKind::Client as i32);
        assert_eq!(statement.attr("db.system.name"), Some("sqlite"));
        assert!(
            statement.attr("db.operation.name").is_some(),
            "{statement:?}"
        );
    }

    // The upload's request span has a storage child that names no object.
    let upload_span = spans
        .iter()
        .find(|s| s.attr("graphql.operation.name") == Some("Attach"))
        .expect("a span for the upload");
    assert_eq!(upload_span.name, "mutation Attach");
    let put = spans
        .iter()
        .find(|s| s.parent_span_id == upload_span.span_id && s.name == "storage.put")
        .unwrap_or_else(|| panic!("no storage.put under the upload in {spans:#?}"));
    assert_eq!(put.trace_id, upload_span.trace_id);
    assert_eq!(put.attr("storage.key_prefix"), Some("media"));
    assert_eq!(put.attr("storage.backend"), Some("local"));

    // Nothing the caller sent as a value is in any span: not the password, not
    // the e-mail address bound into the login's statement.
    let media_id = uploaded["data"]["addStoryMedia"]["id"].as_str().unwrap();
    for span in spans {
        for value in span.attributes.values() {
            assert!(!value.contains(&password), "{span:?}");
            assert!(!value.contains(&email), "{span:?}");
            assert!(!value.contains(media_id), "a storage key in {span:?}");
        }
    }

    // A log line of that request carries its trace id.
    let stderr = without_colours(&stderr);
    let line = stderr.lines().find(|l| {
        l.contains("request finished") && l.contains(&format!("trace_id={CALLER_TRACE}"))
    });
    assert!(
        line.is_some(),
        "no log line with the trace id in:\n{stderr}"
    );
}

/// Log text without its ANSI colour codes.
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn json_log_lines_carry_the_trace_id_of_any_request() {
    let (endpoint, collected) = otlp_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let (server, (base, _, _)) = start(dir.path(), &endpoint, "json").await;
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let health = reqwest::Client::new()
        .get(format!("{base}/healthz"))
        .header("traceparent", &traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let stderr = stop(server).await;

    let line: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request finished" && l["span"]["path"] == "/healthz")
        .unwrap_or_else(|| panic!("no JSON line for the request in:\n{stderr}"));
    assert_eq!(line["span"]["trace_id"], CALLER_TRACE, "{line}");
    let collected = collected.lock().unwrap();
    let span = collected
        .spans
        .iter()
        .find(|s| s.trace_id == CALLER_TRACE)
        .expect("the request's span was exported");
    assert_eq!(span.name, "GET /healthz");
    assert_eq!(span.kind, SpanKind::Server as i32);
    assert_eq!(span.parent_span_id, CALLER_SPAN);
}

#[test]
fn grpc_is_refused_at_start_up_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = chorus(dir.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("OTEL_EXPORTER_OTLP_PROTOCOL"), "{stderr}");
    assert!(stderr.contains("http/protobuf"), "{stderr}");
}
