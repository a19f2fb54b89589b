//! The `chorus` binary: everything lives in the `api` crate; see `api::cli`.

fn main() -> std::process::ExitCode {
    api::cli::run()
}
