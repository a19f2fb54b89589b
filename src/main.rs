//! The `chorus` binary: everything lives in the `api` crate; see `api::cli`.

fn main() -> std::process::ExitCode {
    bound_malloc_arenas();
    api::cli::run()
}

/// glibc's malloc gives threads that allocate at once arenas of their own, up
/// to eight per core, and keeps what each arena once held. Chorus allocates
/// from the runtime's threads and from one thread per SQLite connection, so on
/// SQLite most of the peak memory was arenas' slack (by-slug reads: 78 MB, 63
/// MB with two arenas). Two arenas, unless `MALLOC_ARENA_MAX` says otherwise.
fn bound_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: sets an allocator parameter, before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
