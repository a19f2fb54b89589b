//! `S3Server::start()`: a real S3 server (s3s-fs) inside the test process, on
//! 127.0.0.1:0 over a temp directory, with access-key authentication, so that
//! request signatures and presigned URLs are really checked.
//!
//! Each test makes its own bucket (`create_bucket`), so tests may share a
//! server or run in parallel. `stop()` cuts every connection at once, as a
//! crashed server would; `restart()` serves the same directory on the same port.

use std::net::SocketAddr;

use api::config::S3Settings;
use api::storage::s3::S3Store;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinSet};

/// The region the test server's clients sign for (s3s accepts any).
pub const REGION: &str = "us-east-1";

pub struct S3Server {
    /// `http://127.0.0.1:PORT`, the same across restarts.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    addr: SocketAddr,
    root: tempfile::TempDir,
    /// The accept loop; it owns every connection, so aborting it cuts them all.
    task: Option<tokio::task::JoinHandle<()>>,
}

impl S3Server {
    /// Starts a server on a free port over a new temp directory.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("temp dir for the S3 server");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the S3 server");
        let addr = listener.local_addr().expect("S3 server address");
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let mut server = Self {
            endpoint: format!("http://{addr}"),
            access_key: format!("AKTEST{}", &unique[..14].to_uppercase()),
            secret_key: format!("secret-{unique}"),
            addr,
            root,
            task: None,
        };
        server.serve(listener);
        server
    }

    fn serve(&mut self, listener: TcpListener) {
        let fs = s3s_fs::FileSystem::new(self.root.path()).expect("s3s-fs over the temp dir");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            self.access_key.clone(),
            self.secret_key.clone(),
        ));
        let service = builder.build().into_shared();
        self.task = Some(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let service = service.clone();
                        connections.spawn(async move {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    // Reap finished connections so the set does not grow.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        }));
    }

    /// Stops at once: the listener closes and open connections are cut mid-request.
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Serves the same directory on the same port again (after `stop`).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) if attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebind the S3 server on {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// A new, empty bucket with a name no other test uses.
    pub fn create_bucket(&self) -> String {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        // What s3s-fs's CreateBucket does; buckets are made by operators, not Chorus.
        std::fs::create_dir(self.root.path().join(&name)).expect("create the bucket directory");
        name
    }

    /// Settings for a client of `bucket` on this server with the right keys.
    pub fn settings(&self, bucket: &str) -> S3Settings {
        S3Settings {
            bucket: bucket.to_owned(),
            region: REGION.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            access_key_id: self.access_key.clone(),
            secret_access_key: self.secret_key.clone(),
            path_style: true,
            timeouts: api::config::StorageTimeouts::default(),
        }
    }

    /// A store over a fresh bucket of its own.
    pub fn store(&self) -> S3Store {
        S3Store::new(&self.settings(&self.create_bucket())).expect("S3 store")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
