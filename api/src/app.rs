//! Building the application (database, migrations, schema, listener) and running it
//! until a shutdown signal.

use std::{future::Future, net::SocketAddr, sync::Arc};

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use sea_orm::DbErr;

use crate::{
    auth::tokens::TokenKeys,
    config::{Config, EncryptionKeys, redact_url},
    crypto::{KeyRing, load_or_create_key_file},
    db,
    graphql::build_schema,
    http, jobs,
    state::AppState,
};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {url}: {source}")]
    Database { url: String, source: DbErr },
    #[error("cannot migrate the database: {0}")]
    Migrate(DbErr),
    #[error("cannot load the encryption key: {0}")]
    Keys(String),
    #[error("cannot set up media storage: {0}")]
    Storage(crate::storage::StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server ready to run: migrated, bound, not yet accepting.
pub struct Application {
    state: AppState,
    acceptor: TcpAcceptor,
    local_addr: SocketAddr,
    /// The listener serving only `/metrics` (`CHORUS_METRICS_BIND`).
    metrics_acceptor: Option<TcpAcceptor>,
}

impl Application {
    /// Connects and migrates the database (unless configured not to) and binds the
    /// listener, so that the address is known before anything is served.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        // A missing or broken key must stop start-up before anything is touched.
        let crypto = load_key_ring(&config.encryption).map_err(StartError::Keys)?;
        let storage = crate::storage::from_config(&config).map_err(StartError::Storage)?;
        let metrics = Arc::new(crate::metrics::Metrics::new(config.metrics.enabled()));
        let (db, statements) = db::connect(&config)
            .await
            .map(|db| db::counted(db, metrics.clone()))
            .map_err(|source| StartError::Database {
                url: redact_url(&config.database_url),
                source,
            })?;
        if config.migrate_on_start {
            db::migrate(&db).await.map_err(StartError::Migrate)?;
        }
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = bound_address(&acceptor, config.bind);
        let metrics_acceptor = match config.metrics.bind {
            None => None,
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .into_acceptor()
                    .await
                    .map_err(|source| StartError::Bind { addr, source })?,
            ),
        };
        let keys = TokenKeys::new(&config.auth);
        let origins = crate::consumers::origins::OriginCache::new(&config.limits.cors_origins);
        // Without the table (migrations not applied yet) the first request retries.
        if let Err(e) = origins.reload(&db).await {
            e.log_if_internal();
        }
        let base_url: Arc<str> = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}"))
            .into();
        Ok(Self {
            state: AppState {
                media_links: crate::media::links::LinkKeys::new(&config.auth),
                base_url,
                throttle: Arc::new(crate::consumers::throttle::Throttle::from_config(
                    &config.limits,
                )),
                origins,
                reads: Arc::default(),
                caches: Arc::new(crate::consumers::response_cache::Caches::from_config(
                    &config.cache,
                )),
                statements,
                live: Arc::default(),
                metrics,
                storage,
                db,
                config: Arc::new(config),
                keys,
                crypto,
            },
            acceptor,
            local_addr,
            metrics_acceptor,
        })
    }

    /// The address the server listens on (useful when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address of the metrics listener, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        let acceptor = self.metrics_acceptor.as_ref()?;
        Some(bound_address(acceptor, self.state.config.metrics.bind?))
    }

    /// The base URL people should use: the configured public URL or the bound address.
    pub fn base_url(&self) -> String {
        self.state.base_url.to_string()
    }

    /// The shared state (database, configuration).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting and lets requests in
    /// flight finish (up to the configured grace period).
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let config = self.state.config.clone();
        let schema = build_schema(self.state.clone(), &config.graphql);
        let routes = http::routes(self.state.clone(), schema);
        let (stop_worker, stop) = tokio::sync::watch::channel(false);
        let worker = config.jobs.enabled.then(|| {
            tokio::spawn(jobs::worker(
                self.state.db.clone(),
                self.state.storage.clone(),
                jobs::Policy::from(&config.jobs),
                config.pruning,
                config.jobs.poll_interval,
                stop,
            ))
        });
        let webhooks = config.jobs.enabled.then(|| {
            tokio::spawn(crate::webhooks::sender::worker(
                self.state.db.clone(),
                self.state.crypto.clone(),
                config.webhooks.clone(),
                stop_worker.subscribe(),
            ))
        });
        // Subscriptions wake on any node's writes, whether or not this node works.
        let watcher = tokio::spawn(crate::live::watch_writes(
            self.state.db.clone(),
            config.database_url.clone(),
            self.state.live.clone(),
            stop_worker.subscribe(),
        ));
        let metrics_server = self.metrics_acceptor.map(|acceptor| {
            let mut stop = stop_worker.subscribe();
            tokio::spawn(
                Server::new_with_acceptor(acceptor)
                    .name("chorus-metrics")
                    .run_with_graceful_shutdown(
                        http::metrics_listener_routes(self.state.clone()),
                        async move {
                            let _ = stop.changed().await;
                        },
                        Some(config.shutdown_grace),
                    ),
            )
        });
        let upkeep = self.state.metrics.enabled().then(|| {
            tokio::spawn(crate::metrics::upkeep(
                self.state.metrics.clone(),
                stop_worker.subscribe(),
            ))
        });
        let served = Server::new_with_acceptor(self.acceptor)
            .name("chorus")
            .run_with_graceful_shutdown(routes, shutdown, Some(config.shutdown_grace))
            .await;
        let _ = stop_worker.send(true);
        for worker in [worker, webhooks].into_iter().flatten() {
            let _ = worker.await;
        }
        let _ = watcher.await;
        if let Some(upkeep) = upkeep {
            let _ = upkeep.await;
        }
        if let Some(server) = metrics_server
            && let Ok(Err(e)) = server.await
        {
            tracing::warn!(error = %e, "the metrics listener failed");
        }
        self.state.db.clone().close().await.ok();
        served
    }
}

/// The address `acceptor` listens on (the port chosen for port 0), or `configured`.
fn bound_address(acceptor: &TcpAcceptor, configured: SocketAddr) -> SocketAddr {
    acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(configured)
}

/// The key ring from the configuration, or (development) from the key file in the
/// data directory, created on first use.
pub fn load_key_ring(keys: &EncryptionKeys) -> Result<KeyRing, String> {
    match keys {
        EncryptionKeys::Configured { current, old } => KeyRing::parse(current, old.as_deref()),
        EncryptionKeys::File(path) => {
            let spec =
                load_or_create_key_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
            KeyRing::parse(&spec, None).map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
