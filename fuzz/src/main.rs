//! `chorus-fuzz`: a mutation fuzzer for Chorus's hand-written parsers that
//! runs on stable Rust (libFuzzer's sanitizers need nightly). For each target
//! in `api::fuzzing` it runs N inputs, each a mutation of a file from
//! `fuzz/corpus/<target>/` or, now and then, arbitrary bytes, and records any
//! input that panics, takes longer than the time limit or allocates more than
//! the memory limit into `fuzz/regressions/<target>/`, which the test suite
//! replays (`tests/api/fuzz_regressions.rs`). Runs are seeded and repeatable.
//!
//! ```text
//! cargo run --release -p chorus-fuzz -- --target all --runs 1000000
//! cargo run --release -p chorus-fuzz -- write-seeds
//! cargo run --release -p chorus-fuzz -- replay
//! ```
//! See docs/SECURITY.md.

mod guard;
mod mutate;

use std::{
    fs,
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use api::fuzzing::{self, Target};
use mutate::Rng;

#[global_allocator]
static ALLOC: guard::Counting = guard::Counting;

const USAGE: &str = "usage: chorus-fuzz [--target NAME|all] [--runs N] [--seed N] \
[--max-len BYTES] [--time-limit-ms MS] [--memory-limit-mb MB] [--dir PATH]\n       \
chorus-fuzz write-seeds [--dir PATH]\n       \
chorus-fuzz replay [--target NAME|all] [--dir PATH]\n\
targets: ";

struct Options {
    targets: Vec<Target>,
    runs: u64,
    seed: u64,
    max_len: usize,
    time_limit: Duration,
    memory_limit: usize,
    dir: PathBuf,
    write_seeds: bool,
    replay: bool,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            let names: Vec<&str> = fuzzing::TARGETS.iter().map(|t| t.name).collect();
            eprintln!("{message}\n{USAGE}{}", names.join(", "));
            return ExitCode::from(2);
        }
    };
    if options.write_seeds {
        return match write_seeds(&options.dir) {
            Ok(n) => {
                println!("wrote {n} files under {}", options.dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("writing seeds failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let scratch = std::env::temp_dir().join(format!("chorus-fuzz-{}", std::process::id()));
    if let Err(e) = fs::create_dir_all(&scratch) {
        eprintln!("cannot create {}: {e}", scratch.display());
        return ExitCode::FAILURE;
    }
    let open = |name: &str| fs::File::create(scratch.join(name));
    match (open("oom-input"), open("hang-input")) {
        (Ok(oom), Ok(hang)) => guard::arm(
            options.memory_limit.saturating_mul(4),
            oom,
            hang,
            options.time_limit.saturating_mul(10),
        ),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("cannot create crash files in {}: {e}", scratch.display());
            return ExitCode::FAILURE;
        }
    }
    // Panics are findings, counted and saved; one line each is enough.
    panic::set_hook(Box::new(|_| {}));
    if options.replay {
        return match replay(&options) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("replay failed: {e}");
                ExitCode::FAILURE
            }
        };
    }

    println!(
        "chorus-fuzz: seed {} · {} runs per target · time limit {:?} · memory limit {} MiB \
         (hard stop at 4×, hang at 10×: inputs then in {})",
        options.seed,
        options.runs,
        options.time_limit,
        options.memory_limit >> 20,
        scratch.display()
    );
    println!(
        "target     | execs      | wall s  | execs/s  | findings | max input ms | peak heap MiB"
    );
    let mut total_findings = 0;
    for target in &options.targets {
        match fuzz(target, &options) {
            Ok(findings) => total_findings += findings,
            Err(e) => {
                eprintln!("{}: {e}", target.name);
                return ExitCode::FAILURE;
            }
        }
    }
    if total_findings == 0 {
        ExitCode::SUCCESS
    } else {
        println!(
            "{total_findings} findings saved under {}",
            options.dir.join("regressions").display()
        );
        ExitCode::FAILURE
    }
}

fn parse(args: Vec<String>) -> Result<Options, String> {
    let mut options = Options {
        targets: fuzzing::TARGETS.to_vec(),
        runs: 100_000,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        max_len: 64 * 1024,
        time_limit: Duration::from_secs(1),
        memory_limit: 256 << 20,
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        write_seeds: false,
        replay: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "write-seeds" {
            options.write_seeds = true;
            continue;
        }
        if arg == "replay" {
            options.replay = true;
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: not a number: {v}"))
        };
        match arg.as_str() {
            "--target" => {
                let name = value()?;
                if name != "all" {
                    let list: Result<Vec<Target>, String> = name
                        .split(',')
                        .map(|n| fuzzing::target(n).ok_or_else(|| format!("no target {n}")))
                        .collect();
                    options.targets = list?;
                }
            }
            "--runs" => options.runs = number(value()?)?,
            "--seed" => options.seed = number(value()?)?,
            "--max-len" => options.max_len = number(value()?)? as usize,
            "--time-limit-ms" => options.time_limit = Duration::from_millis(number(value()?)?),
            "--memory-limit-mb" => options.memory_limit = (number(value()?)? as usize) << 20,
            "--dir" => options.dir = PathBuf::from(value()?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// Runs one target; returns how many findings it saved.
fn fuzz(target: &Target, options: &Options) -> std::io::Result<usize> {
    let out = options.dir.join("regressions").join(target.name);
    // Inputs that once failed are seeds too: their neighbours may fail as well.
    let mut seeds = read_dir_files(&options.dir.join("corpus").join(target.name))?;
    seeds.extend(read_dir_files(&out)?);
    // Each target gets its own stream, so one can be rerun alone.
    let mut rng = Rng::new(options.seed ^ fnv(target.name.as_bytes()));
    let (mut findings, mut max_time, mut max_heap) = (0usize, Duration::ZERO, 0usize);
    let started = Instant::now();
    for run in 0..options.runs {
        let input = if seeds.is_empty() || rng.chance(20) {
            mutate::arbitrary(&mut rng, options.max_len)
        } else if run < seeds.len() as u64 {
            seeds[run as usize].clone()
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            let other = &seeds[rng.below(seeds.len())];
            mutate::mutate(&mut rng, seed, other, options.max_len)
        };
        let (outcome, cost) = guard::run(&input, || {
            panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)))
        });
        max_time = max_time.max(cost.time);
        max_heap = max_heap.max(cost.peak_heap);
        let problem = if let Err(payload) = outcome {
            Some(format!("panic: {}", panic_message(&payload)))
        } else if cost.time > options.time_limit {
            Some(format!("slow: {:?}", cost.time))
        } else if cost.peak_heap > options.memory_limit {
            Some(format!("memory: {} MiB", cost.peak_heap >> 20))
        } else {
            None
        };
        if let Some(problem) = problem {
            findings += 1;
            // A bug tends to be found over and over; keep the first few.
            if findings <= 20 {
                fs::create_dir_all(&out)?;
                let kind = problem.split(':').next().unwrap_or("finding");
                let path = out.join(format!("{kind}-{:016x}", fnv(&input)));
                fs::write(&path, &input)?;
                println!(
                    "  {}: run {run}: {problem} -> {}",
                    target.name,
                    path.display()
                );
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{:<10} | {:<10} | {:<7.1} | {:<8.0} | {:<8} | {:<12.1} | {:.1}",
        target.name,
        options.runs,
        wall,
        options.runs as f64 / wall.max(1e-9),
        findings,
        max_time.as_secs_f64() * 1000.0,
        max_heap as f64 / f64::from(1 << 20),
    );
    Ok(findings)
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// Runs every file of the regression corpus once, printing its time and
/// peak heap; false if one panicked or passed a limit.
fn replay(options: &Options) -> std::io::Result<bool> {
    let mut clean = true;
    println!("target     | input                              | ms      | peak heap KiB | outcome");
    for target in &options.targets {
        let dir = options.dir.join("regressions").join(target.name);
        let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => continue,
        };
        paths.sort();
        for path in paths {
            let input = fs::read(&path)?;
            let (outcome, cost) = guard::run(&input, || {
                panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)))
            });
            let ok = outcome.is_ok()
                && cost.time <= options.time_limit
                && cost.peak_heap <= options.memory_limit;
            clean &= ok;
            println!(
                "{:<10} | {:<34} | {:<7.2} | {:<13} | {}",
                target.name,
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                cost.time.as_secs_f64() * 1000.0,
                cost.peak_heap >> 10,
                if ok { "ok" } else { "FAILED" },
            );
        }
    }
    Ok(clean)
}

/// Every file in `dir`, sorted by name; none when it does not exist.
fn read_dir_files(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut paths: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    paths.sort();
    paths.iter().map(fs::read).collect()
}

/// Writes the seeds under `corpus/` and the hand-made hostile inputs under
/// `regressions/`.
fn write_seeds(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    for (corpus, files) in [
        ("corpus", fuzzing::seeds()),
        ("regressions", fuzzing::adversarial()),
    ] {
        for (target, name, bytes) in &files {
            let at = dir.join(corpus).join(target);
            fs::create_dir_all(&at)?;
            fs::write(at.join(name), bytes)?;
        }
        written += files.len();
    }
    Ok(written)
}

/// FNV-1a: names for saved inputs, and per-target PRNG streams.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}
