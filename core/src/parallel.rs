//! The threads that share out one batch's work (the environments of a vectorised step, the
//! columns of a return's kernel): the calling thread and a pool of one fewer than the
//! machine's cores, started once and parked between calls.
//!
//! The caller works on the first share itself, so a batch split in as many shares as there are
//! cores keeps every core busy and no more: a pool as large as the machine would leave one of
//! its threads spinning for work beside the caller (measured 1.3–1.5× slower on two cores,
//! BENCHMARKS.md). Handing a share over costs some 10–15 µs, so callers split only batches whose
//! shares take longer than that.
//!
//! Inside a rayon pool of the caller's own (`ThreadPool::install`, as tests do to pick a
//! number of threads), the shares run on that pool instead, as many as it has threads.

use std::sync::OnceLock;

/// The machine's cores (1 if the system does not say).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The pool: one thread fewer than the machine has cores (at least one).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads((cores() - 1).max(1))
            .thread_name(|i| format!("mgrl-worker-{i}"))
            .build()
            .expect("cannot start the worker threads")
    })
}

/// How many shares keep every thread busy: the machine's cores, or the threads of the rayon
/// pool the caller runs in.
pub fn threads() -> usize {
    if rayon::current_thread_index().is_some() {
        rayon::current_num_threads()
    } else {
        cores()
    }
}

/// Runs `work` on every share, the first on the calling thread and the others on the pool's
/// threads, and returns when all are done. A panic in any share is resumed in the caller once
/// every share has finished. A lone share runs on the calling thread without the pool.
pub fn for_each_share<S: Send>(shares: impl IntoIterator<Item = S>, work: impl Fn(S) + Sync) {
    let mut shares = shares.into_iter().peekable();
    let Some(first) = shares.next() else { return };
    if shares.peek().is_none() {
        work(first);
    } else if rayon::current_thread_index().is_some() {
        rayon::in_place_scope(|scope| spawn_all(scope, first, shares, &work))
    } else {
        pool().in_place_scope(|scope| spawn_all(scope, first, shares, &work))
    }
}

/// Spawns `work` on every share of `rest`, then works on `first` on the calling thread.
fn spawn_all<'s, S: Send + 's, W: Fn(S) + Sync>(
    scope: &rayon::Scope<'s>,
    first: S,
    rest: impl Iterator<Item = S>,
    work: &'s W,
) {
    for share in rest {
        scope.spawn(move |_| work(share));
    }
    work(first);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn every_share_is_worked_once_and_the_first_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let seen = Mutex::new(Vec::new());
        for_each_share(0..10, |i| seen.lock().unwrap().push((i, std::thread::current().id() == caller)));
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
        assert!(seen[0].1, "the first share ran on another thread");
    }

    #[test]
    fn inside_a_pool_of_the_callers_own_the_shares_match_its_threads() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        assert_eq!(pool.install(threads), 3);
        let names = Mutex::new(Vec::new());
        pool.install(|| {
            for_each_share(0..6, |_| names.lock().unwrap().push(std::thread::current().name().map(String::from)))
        });
        assert!(names.into_inner().unwrap().iter().all(|n| !n.as_deref().unwrap_or("").starts_with("mgrl-worker")));
        assert_eq!(threads(), cores());
    }

    #[test]
    fn a_lone_share_runs_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let ran_on = Mutex::new(None);
        for_each_share([()], |()| *ran_on.lock().unwrap() = Some(std::thread::current().id()));
        assert_eq!(ran_on.into_inner().unwrap(), Some(caller));
    }

    #[test]
    fn a_panic_in_a_share_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| for_each_share(0..4, |i| assert_ne!(i, 3, "share three failed")));
        assert!(caught.is_err());
    }
}
