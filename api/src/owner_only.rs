//! Owner-only directories and files for what Chorus keeps on local disk: the
//! data directory, the SQLite database (and its `-wal`/`-shm`), the key file and
//! local media.
//!
//! They hold personal data, so they are made `0700` (directories) and `0600`
//! (files) when Chorus creates them, whatever the process umask; a directory
//! or file that already exists is left as the operator set it. Other
//! platforms get the defaults.

use std::{io, path::Path};

/// Creates `dir` and any missing parents, each owner-only.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    // The directories to create, deepest first.
    let missing: Vec<&Path> = dir
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| !p.exists())
        .collect();
    std::fs::create_dir_all(dir)?;
    for created in missing {
        restrict(created, 0o700)?;
    }
    Ok(())
}

/// Creates an empty owner-only file at `path` unless one exists, so that a
/// program that would create it with its own mode (SQLite: `0644`) opens this
/// one instead.
pub fn create_file(path: &Path) -> io::Result<()> {
    match create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A new owner-only file open for writing; `AlreadyExists` if there is one.
pub fn create_new(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Owner-only from the first moment, not only once `restrict` has run.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    restrict(path, 0o600)?;
    Ok(file)
}

/// Makes a file Chorus just wrote owner-only.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    restrict(path, 0o600)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_directories_and_files_are_owner_only_and_existing_ones_are_kept() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = root.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        for dir in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&root.path().join(dir)), 0o700, "{dir}");
        }
        assert_eq!(mode(root.path()), 0o755, "an existing directory is kept");

        let file = deep.join("chorus.db");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o640, "an existing file is kept");
    }
}
