//! Watching one input run: a counting allocator gives each input's peak heap
//! use, and stops the process (saving the input first) when the heap passes a
//! hard limit; a watchdog thread does the same for an input that hangs. Both
//! write the input with no allocation, since they may run inside the
//! allocator or while the main thread is stuck.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    fs::File,
    io::Write,
    sync::{
        OnceLock,
        atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

/// The global allocator of the harness: the system one, counted.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Heap bytes above which the process is stopped; `usize::MAX` until set.
static HARD_LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The input being run, for the crash paths.
static INPUT: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static INPUT_LEN: AtomicUsize = AtomicUsize::new(0);
/// When the input started, in ms since [`epoch`]; 0 when idle.
static STARTED_MS: AtomicU64 = AtomicU64::new(0);
/// Opened before fuzzing starts, so saving needs no allocation.
static OOM_FILE: OnceLock<File> = OnceLock::new();
static HANG_FILE: OnceLock<File> = OnceLock::new();

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            account(new_size - layout.size());
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn account(size: usize) {
    let now = CURRENT.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(now, Relaxed);
    if now > HARD_LIMIT.load(Relaxed) {
        give_up(
            &OOM_FILE,
            b"fuzz: an input passed the memory limit; saved it and stopped\n",
        );
    }
}

/// Saves the running input to `file` and aborts.
fn give_up(file: &OnceLock<File>, message: &[u8]) -> ! {
    let ptr = INPUT.load(Relaxed);
    if let Some(mut f) = file.get()
        && !ptr.is_null()
    {
        // SAFETY: the main thread keeps the input alive while it runs, and
        // it is running (it is the one allocating, or it is stuck).
        let input = unsafe { std::slice::from_raw_parts(ptr, INPUT_LEN.load(Relaxed)) };
        let _ = f.write_all(input);
    }
    let _ = std::io::stderr().write_all(message);
    std::process::abort()
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Arms the guards: the heap limit, the files the crash paths write, and a
/// watchdog that stops an input running longer than `hang`.
pub fn arm(hard_limit: usize, oom_file: File, hang_file: File, hang: Duration) {
    epoch();
    let _ = OOM_FILE.set(oom_file);
    let _ = HANG_FILE.set(hang_file);
    HARD_LIMIT.store(hard_limit, Relaxed);
    let hang_ms = u64::try_from(hang.as_millis()).unwrap_or(u64::MAX);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let started = STARTED_MS.load(Relaxed);
            let now = ms_since_epoch();
            if started != 0 && now.saturating_sub(started) > hang_ms {
                give_up(&HANG_FILE, b"fuzz: an input hung; saved it and stopped\n");
            }
        }
    });
}

fn ms_since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// What one run of an input cost.
pub struct Cost {
    pub time: Duration,
    /// Heap bytes above what was in use when the input started.
    pub peak_heap: usize,
}

/// Runs `f` on `input` under the guards.
pub fn run<R>(input: &[u8], f: impl FnOnce() -> R) -> (R, Cost) {
    INPUT.store(input.as_ptr().cast_mut(), Relaxed);
    INPUT_LEN.store(input.len(), Relaxed);
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    STARTED_MS.store(ms_since_epoch(), Relaxed);
    let started = Instant::now();
    let result = f();
    let time = started.elapsed();
    STARTED_MS.store(0, Relaxed);
    INPUT.store(std::ptr::null_mut(), Relaxed);
    let peak_heap = PEAK.load(Relaxed).saturating_sub(base);
    (result, Cost { time, peak_heap })
}
