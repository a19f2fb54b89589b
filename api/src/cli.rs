//! The `chorus` command line: serve (the default), migrate, schema, demo, user,
//! org, keys, backup, restore, bench.
//!
//! Exit codes: 0 success, 1 a runtime failure (database unreachable, port taken),
//! 2 a usage or configuration error, printed as one line naming what to fix.

use std::{
    io::{BufRead, IsTerminal, Write},
    process::ExitCode,
};

use clap::{Parser, Subcommand};

use crate::{
    Application,
    app::shutdown_signal,
    audit::Actor,
    auth::{
        accounts::{self, By},
        principal::parse_role,
        users,
    },
    clock,
    config::Config,
    db, demo, graphql, organisations, telemetry,
};

#[derive(Parser)]
#[command(
    name = "chorus",
    version,
    about = "Consent-first GraphQL headless CMS for migrant stories"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `schema.graphql` must equal it.
    Schema,
    /// Load the demo campaigns and tags, and create the demo admin if missing.
    Demo,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage organisations (the platform's own and member organisations).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage the key that encrypts personal data at rest.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Copy the whole archive (database and media) to an empty directory or
    /// S3 prefix, while Chorus serves.
    Backup {
        /// A directory, or s3://bucket/prefix.
        #[arg(long)]
        to: String,
    },
    /// Load a backup into this (empty) instance, after checking every hash.
    Restore {
        /// The backup's directory, or s3://bucket/prefix.
        #[arg(long)]
        from: String,
    },
    /// Benchmark support (bench/run.sh); never in production.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Fill an empty database with the benchmark data set (10,000 stories, 8,000
    /// published) and print a new PUBLIC_WEB API key.
    Seed {
        /// How many stories (the other counts stay as in the kit's seed.sql);
        /// the kit's large run uses 100,000.
        #[arg(long, env = "CHORUS_BENCH_STORIES", default_value_t = crate::bench::Shape::FULL.stories)]
        stories: usize,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new random key for CHORUS_ENCRYPTION_KEY.
    Generate,
    /// Re-encrypt every personal field under the current key. Set the new key as
    /// CHORUS_ENCRYPTION_KEY and the old one in CHORUS_ENCRYPTION_OLD_KEYS first.
    Rotate,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create a member organisation.
    Create {
        /// Lower-case words joined by hyphens, e.g. `imix`.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
    /// List the organisations: slug, kind, name.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from stdin or a prompt, never from argv.
    Create {
        #[arg(long)]
        email: String,
        /// ADMIN, EDITOR or CONTRIBUTOR.
        #[arg(long, value_parser = parse_role_arg)]
        role: crate::auth::Role,
    },
    /// Set a new password for an account, read from stdin or a prompt; every
    /// session of the account ends.
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// Invite a staff member: print a one-time link to set their password.
    Invite {
        #[arg(long)]
        email: String,
        /// ADMIN, EDITOR or CONTRIBUTOR.
        #[arg(long, value_parser = parse_role_arg)]
        role: crate::auth::Role,
        /// How colleagues see the person in the admin.
        #[arg(long)]
        display_name: Option<String>,
        /// The slug of the organisation they join (default: the platform's own).
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Change an account's role (the last enabled admin keeps theirs).
    SetRole {
        #[arg(long)]
        email: String,
        /// ADMIN, EDITOR or CONTRIBUTOR.
        #[arg(long, value_parser = parse_role_arg)]
        role: crate::auth::Role,
    },
    /// Disable an account and end its sessions (not the last enabled admin).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// End every session of an account at once.
    EndSessions {
        #[arg(long)]
        email: String,
    },
    /// List the staff accounts.
    List,
}

fn parse_role_arg(value: &str) -> Result<crate::auth::Role, String> {
    parse_role(value).ok_or_else(|| "expected ADMIN, EDITOR or CONTRIBUTOR".into())
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            return ExitCode::SUCCESS;
        }
        Some(Command::Keys {
            command: KeysCommand::Generate,
        }) => {
            println!("{}", crate::crypto::KeyRing::generate_spec());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }

    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("chorus: cannot read .env: {e}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chorus: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // 8 MiB per worker instead of tokio's 2 MiB: an unoptimised build (`cargo
    // run`) executing a query near the depth limit needs close to 2 MiB of
    // stack. Address space only; pages are touched as the stack grows.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chorus: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Trace export is a task on the runtime.
    let telemetry = match runtime.block_on(async { telemetry::init(&config) }) {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("chorus: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(config).await,
            Command::Demo => load_demo(config).await,
            Command::User { command } => user(config, command).await,
            Command::Org { command } => org(config, command).await,
            Command::Keys { .. } => rotate_keys(config).await,
            Command::Backup { to } => backup(config, &to).await,
            Command::Restore { from } => restore(config, &from).await,
            Command::Bench {
                command: BenchCommand::Seed { stories },
            } => bench_seed(config, stories).await,
            Command::Schema => unreachable!("handled before configuration is read"),
        }
    });
    // The runtime still runs the exporter's task while this thread waits for it.
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("chorus: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("chorus: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    Runtime(String),
}

fn runtime(e: impl std::fmt::Display) -> Failure {
    Failure::Runtime(e.to_string())
}

async fn serve(config: Config) -> Result<(), Failure> {
    if config.auth.jwt_secret_generated {
        tracing::warn!(
            "CHORUS_JWT_SECRET is not set: using a random key, so access tokens end when Chorus restarts"
        );
    }
    let demo_wanted = config.demo_on_first_start && config.is_sqlite();
    let app = Application::build(config).await.map_err(runtime)?;
    let (demo_admin, demo_key) =
        if demo_wanted && demo::is_empty(&app.state().db).await.map_err(runtime)? {
            tracing::info!("empty embedded database: loading demo content");
            let state = app.state();
            let admin = demo::load(&state.db, clock::now()).await.map_err(runtime)?;
            let key = demo::stories::load(
                &state.db,
                &state.crypto,
                &state.config.consent,
                clock::now(),
            )
            .await
            .map_err(runtime)?;
            (admin, key)
        } else {
            (None, None)
        };

    let base = app.base_url();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\nChorus is running at {base}");
    let _ = writeln!(out, "  Admin (newsroom and GraphiQL): {base}/admin");
    if let Some(admin) = demo_admin {
        let _ = writeln!(out, "  Demo admin, shown only this once:");
        let _ = writeln!(out, "    email:    {}", admin.email);
        let _ = writeln!(out, "    password: {}", admin.password);
    }
    if let Some(key) = demo_key {
        let _ = writeln!(
            out,
            "  Demo API key (PUBLIC_WEB), shown only this once; send it as X-Api-Key:"
        );
        let _ = writeln!(out, "    {key}");
    }
    let _ = writeln!(out, "  Stop with Ctrl-C.\n");
    let _ = out.flush();
    drop(out);

    app.run_until(shutdown_signal()).await.map_err(runtime)
}

async fn connect_and_migrate(config: &Config) -> Result<sea_orm::DatabaseConnection, Failure> {
    let conn = db::connect(config).await.map_err(runtime)?;
    db::migrate(&conn)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot migrate the database: {e}")))?;
    Ok(conn)
}

async fn migrate(config: Config) -> Result<(), Failure> {
    connect_and_migrate(&config).await?;
    println!("database is up to date");
    Ok(())
}

async fn load_demo(config: Config) -> Result<(), Failure> {
    if config.is_production() {
        return Err(Failure::Usage(
            "demo content is never loaded in production".into(),
        ));
    }
    let keys = crate::app::load_key_ring(&config.encryption).map_err(Failure::Usage)?;
    let conn = connect_and_migrate(&config).await?;
    let demo_admin = demo::load(&conn, clock::now()).await.map_err(runtime)?;
    let demo_key = demo::stories::load(&conn, &keys, &config.consent, clock::now())
        .await
        .map_err(runtime)?;
    if let Some(key) = demo_key {
        println!("demo API key (PUBLIC_WEB), shown only this once: {key}");
    }
    match demo_admin {
        Some(admin) => println!(
            "demo content loaded\ndemo admin, shown only this once:\n  email:    {}\n  password: {}",
            admin.email, admin.password
        ),
        None => println!(
            "demo content loaded; the demo admin exists already (chorus user set-password --email {})",
            demo::ADMIN_EMAIL
        ),
    }
    Ok(())
}

async fn bench_seed(config: Config, stories: usize) -> Result<(), Failure> {
    if config.is_production() {
        return Err(Failure::Usage(
            "benchmark data is never loaded in production".into(),
        ));
    }
    let keys = crate::app::load_key_ring(&config.encryption).map_err(Failure::Usage)?;
    let conn = connect_and_migrate(&config).await?;
    let shape = crate::bench::Shape {
        stories,
        ..crate::bench::Shape::FULL
    };
    let seeded = crate::bench::seed(&conn, &keys, &config.consent, shape, clock::now())
        .await
        .map_err(|e| match e {
            crate::Error::Conflict(message) => Failure::Usage(message),
            other => runtime(other),
        })?;
    println!(
        "seeded {} stories ({} published) and {} media items",
        seeded.stories, seeded.published, seeded.media
    );
    println!("bench API key (PUBLIC_WEB): {}", seeded.api_key);
    Ok(())
}

async fn user(config: Config, command: UserCommand) -> Result<(), Failure> {
    let conn = connect_and_migrate(&config).await?;
    let usage = |e: crate::Error| match e {
        crate::Error::Internal(_) => runtime(e),
        other => Failure::Usage(other.to_string()),
    };
    let role_name = crate::auth::principal::role_name;
    let now = clock::now();
    match command {
        UserCommand::Create { email, role } => {
            let password = read_password()?;
            let user = users::create(&conn, &email, &password, role, now)
                .await
                .map_err(usage)?;
            println!("created {} ({})", user.email, role_name(user.role));
        }
        UserCommand::SetPassword { email } => {
            let password = read_password()?;
            let user = users::set_password(&conn, Actor::Cli, &email, &password, now)
                .await
                .map_err(usage)?;
            println!(
                "password changed for {}; every session of the account has ended",
                user.email
            );
        }
        UserCommand::Invite {
            email,
            role,
            display_name,
            organisation,
        } => {
            let organisation_id = match organisation {
                Some(slug) => Some(find_organisation(&conn, &slug).await?.id),
                None => None,
            };
            let invitation = accounts::invite_into(
                &conn,
                By::Cli,
                &email,
                role,
                display_name.as_deref(),
                organisation_id,
                config.auth.invite_ttl,
                now,
            )
            .await
            .map_err(usage)?;
            let base = config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.bind));
            println!(
                "invited {} ({}); the link is shown only this once and works until {}:",
                invitation.user.email,
                role_name(role),
                invitation.expires_at.to_rfc3339()
            );
            println!("{}", accounts::invite_url(&base, &invitation.token));
        }
        UserCommand::SetRole { email, role } => {
            let user = find_user(&conn, &email).await?;
            let user = accounts::set_role(&conn, By::Cli, user.id, role, now)
                .await
                .map_err(usage)?;
            println!("{} is now {}", user.email, role_name(user.role));
        }
        UserCommand::Disable { email } => {
            let user = find_user(&conn, &email).await?;
            let user = accounts::disable(&conn, By::Cli, user.id, now)
                .await
                .map_err(usage)?;
            println!(
                "disabled {}; every session of the account has ended",
                user.email
            );
        }
        UserCommand::Enable { email } => {
            let user = find_user(&conn, &email).await?;
            let user = accounts::enable(&conn, By::Cli, user.id, now)
                .await
                .map_err(usage)?;
            println!("enabled {}", user.email);
        }
        UserCommand::EndSessions { email } => {
            let user = find_user(&conn, &email).await?;
            let ended = accounts::end_sessions(&conn, By::Cli, user.id, now)
                .await
                .map_err(usage)?;
            println!("ended {ended} session(s) of {}", user.email);
        }
        UserCommand::List => {
            for user in users::all(&conn).await.map_err(runtime)? {
                let state = if user.disabled_at.is_some() {
                    "disabled"
                } else if accounts::is_pending(&user) {
                    "invited"
                } else {
                    "enabled"
                };
                println!(
                    "{}\t{}\t{}\t{}",
                    user.email,
                    role_name(user.role),
                    state,
                    user.display_name.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}

async fn org(config: Config, command: OrgCommand) -> Result<(), Failure> {
    let conn = connect_and_migrate(&config).await?;
    match command {
        OrgCommand::Create { slug, name } => {
            let created = organisations::create(
                &conn,
                By::Cli,
                organisations::NewOrganisation {
                    slug,
                    name,
                    partner_id: None,
                },
                clock::now(),
            )
            .await
            .map_err(|e| match e {
                crate::Error::Internal(_) => runtime(e),
                other => Failure::Usage(other.to_string()),
            })?;
            println!("created {} ({})", created.slug, created.name);
        }
        OrgCommand::List => {
            for o in organisations::all(&conn).await.map_err(runtime)? {
                let kind = match o.kind {
                    entity::organisation::Kind::Platform => "PLATFORM",
                    entity::organisation::Kind::Member => "MEMBER",
                };
                println!("{}\t{kind}\t{}", o.slug, o.name);
            }
        }
    }
    Ok(())
}

async fn find_organisation(
    conn: &sea_orm::DatabaseConnection,
    slug: &str,
) -> Result<entity::organisation::Model, Failure> {
    organisations::find_by_slug(conn, slug)
        .await
        .map_err(runtime)?
        .ok_or_else(|| Failure::Usage(format!("no organisation with the slug {slug}")))
}

async fn find_user(
    conn: &sea_orm::DatabaseConnection,
    email: &str,
) -> Result<entity::user::Model, Failure> {
    users::find_by_email(conn, email)
        .await
        .map_err(runtime)?
        .ok_or_else(|| Failure::Usage(format!("no user with the email {email}")))
}

async fn rotate_keys(config: Config) -> Result<(), Failure> {
    let keys = crate::app::load_key_ring(&config.encryption).map_err(Failure::Usage)?;
    let conn = connect_and_migrate(&config).await?;
    let changed = crate::storytellers::rotate_keys(&conn, &keys, clock::now())
        .await
        .map_err(runtime)?;
    println!(
        "re-encrypted the personal data of {changed} storyteller(s) under key `{}`",
        keys.current_id()
    );
    Ok(())
}

fn backup_failure(e: crate::backup::BackupError) -> Failure {
    match e {
        crate::backup::BackupError::Usage(message) => Failure::Usage(message),
        other => runtime(other),
    }
}

async fn backup(config: Config, to: &str) -> Result<(), Failure> {
    let place = crate::backup::Location::parse(to)
        .and_then(|location| crate::backup::Place::open(location, &config))
        .map_err(backup_failure)?;
    let store = crate::storage::from_config(&config).map_err(runtime)?;
    // A backup only reads: the database is not migrated.
    let conn = db::connect(&config).await.map_err(runtime)?;
    let manifest = crate::backup::backup(&conn, store.as_ref(), &place)
        .await
        .map_err(backup_failure)?;
    println!(
        "backed up to {to}: {}",
        crate::backup::dump::describe(&manifest)
    );
    println!(
        "keys are not in a backup: keep CHORUS_ENCRYPTION_KEY ({}) and CHORUS_JWT_SECRET with it",
        manifest.encryption_key_ids.join(", ")
    );
    Ok(())
}

async fn restore(config: Config, from: &str) -> Result<(), Failure> {
    let place = crate::backup::Location::parse(from)
        .and_then(|location| crate::backup::Place::open(location, &config))
        .map_err(backup_failure)?;
    let keys = crate::app::load_key_ring(&config.encryption).map_err(Failure::Usage)?;
    let store = crate::storage::from_config(&config).map_err(runtime)?;
    let conn = db::connect(&config).await.map_err(runtime)?;
    let manifest = crate::backup::restore(&conn, store.as_ref(), &keys, &place)
        .await
        .map_err(backup_failure)?;
    println!(
        "restored {from}: {}",
        crate::backup::dump::describe(&manifest)
    );
    println!(
        "withdrawals recorded after {} are not in this backup: re-apply them (docs/OPERATIONS.md, Backup and restore)",
        manifest.created_at.to_rfc3339()
    );
    Ok(())
}

/// Reads a password from a prompt (twice, unechoed) or, when piped, one line of stdin.
fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(runtime)?;
        let again = rpassword::prompt_password("Repeat password: ").map_err(runtime)?;
        if first != again {
            return Err(Failure::Usage("the passwords do not match".into()));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(runtime)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(Failure::Usage("no password on stdin".into()));
    }
    Ok(password)
}
