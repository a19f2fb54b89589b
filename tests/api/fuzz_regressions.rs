//! The fuzz harness's corpora replayed on every test run: each input that
//! ever made a parser panic, hang or overspend (`fuzz/regressions/<target>/`),
//! and every seed (`fuzz/corpus/<target>/`), goes through its target
//! (`api::fuzzing`) and must return, in well under a second.

use std::{
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use api::fuzzing;

/// Generous for a debug build on a loaded machine; the harness holds release
/// builds to 1 s.
const TIME_LIMIT: Duration = Duration::from_secs(3);

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
}

fn replay(corpus: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(corpus);
    let mut replayed = 0;
    let mut failures = Vec::new();
    for target in fuzzing::TARGETS {
        for path in files(&root.join(target.name)) {
            let input = std::fs::read(&path).expect("readable corpus file");
            let started = Instant::now();
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
            let took = started.elapsed();
            if outcome.is_err() {
                failures.push(format!("{}: panicked", path.display()));
            } else if took > TIME_LIMIT {
                failures.push(format!("{}: took {took:?}", path.display()));
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    replayed
}

#[test]
fn every_input_that_once_broke_a_parser_is_handled() {
    let replayed = replay("regressions");
    assert!(replayed > 0, "the regression corpus is empty");
}

#[test]
fn every_seed_of_the_fuzz_corpus_is_handled() {
    let replayed = replay("corpus");
    assert!(replayed >= fuzzing::TARGETS.len(), "only {replayed} seeds");
}

#[test]
fn every_directory_names_a_fuzz_target() {
    for corpus in ["corpus", "regressions"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join(corpus);
        for dir in std::fs::read_dir(&root).expect("corpus directory") {
            let name = dir.expect("entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                fuzzing::target(&name).is_some(),
                "fuzz/{corpus}/{name} is no target"
            );
        }
    }
}
