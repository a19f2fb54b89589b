//! Query documents already parsed, by their text: partner sites and apps send
//! the same few texts over and over, and parsing one (async-graphql's parser)
//! cost as much as a tenth of an uncached by-slug read. A text that does not
//! parse is not kept; its error comes from parsing it again.

use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::{Request, ServerError, parser::types::ExecutableDocument};

use crate::consumers::lru::Lru;

/// How much query text the documents kept may add up to. A parsed document
/// takes some ten times its text in memory.
const TEXT_BYTES: usize = 256 * 1024;

/// The longest text kept: the few a site sends are short.
const MAX_TEXT_BYTES: usize = 16 * 1024;

/// Parsed documents by text, least recently used out first.
pub struct Documents {
    parsed: Mutex<Lru<Arc<str>, ExecutableDocument>>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            parsed: Mutex::new(Lru::new(TEXT_BYTES)),
        }
    }
}

impl Documents {
    /// The request's document, parsed: taken from those kept when its text was
    /// parsed before, else parsed now and kept.
    pub fn parse<'r>(
        &self,
        request: &'r mut Request,
    ) -> Result<&'r ExecutableDocument, ServerError> {
        let found = self.lock().get(request.query.as_str());
        match found {
            Some(doc) => request.set_parsed_query(doc),
            None => {
                let doc = request.parsed_query()?.clone();
                if request.query.len() <= MAX_TEXT_BYTES {
                    let text: Arc<str> = Arc::from(request.query.as_str());
                    self.lock().insert(text, doc, request.query.len());
                }
            }
        }
        request.parsed_query()
    }

    fn lock(&self) -> MutexGuard<'_, Lru<Arc<str>, ExecutableDocument>> {
        // Each operation completes before it can panic: a poisoned map is whole.
        self.parsed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_parsed_before_gives_the_same_document() {
        let documents = Documents::default();
        let text = "query Q($s: String!) { story(slug: $s) { title } }";
        let mut first = Request::new(text);
        let parsed = format!("{:?}", documents.parse(&mut first).expect("parses"));
        let mut second = Request::new(text);
        let kept = format!("{:?}", documents.parse(&mut second).expect("kept"));
        assert_eq!(parsed, kept);
        assert_eq!(
            documents.lock().get(text).map(|d| format!("{d:?}")),
            Some(parsed)
        );
    }

    #[test]
    fn a_text_that_does_not_parse_is_refused_each_time_and_not_kept() {
        let documents = Documents::default();
        for _ in 0..2 {
            assert!(documents.parse(&mut Request::new("{ story(")).is_err());
        }
        assert!(documents.lock().get("{ story(").is_none());
    }
}
