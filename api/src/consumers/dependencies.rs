//! What a consumer answer depends on, collected while its query runs, so the
//! response cache can end only the answers a write can change
//! ([`super::response_cache`]).
//!
//! The HTTP handler runs each consumer query inside [`collect`]; the read path
//! reports what it shapes into the answer with [`note_stories`] and
//! [`note_open`], one line at each spot, without any plumbing: the collector is
//! task-local, and async-graphql resolves a request's fields within the task
//! that executes it. Outside [`collect`] (staff reads, the sync feed, jobs)
//! the notes go nowhere.
//!
//! Root fields other than `stories` and `story` (`campaigns`, `tags`, …) are
//! not tracked here: the handler marks such answers [`Dependencies::global`]
//! from the query text, and any write ends them.

use std::cell::RefCell;

use uuid::Uuid;

/// What an answer can be changed by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Every story shaped into the answer, sorted, without repeats.
    pub stories: Vec<Uuid>,
    /// The answer could gain a story it does not hold: a list, or a lookup
    /// that found fewer stories than it asked for.
    pub open: bool,
    /// Anything else it shows may change with any write.
    pub global: bool,
}

impl Dependencies {
    /// Bytes held, for the cache's weighing.
    pub fn weight(&self) -> usize {
        self.stories.len() * std::mem::size_of::<Uuid>()
    }
}

tokio::task_local! {
    static COLLECTOR: RefCell<Dependencies>;
}

/// Runs `work`, collecting what it notes; the stories come back sorted and
/// without repeats.
pub async fn collect<F: Future>(work: F) -> (F::Output, Dependencies) {
    COLLECTOR
        .scope(RefCell::new(Dependencies::default()), async {
            let out = work.await;
            let mut found = COLLECTOR.with(|c| c.take());
            found.stories.sort_unstable();
            found.stories.dedup();
            (out, found)
        })
        .await
}

/// The answer shows these stories.
pub fn note_stories(ids: &[Uuid]) {
    // No borrow is held across an await, so this never finds it taken.
    let _ = COLLECTOR.try_with(|c| c.borrow_mut().stories.extend_from_slice(ids));
}

/// The answer could gain a story it does not hold now.
pub fn note_open() {
    let _ = COLLECTOR.try_with(|c| c.borrow_mut().open = true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notes_inside_are_collected_and_notes_outside_go_nowhere() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        note_stories(&[a]);
        let ((), found) = collect(async {
            note_stories(&[b, a]);
            tokio::task::yield_now().await;
            note_stories(&[b]);
        })
        .await;
        let mut both = vec![a, b];
        both.sort_unstable();
        assert_eq!(
            found,
            Dependencies {
                stories: both,
                open: false,
                global: false
            }
        );
        let ((), found) = collect(async { note_open() }).await;
        assert!(found.open && found.stories.is_empty());
    }
}
