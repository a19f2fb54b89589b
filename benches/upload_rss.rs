//! Peak memory of the `chorus` server while it takes in a large video, on both
//! upload paths: a presigned PUT to an S3 bucket (an in-process s3s-fs server),
//! and the one-time URL on local disk, where every byte goes through Chorus.
//!
//! The real binary runs as a child process with an SQLite database in a temp
//! directory; its `VmRSS` is sampled from `/proc/<pid>/status` every 50 ms, and its
//! `VmHWM` (the kernel's own peak) is read at the end. The file (an MP4 with a
//! location atom and a big `mdat`) is generated on disk and streamed, so the
//! bench itself holds no copy either. Linux only.
//!
//!     cargo bench --bench upload_rss                 # 500 MB
//!     UPLOAD_RSS_MB=2000 cargo bench --bench upload_rss
//!
//! Prints a markdown table for docs/PERFORMANCE.md.

#[allow(dead_code)]
#[path = "../tests/api/s3_server.rs"]
mod s3_server;

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use api::media::strip::fixtures::mp4_box;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const EMAIL: &str = "bench@chorus.test";
const PASSWORD: &str = "a long enough bench password";
const MIB: u64 = 1024 * 1024;
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

fn main() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("upload_rss reads /proc/<pid>/status: Linux only");
        return;
    }
    let megabytes: u64 = std::env::var("UPLOAD_RSS_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let work = tempfile::tempdir().expect("temp dir");
        let video = work.path().join("video.mp4");
        let size = write_video(&video, megabytes * 1_000_000).await;
        eprintln!("generated {} ({size} bytes)", video.display());

        let mut rows = Vec::new();
        for backend in [Backend::S3, Backend::Local] {
            eprintln!("measuring {}…", backend.name());
            rows.push(measure(backend, &video, size, work.path()).await);
        }
        print_table(size, &rows);
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    S3,
    Local,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::S3 => "S3, presigned PUT to the bucket",
            Backend::Local => "local disk, one-time URL through Chorus",
        }
    }
}

/// Figures for one run, in KiB as `/proc` gives them, and seconds.
struct Row {
    backend: Backend,
    idle_kib: u64,
    /// The kernel's peak before the upload: start-up and the login's Argon2 hash.
    hwm_before_kib: u64,
    put_peak_kib: u64,
    complete_peak_kib: u64,
    after_kib: u64,
    hwm_kib: u64,
    put_secs: f64,
    complete_secs: f64,
}

/// An MP4 of about `target` bytes: `ftyp`, a `moov` with one video track and a
/// location in its `udta` (which the intake must blank), and a 64-bit `mdat`.
async fn write_video(path: &Path, target: u64) -> u64 {
    let location = mp4_box(
        b"udta",
        &mp4_box(b"\xA9xyz", b"\0\x12\x15\xC7+51.5074-000.1278/"),
    );
    let handler = mp4_box(
        b"hdlr",
        &[&[0u8; 8][..], b"vide", &[0u8; 12], b"Video\0"].concat(),
    );
    let head_len = |offset: u32| {
        let stco = mp4_box(
            b"stco",
            &[&[0u8; 4][..], &1u32.to_be_bytes(), &offset.to_be_bytes()].concat(),
        );
        let minf = mp4_box(b"minf", &mp4_box(b"stbl", &stco));
        let mdia = mp4_box(
            b"mdia",
            &[mp4_box(b"mdhd", &[0; 24]), handler.clone(), minf].concat(),
        );
        let trak = mp4_box(b"trak", &[mp4_box(b"tkhd", &[0; 84]), mdia].concat());
        let moov = mp4_box(
            b"moov",
            &[mp4_box(b"mvhd", &[0; 100]), location.clone(), trak].concat(),
        );
        [mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41"), moov].concat()
    };
    // The chunk offset points just past the `mdat` header.
    let len = head_len(0).len() as u32;
    let head = head_len(len + 16);
    let payload = target.saturating_sub(head.len() as u64 + 16).max(MIB);

    let file = tokio::fs::File::create(path).await.expect("create video");
    let mut out = tokio::io::BufWriter::with_capacity(MIB as usize, file);
    out.write_all(&head).await.expect("write");
    out.write_all(&1u32.to_be_bytes()).await.expect("write");
    out.write_all(b"mdat").await.expect("write");
    out.write_all(&(payload + 16).to_be_bytes())
        .await
        .expect("write");
    let chunk: Vec<u8> = (0..MIB).map(|i| (i * 31 % 251) as u8).collect();
    let mut left = payload;
    while left > 0 {
        let n = left.min(MIB) as usize;
        out.write_all(&chunk[..n]).await.expect("write");
        left -= n as u64;
    }
    out.flush().await.expect("flush");
    head.len() as u64 + 16 + payload
}

/// Starts Chorus on `backend`, uploads the video and completes it, sampling memory.
async fn measure(backend: Backend, video: &Path, size: u64, work: &Path) -> Row {
    let data = tempfile::tempdir_in(work).expect("data dir");
    let tmp = data.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let s3 = match backend {
        Backend::S3 => Some(s3_server::S3Server::start().await),
        Backend::Local => None,
    };
    let mut env: Vec<(String, String)> = vec![
        ("CHORUS_BIND".into(), "127.0.0.1:0".into()),
        ("CHORUS_DATA_DIR".into(), data.path().display().to_string()),
        ("CHORUS_DEMO".into(), "false".into()),
        (
            "CHORUS_JWT_SECRET".into(),
            "bench-secret-of-at-least-32-bytes-0123456789".into(),
        ),
        ("CHORUS_LOG".into(), "warn".into()),
        // Temp files on the same disk as the data, whatever /tmp is.
        ("TMPDIR".into(), tmp.display().to_string()),
    ];
    if let Some(server) = &s3 {
        let bucket = server.create_bucket();
        for (k, v) in [
            ("CHORUS_STORAGE", "s3"),
            ("CHORUS_S3_BUCKET", bucket.as_str()),
            ("CHORUS_S3_ENDPOINT", server.endpoint.as_str()),
            ("CHORUS_S3_ACCESS_KEY_ID", server.access_key.as_str()),
            ("CHORUS_S3_SECRET_ACCESS_KEY", server.secret_key.as_str()),
            ("CHORUS_S3_PATH_STYLE", "true"),
        ] {
            env.push((k.into(), v.into()));
        }
    }
    let chorus = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chorus"));
        command
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            // glibc allocator tuning (`MALLOC_ARENA_MAX`…), to compare settings.
            .envs(std::env::vars().filter(|(k, _)| k.starts_with("MALLOC_")))
            // No `.env` from the repository.
            .current_dir(data.path());
        command
    };

    let mut create = chorus(&["user", "create", "--email", EMAIL, "--role", "ADMIN"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run chorus user create");
    writeln!(create.stdin.take().expect("stdin"), "{PASSWORD}").expect("password");
    assert!(create.wait().expect("user create").success(), "user create");

    let server = Server::start(chorus(&["serve"]));
    let client = reqwest::Client::new();
    let gql = Gql {
        client: client.clone(),
        url: format!("{}/graphql", server.base_url),
        token: None,
    };
    let login = gql
        .call(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": EMAIL, "p": PASSWORD }),
        )
        .await;
    let gql = Gql {
        token: login["login"]["accessToken"].as_str().map(str::to_owned),
        ..gql
    };
    let teller = gql
        .call(
            "mutation($i: CreateStorytellerInput!) { createStoryteller(input: $i) { id } }",
            json!({ "i": { "publicName": "Bench", "legalName": "Bench Person", "yearOfBirth": 1980 } }),
        )
        .await["createStoryteller"]["id"]
        .clone();
    let story = gql
        .call(
            "mutation($i: CreateStoryInput!) { createStory(input: $i) { id } }",
            json!({ "i": { "storytellerId": teller, "primaryLocale": "en", "title": "Bench" } }),
        )
        .await["createStory"]["id"]
        .clone();

    let sampler = Sampler::start(server.pid());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_kib = sampler.rss_kib();
    let hwm_before_kib = status_kib(server.pid(), "VmHWM:").expect("VmHWM");

    let upload = gql
        .call(
            "mutation($i: CreateMediaUploadInput!) { createMediaUpload(input: $i) { id url } }",
            json!({ "i": { "storyId": story, "sizeBytes": size.to_string() } }),
        )
        .await;
    let (id, url) = (
        upload["createMediaUpload"]["id"].clone(),
        upload["createMediaUpload"]["url"]
            .as_str()
            .expect("url")
            .to_owned(),
    );
    assert_eq!(
        url.starts_with(&server.base_url),
        backend == Backend::Local,
        "{url}"
    );

    sampler.reset_peak();
    let started = Instant::now();
    let file = tokio::fs::File::open(video).await.expect("open video");
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
        file,
        256 * 1024,
    ));
    let res = client
        .put(&url)
        .header(reqwest::header::CONTENT_LENGTH, size)
        .body(body)
        .send()
        .await
        .expect("PUT");
    assert!(res.status().is_success(), "PUT answered {}", res.status());
    let put_secs = started.elapsed().as_secs_f64();
    let put_peak_kib = sampler.peak_kib();

    sampler.reset_peak();
    let started = Instant::now();
    let done = gql
        .call(
            "mutation($id: ID!) { completeMediaUpload(id: $id) { id kind sizeBytes metadataStatus } }",
            json!({ "id": id }),
        )
        .await;
    let complete_secs = started.elapsed().as_secs_f64();
    let complete_peak_kib = sampler.peak_kib();
    let asset = &done["completeMediaUpload"];
    assert_eq!(asset["kind"], "VIDEO", "{done}");
    assert_eq!(asset["metadataStatus"], "CLEANED", "{done}");
    assert_eq!(asset["sizeBytes"], size.to_string(), "{done}");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let after_kib = sampler.rss_kib();
    let hwm_kib = status_kib(server.pid(), "VmHWM:").expect("VmHWM");
    sampler.stop();
    drop(server);
    Row {
        backend,
        idle_kib,
        hwm_before_kib,
        put_peak_kib,
        complete_peak_kib,
        after_kib,
        hwm_kib,
        put_secs,
        complete_secs,
    }
}

/// The `chorus serve` child, killed when dropped.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("run chorus serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read the banner for the address, then keep draining so the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("Chorus is running at ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let base_url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("chorus serve printed its address");
        Self { child, base_url }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Gql {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Gql {
    async fn call(&self, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let body: Value = req
            .send()
            .await
            .expect("GraphQL request")
            .json()
            .await
            .expect("JSON");
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Samples a process's `VmRSS` every [`SAMPLE_EVERY`] on a thread of its own.
struct Sampler {
    latest: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let latest = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (latest, peak, stop) = (latest.clone(), peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(rss) = status_kib(pid, "VmRSS:") {
                        latest.store(rss, Ordering::Relaxed);
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        std::thread::sleep(SAMPLE_EVERY * 2);
        Self {
            latest,
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn rss_kib(&self) -> u64 {
        self.latest.load(Ordering::Relaxed)
    }

    fn peak_kib(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    fn reset_peak(&self) {
        self.peak.store(self.rss_kib(), Ordering::Relaxed);
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn print_table(size: u64, rows: &[Row]) {
    let mib = |kib: u64| format!("{:.1}", kib as f64 / 1024.0);
    let rate = |secs: f64| format!("{:.0}", size as f64 / 1_000_000.0 / secs.max(0.001));
    println!(
        "\nFile: {size} bytes ({:.0} MB). RSS of the `chorus` process in MiB; peaks sampled every {} ms; VmHWM is the kernel's peak over the whole run.\n",
        size as f64 / 1_000_000.0,
        SAMPLE_EVERY.as_millis()
    );
    println!(
        "| path | RSS idle | VmHWM before upload | peak during PUT | peak during complete | RSS after | VmHWM at end | PUT | complete |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} s ({} MB/s) | {:.1} s ({} MB/s) |",
            row.backend.name(),
            mib(row.idle_kib),
            mib(row.hwm_before_kib),
            mib(row.put_peak_kib),
            mib(row.complete_peak_kib),
            mib(row.after_kib),
            mib(row.hwm_kib),
            row.put_secs,
            rate(row.put_secs),
            row.complete_secs,
            rate(row.complete_secs),
        );
    }
}
