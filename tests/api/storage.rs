//! Storage drivers: one behaviour suite, written once against `&dyn ObjectStore`
//! and run against every driver (`local::…` over a temp dir, `s3::…` over the
//! in-process S3 server with a bucket of its own), then what only S3 does
//! (presigned URLs, checked by the server) and what only local disk does.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use api::storage::{ByteStream, ObjectStore, StorageError, local::LocalStore, s3::S3Store};

use crate::s3_server::S3Server;

const MIB: usize = 1024 * 1024;

/// Bytes that differ from their neighbours and never repeat at short periods,
/// so an off-by-one range or a shuffled chunk cannot pass for the right bytes.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A scratch directory holding the files tests upload from.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("scratch dir"))
    }

    fn file(&self, bytes: &[u8]) -> PathBuf {
        let path = self
            .0
            .path()
            .join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::write(&path, bytes).expect("write source file");
        path
    }
}

async fn next_chunk(stream: &mut ByteStream) -> Option<<ByteStream as futures_core::Stream>::Item> {
    std::future::poll_fn(|cx| futures_core::Stream::poll_next(stream.as_mut(), cx)).await
}

pub async fn read_all(mut stream: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = next_chunk(&mut stream).await {
        out.extend_from_slice(&chunk.expect("read chunk"));
    }
    out
}

async fn put(store: &dyn ObjectStore, scratch: &Scratch, key: &str, bytes: &[u8]) {
    let info = store
        .put_file(key, &scratch.file(bytes), "application/octet-stream")
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"));
    assert_eq!(info.key, key);
    assert_eq!(info.size, bytes.len() as u64);
}

async fn get_bytes(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    let read = store.get(key, None).await.expect("get");
    let bytes = read_all(read.bytes).await;
    assert_eq!(read.size, bytes.len() as u64);
    bytes
}

// ---- The suite every driver passes -------------------------------------------------

async fn put_then_head_and_get_return_the_same_bytes(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    let bytes = pattern(100_000, 1);
    put(store, &scratch, "media/01/original.jpg", &bytes).await;

    let info = store.head("media/01/original.jpg").await.expect("head");
    assert_eq!(info.key, "media/01/original.jpg");
    assert_eq!(info.size, bytes.len() as u64);
    assert!(
        info.modified.is_some(),
        "both drivers know when it was written"
    );
    assert_eq!(get_bytes(store, "media/01/original.jpg").await, bytes);

    // An empty object is an object too.
    put(store, &scratch, "media/01/empty.txt", b"").await;
    assert_eq!(
        store.head("media/01/empty.txt").await.expect("head").size,
        0
    );
    assert!(get_bytes(store, "media/01/empty.txt").await.is_empty());
}

async fn a_ranged_get_returns_exactly_those_bytes_and_the_whole_size(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    let bytes = pattern(MIB, 2);
    put(store, &scratch, "media/ranged.bin", &bytes).await;
    let size = bytes.len() as u64;

    for range in [10..20, 0..1, size - 5..size, 0..size, 4096..300_000] {
        let read = store
            .get("media/ranged.bin", Some(range.clone()))
            .await
            .unwrap_or_else(|e| panic!("range {range:?}: {e}"));
        assert_eq!(read.size, size, "the whole object's size, for {range:?}");
        let got = read_all(read.bytes).await;
        assert_eq!(
            got,
            &bytes[range.start as usize..range.end as usize],
            "bytes of {range:?}"
        );
    }
}

async fn a_range_outside_the_object_is_refused(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    put(store, &scratch, "media/small.bin", &pattern(100, 3)).await;

    #[allow(clippy::reversed_empty_ranges)]
    for range in [100..101, 200..300, 90..101, 50..50, 60..40] {
        match store.get("media/small.bin", Some(range.clone())).await {
            Err(StorageError::InvalidRange) => {}
            Err(e) => panic!("{range:?}: expected InvalidRange, got {e}"),
            Ok(_) => panic!("{range:?}: expected InvalidRange, got bytes"),
        }
    }
    // The object is still readable afterwards.
    assert_eq!(get_bytes(store, "media/small.bin").await.len(), 100);
}

async fn put_replaces_an_object(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    put(store, &scratch, "media/replaced.bin", &pattern(5000, 4)).await;
    let second = pattern(1234, 5);
    put(store, &scratch, "media/replaced.bin", &second).await;

    assert_eq!(
        store.head("media/replaced.bin").await.expect("head").size,
        1234
    );
    assert_eq!(get_bytes(store, "media/replaced.bin").await, second);
    let keys: Vec<_> = store.list("media/").await.expect("list");
    assert_eq!(keys.len(), 1, "one object, not two: {keys:?}");
}

async fn delete_removes_and_deleting_twice_is_fine(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    put(store, &scratch, "media/gone.bin", b"bye").await;
    put(store, &scratch, "media/kept.bin", b"hi").await;

    store.delete("media/gone.bin").await.expect("delete");
    assert!(matches!(
        store.head("media/gone.bin").await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.get("media/gone.bin", None).await,
        Err(StorageError::NotFound)
    ));
    store
        .delete("media/gone.bin")
        .await
        .expect("deleting again is not an error");
    store
        .delete("media/never-was.bin")
        .await
        .expect("deleting what never existed is not an error");
    assert_eq!(get_bytes(store, "media/kept.bin").await, b"hi");
}

async fn a_missing_key_is_not_found(store: &dyn ObjectStore) {
    assert!(matches!(
        store.head("media/missing.bin").await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.get("media/missing.bin", None).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.get("media/missing.bin", Some(0..10)).await,
        Err(StorageError::NotFound)
    ));
    assert!(store.list("media/").await.expect("list").is_empty());
}

async fn list_returns_exactly_the_keys_under_a_prefix(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    for (key, len) in [
        ("media/a/1.jpg", 1),
        ("media/a/2.jpg", 2),
        ("media/ab/3.jpg", 3),
        ("media/b/4.jpg", 4),
        ("other/5.jpg", 5),
    ] {
        put(store, &scratch, key, &pattern(len, len as u64)).await;
    }
    let keys = |infos: Vec<api::storage::ObjectInfo>| {
        infos
            .into_iter()
            .map(|i| (i.key, i.size))
            .collect::<Vec<_>>()
    };
    let owned = |list: &[(&str, u64)]| {
        list.iter()
            .map(|(k, s)| ((*k).to_owned(), *s))
            .collect::<Vec<_>>()
    };

    assert_eq!(
        keys(store.list("media/a/").await.expect("list")),
        owned(&[("media/a/1.jpg", 1), ("media/a/2.jpg", 2)])
    );
    // A prefix need not end at a `/`.
    assert_eq!(
        keys(store.list("media/a").await.expect("list")),
        owned(&[
            ("media/a/1.jpg", 1),
            ("media/a/2.jpg", 2),
            ("media/ab/3.jpg", 3)
        ])
    );
    assert_eq!(keys(store.list("").await.expect("list")).len(), 5);
    assert!(store.list("nothing/").await.expect("list").is_empty());
}

async fn bad_keys_are_refused_before_any_io(store: &dyn ObjectStore) {
    // The source file does not exist: a driver that did I/O first would say NotFound.
    let missing_source = Path::new("/nonexistent/chorus-test-source");
    for key in ["../x", "/abs", "a/../../b", "a//b", "", "a/b c", "ä"] {
        let invalid = |r: Result<(), StorageError>, op: &str| match r {
            Err(StorageError::InvalidKey(_)) => {}
            other => panic!("{op} {key:?}: expected InvalidKey, got {other:?}"),
        };
        invalid(
            store
                .put_file(key, missing_source, "text/plain")
                .await
                .map(drop),
            "put",
        );
        invalid(store.get(key, None).await.map(drop), "get");
        invalid(store.get(key, Some(0..1)).await.map(drop), "ranged get");
        invalid(store.head(key).await.map(drop), "head");
        invalid(store.delete(key).await, "delete");
        // Never a URL for a bad key, and the same refusal from every driver.
        for (op, presigned) in [
            (
                "presign put",
                store.presign_put(key, Duration::from_secs(60)).await,
            ),
            (
                "presign get",
                store.presign_get(key, Duration::from_secs(60)).await,
            ),
        ] {
            match presigned {
                Err(StorageError::InvalidKey(_)) => {}
                other => panic!("{op} {key:?}: expected InvalidKey, got {other:?}"),
            }
        }
    }
}

async fn a_20_mib_object_streams_through(store: &dyn ObjectStore) {
    let scratch = Scratch::new();
    let bytes = pattern(20 * MIB, 6);
    put(store, &scratch, "media/big.bin", &bytes).await;

    let read = store.get("media/big.bin", None).await.expect("get");
    assert_eq!(read.size, bytes.len() as u64);
    // Compare chunk by chunk as it arrives rather than collecting first.
    let mut stream = read.bytes;
    let (mut offset, mut chunks) = (0usize, 0usize);
    while let Some(chunk) = next_chunk(&mut stream).await {
        let chunk = chunk.expect("chunk");
        assert!(chunk.len() <= 4 * MIB, "streamed in pieces, not whole");
        assert_eq!(
            &chunk[..],
            &bytes[offset..offset + chunk.len()],
            "at {offset}"
        );
        offset += chunk.len();
        chunks += 1;
    }
    assert_eq!(offset, bytes.len());
    assert!(chunks > 1);

    let tail = store
        .get("media/big.bin", Some(19 * MIB as u64..20 * MIB as u64))
        .await
        .expect("ranged get");
    assert_eq!(read_all(tail.bytes).await, &bytes[19 * MIB..]);
}

/// Runs each behaviour above once per driver, as `storage::local::NAME` and
/// `storage::s3::NAME`.
macro_rules! every_driver {
    ($($behaviour:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let store = api::storage::local::LocalStore::new(dir.path().join("media-root"));
                    super::$behaviour(&store).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let server = crate::s3_server::S3Server::start().await;
                    super::$behaviour(&server.store()).await;
                }
            )*
        }
    };
}

every_driver!(
    put_then_head_and_get_return_the_same_bytes,
    a_ranged_get_returns_exactly_those_bytes_and_the_whole_size,
    a_range_outside_the_object_is_refused,
    put_replaces_an_object,
    delete_removes_and_deleting_twice_is_fine,
    a_missing_key_is_not_found,
    list_returns_exactly_the_keys_under_a_prefix,
    bad_keys_are_refused_before_any_io,
    a_20_mib_object_streams_through,
);

// ---- Only S3: presigned URLs, and the server really checks them --------------------

/// A store over a fresh bucket, and a file of known bytes already in it.
async fn s3_with_object(server: &S3Server, key: &str, bytes: &[u8]) -> S3Store {
    let store = server.store();
    put(&store, &Scratch::new(), key, bytes).await;
    store
}

/// The same URL with one character of its `X-Amz-Signature` changed.
pub fn tamper_signature(url: &str) -> String {
    let at = url.find("X-Amz-Signature=").expect("a signed URL") + "X-Amz-Signature=".len();
    let mut out = url.to_owned();
    let replacement = if &url[at..at + 1] == "0" { "1" } else { "0" };
    out.replace_range(at..at + 1, replacement);
    out
}

#[tokio::test]
async fn s3_presigned_put_accepts_a_plain_http_put() {
    let server = S3Server::start().await;
    let store = server.store();
    let presigned = store
        .presign_put("uploads/direct.bin", Duration::from_secs(300))
        .await
        .expect("presign")
        .expect("S3 signs URLs");
    let left = presigned.expires_at - chrono::Utc::now();
    assert!(
        (295..=300).contains(&left.num_seconds()),
        "expires in about 300 s, not {left}"
    );

    let bytes = pattern(70_000, 7);
    let res = reqwest::Client::new()
        .put(&presigned.url)
        .body(bytes.clone())
        .send()
        .await
        .expect("PUT");
    assert!(
        res.status().is_success(),
        "{}: {}",
        res.status(),
        res.text().await.unwrap_or_default()
    );
    assert_eq!(get_bytes(&store, "uploads/direct.bin").await, bytes);
}

#[tokio::test]
async fn s3_presigned_get_serves_the_object() {
    let server = S3Server::start().await;
    let bytes = pattern(50_000, 8);
    let store = s3_with_object(&server, "media/shared.jpg", &bytes).await;
    let url = store
        .presign_get("media/shared.jpg", Duration::from_secs(60))
        .await
        .expect("presign")
        .expect("S3 signs URLs")
        .url;

    let res = reqwest::get(&url).await.expect("GET");
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.expect("body").as_ref(), &bytes[..]);
}

#[tokio::test]
async fn s3_a_tampered_presigned_url_is_refused() {
    let server = S3Server::start().await;
    let store = s3_with_object(&server, "media/private.jpg", b"secret bytes").await;
    s3_with_object(&server, "media/other.jpg", b"other bytes").await;
    let client = reqwest::Client::new();
    let get_url = store
        .presign_get("media/private.jpg", Duration::from_secs(60))
        .await
        .expect("presign")
        .expect("S3 signs URLs")
        .url;
    assert_eq!(
        client.get(&get_url).send().await.expect("GET").status(),
        200
    );

    let wrong_signature = tamper_signature(&get_url);
    let other_key = get_url.replace("media/private.jpg", "media/privatf.jpg");
    assert_ne!(other_key, get_url);
    for url in [wrong_signature, other_key] {
        let res = client.get(&url).send().await.expect("GET");
        assert_eq!(res.status(), 403, "{url}");
    }

    let put_url = store
        .presign_put("media/upload.jpg", Duration::from_secs(60))
        .await
        .expect("presign")
        .expect("S3 signs URLs")
        .url;
    for url in [
        tamper_signature(&put_url),
        put_url.replace("media/upload.jpg", "media/private.jpg"),
    ] {
        let res = client
            .put(&url)
            .body("overwrite")
            .send()
            .await
            .expect("PUT");
        assert_eq!(res.status(), 403, "{url}");
    }
    assert_eq!(
        get_bytes(&store, "media/private.jpg").await,
        b"secret bytes"
    );
    assert!(matches!(
        store.head("media/upload.jpg").await,
        Err(StorageError::NotFound)
    ));
}

#[tokio::test]
async fn s3_an_expired_presigned_url_is_refused() {
    let server = S3Server::start().await;
    let store = s3_with_object(&server, "media/brief.jpg", b"soon gone").await;
    let get_url = store
        .presign_get("media/brief.jpg", Duration::from_secs(1))
        .await
        .expect("presign")
        .expect("S3 signs URLs")
        .url;
    let put_url = store
        .presign_put("media/late.jpg", Duration::from_secs(1))
        .await
        .expect("presign")
        .expect("S3 signs URLs")
        .url;
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let client = reqwest::Client::new();
    assert_eq!(
        client.get(&get_url).send().await.expect("GET").status(),
        403
    );
    let res = client.put(&put_url).body("late").send().await.expect("PUT");
    assert_eq!(res.status(), 403);
    assert!(matches!(
        store.head("media/late.jpg").await,
        Err(StorageError::NotFound)
    ));
}

#[tokio::test]
async fn s3_wrong_credentials_are_refused_and_never_echoed() {
    let server = S3Server::start().await;
    let bucket = server.create_bucket();
    let good = S3Store::new(&server.settings(&bucket)).expect("store");
    put(&good, &Scratch::new(), "media/a.jpg", b"abc").await;

    let wrong_secret = api::config::S3Settings {
        secret_access_key: "not-the-secret-0123456789".into(),
        ..server.settings(&bucket)
    };
    let wrong_key = api::config::S3Settings {
        access_key_id: "AKNOBODY".into(),
        ..server.settings(&bucket)
    };
    let scratch = Scratch::new();
    let source = scratch.file(b"intruder");
    for settings in [wrong_secret, wrong_key] {
        let store = S3Store::new(&settings).expect("store");
        let errors = [
            store.head("media/a.jpg").await.map(drop),
            store.get("media/a.jpg", None).await.map(drop),
            store.list("").await.map(drop),
            store.delete("media/a.jpg").await,
            store
                .put_file("media/a.jpg", &source, "image/jpeg")
                .await
                .map(drop),
        ];
        for result in errors {
            match result {
                Err(StorageError::Backend(message)) => {
                    assert!(message.contains("403"), "{message}");
                    for secret in [&settings.secret_access_key, &server.secret_key] {
                        assert!(!message.contains(secret.as_str()), "{message}");
                    }
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        // A URL signed with the wrong secret is refused too.
        let url = store
            .presign_get("media/a.jpg", Duration::from_secs(60))
            .await
            .expect("presign")
            .expect("S3 signs URLs")
            .url;
        assert_eq!(reqwest::get(&url).await.expect("GET").status(), 403);
    }
    // An unsigned request is refused, and nothing above changed the object.
    let plain = format!("{}/{bucket}/media/a.jpg", server.endpoint);
    assert_eq!(reqwest::get(&plain).await.expect("GET").status(), 403);
    assert_eq!(get_bytes(&good, "media/a.jpg").await, b"abc");
}

#[tokio::test]
async fn s3_bad_keys_are_refused_even_with_the_server_down() {
    let mut server = S3Server::start().await;
    let store = server.store();
    server.stop().await;
    bad_keys_are_refused_before_any_io(&store).await;
    for key in ["../x", "/abs"] {
        assert!(matches!(
            store.presign_get(key, Duration::from_secs(60)).await,
            Err(StorageError::InvalidKey(_))
        ));
    }
    // …while a good key does reach for the (stopped) server, which is unavailable.
    assert!(matches!(
        store.head("media/fine.jpg").await,
        Err(StorageError::Unavailable(_))
    ));
}

#[tokio::test]
async fn s3_server_restarts_on_the_same_port_with_the_same_objects() {
    let mut server = S3Server::start().await;
    let store = s3_with_object(&server, "media/kept.jpg", b"still here").await;
    let endpoint = server.endpoint.clone();
    server.stop().await;
    assert!(store.head("media/kept.jpg").await.is_err());
    server.restart().await;
    assert_eq!(server.endpoint, endpoint);
    assert_eq!(get_bytes(&store, "media/kept.jpg").await, b"still here");
}

#[tokio::test]
async fn from_config_picks_the_configured_driver() {
    let server = S3Server::start().await;
    let bucket = server.create_bucket();
    let database = crate::helpers::TestDatabase::new().await;

    let local = api::Config::from_map(&database.config(&[])).expect("config");
    let store = api::storage::from_config(&local).expect("local store");
    assert!(format!("{store:?}").starts_with("LocalStore"), "{store:?}");

    let s3 = api::Config::from_map(&database.config(&[
        ("CHORUS_STORAGE", "s3"),
        ("CHORUS_S3_BUCKET", &bucket),
        ("CHORUS_S3_ENDPOINT", &server.endpoint),
        ("CHORUS_S3_ACCESS_KEY_ID", &server.access_key),
        ("CHORUS_S3_SECRET_ACCESS_KEY", &server.secret_key),
        ("CHORUS_S3_PATH_STYLE", "true"),
    ]))
    .expect("config");
    let store = api::storage::from_config(&s3).expect("S3 store");
    let debug = format!("{store:?}");
    assert!(debug.starts_with("S3Store"), "{debug}");
    assert!(!debug.contains(&server.secret_key), "{debug}");
    put(
        store.as_ref(),
        &Scratch::new(),
        "media/configured.bin",
        b"ok",
    )
    .await;
    assert_eq!(
        get_bytes(store.as_ref(), "media/configured.bin").await,
        b"ok"
    );
}

// ---- Only local disk ---------------------------------------------------------------

#[tokio::test]
async fn local_disk_cannot_presign() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::new(dir.path());
    put(&store, &Scratch::new(), "media/a.jpg", b"abc").await;
    assert_eq!(
        store
            .presign_put("media/b.jpg", Duration::from_secs(60))
            .await
            .expect("presign"),
        None
    );
    assert_eq!(
        store
            .presign_get("media/a.jpg", Duration::from_secs(60))
            .await
            .expect("presign"),
        None
    );
}
