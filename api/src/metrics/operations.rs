//! GraphQL operation names as metric labels, bounded.
//!
//! Clients choose operation names, and every distinct label value is a series
//! the process keeps for ever: a hostile client sending a new name per request
//! would grow memory (here and in Prometheus) without end. So a name is used
//! only if it is a plain identifier of at most [`MAX_LEN`] bytes, and only the
//! first [`MAX_NAMES`] distinct names get series of their own; later names, and
//! names that are not identifiers, count as `other`. Unnamed operations count
//! as `anonymous`.

use std::{borrow::Cow, collections::HashSet, sync::Mutex};

/// The most distinct operation names measured apart.
pub const MAX_NAMES: usize = 200;
/// The longest operation name measured apart, in bytes.
pub const MAX_LEN: usize = 64;

/// The operation names seen so far (at most [`MAX_NAMES`]).
#[derive(Default)]
pub struct OperationNames {
    seen: Mutex<HashSet<Box<str>>>,
}

impl OperationNames {
    /// The label for an operation named `name` (`None`: unnamed).
    pub fn label<'a>(&self, name: Option<&'a str>) -> Cow<'a, str> {
        let Some(name) = name else {
            return Cow::Borrowed("anonymous");
        };
        if !is_identifier(name) {
            return Cow::Borrowed("other");
        }
        // A poisoned set is still a set of names: keep counting.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(name) {
            return Cow::Borrowed(name);
        }
        if seen.len() >= MAX_NAMES {
            return Cow::Borrowed("other");
        }
        seen.insert(name.into());
        Cow::Borrowed(name)
    }
}

/// A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) of at most [`MAX_LEN`] bytes.
fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_LEN
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_up_to_a_cap() {
        let names = OperationNames::default();
        assert_eq!(names.label(None), "anonymous");
        assert_eq!(names.label(Some("StoryFeed")), "StoryFeed");
        assert_eq!(names.label(Some("drop table;")), "other");
        assert_eq!(names.label(Some("9lives")), "other");
        assert_eq!(names.label(Some("")), "other");
        assert_eq!(names.label(Some(&"a".repeat(MAX_LEN + 1))), "other");
        for i in 0..MAX_NAMES * 2 {
            names.label(Some(&format!("Flood{i}")));
        }
        assert_eq!(names.label(Some("LateComer")), "other");
        // Names seen before the cap keep their series.
        assert_eq!(names.label(Some("StoryFeed")), "StoryFeed");
    }
}
