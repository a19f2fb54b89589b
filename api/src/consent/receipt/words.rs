//! The words of the printable receipt, one Fluent file per language under
//! `api/locales/receipt/`, embedded in the binary so a native speaker can
//! review a plain text file and the server needs nothing at run time.
//!
//! English is the reference and the fallback: a message missing from another
//! file is taken from English (a test keeps every file complete), and a
//! language without a file gets the English page with a sentence saying so.

use std::sync::LazyLock;

use fluent_bundle::{FluentArgs, FluentResource, concurrent::FluentBundle};

/// The languages receipts are written in: BCP 47 primary subtag, whether the
/// script runs right to left, and the Fluent source. English first.
pub const LANGUAGES: [(&str, bool); 7] = [
    ("en", false),
    ("ar", true),
    ("fa", true),
    ("ps", true),
    ("uk", false),
    ("es", false),
    ("fr", false),
];

const SOURCES: [&str; 7] = [
    include_str!("../../../locales/receipt/en.ftl"),
    include_str!("../../../locales/receipt/ar.ftl"),
    include_str!("../../../locales/receipt/fa.ftl"),
    include_str!("../../../locales/receipt/ps.ftl"),
    include_str!("../../../locales/receipt/uk.ftl"),
    include_str!("../../../locales/receipt/es.ftl"),
    include_str!("../../../locales/receipt/fr.ftl"),
];

/// One language's messages.
pub struct Words {
    /// The language tag the page carries.
    pub lang: &'static str,
    /// Written right to left.
    pub rtl: bool,
    bundle: FluentBundle<FluentResource>,
}

static ALL: LazyLock<Vec<Words>> = LazyLock::new(|| {
    LANGUAGES
        .iter()
        .zip(SOURCES)
        .map(|(&(lang, rtl), source)| Words {
            lang,
            rtl,
            bundle: bundle(lang, source),
        })
        .collect()
});

/// A bundle of one file. The files are ours and tested; should one still hold
/// a mistake, the messages that parsed are kept and the rest come from English.
fn bundle(lang: &str, source: &str) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(lang, ?errors, "receipt translation does not parse");
            partial
        });
    let mut bundle = FluentBundle::new_concurrent(vec![lang.parse().unwrap_or_default()]);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang, ?errors, "receipt translation repeats a message");
    }
    bundle
}

impl Words {
    /// The words for a language tag (`fr`, `fr-BE`, `AR`…), and the tag itself
    /// when there is no translation for it (the words are then English).
    pub fn for_language(tag: &str) -> (&'static Words, Option<&str>) {
        let tag = tag.trim();
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ALL.iter().find(|w| w.lang == primary) {
            Some(words) => (words, None),
            None => (&ALL[0], Some(if tag.is_empty() { "und" } else { tag })),
        }
    }

    /// A message without placeables.
    pub fn get(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// A message with its placeables filled in.
    pub fn with(&self, id: &str, args: &[(&'static str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.to_string());
        }
        self.format(id, &fluent_args)
            .or_else(|| ALL[0].format(id, &fluent_args))
            .unwrap_or_else(|| {
                tracing::error!(id, "receipt message missing from English");
                id.to_owned()
            })
    }

    fn format(&self, id: &str, args: &FluentArgs<'_>) -> Option<String> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = self.bundle.format_pattern(pattern, Some(args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(lang = self.lang, id, ?errors, "receipt message has errors");
        }
        Some(text.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of the messages a file defines.
    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .map(|(id, _)| id.to_owned())
            .filter(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .collect()
    }

    #[test]
    fn a_language_without_a_translation_is_english_and_named() {
        assert_eq!(Words::for_language("fr-BE").0.lang, "fr");
        assert_eq!(Words::for_language("AR").0.lang, "ar");
        assert_eq!(Words::for_language("fa").1, None);
        let (words, missing) = Words::for_language("ti-ER");
        assert_eq!((words.lang, missing), ("en", Some("ti-ER")));
        assert_eq!(Words::for_language("").1, Some("und"));
    }

    #[test]
    fn every_translation_parses_and_has_every_english_message() {
        let english = ids(SOURCES[0]);
        assert!(english.len() > 80, "{}", english.len());
        for (words, source) in ALL.iter().zip(SOURCES) {
            assert!(
                FluentResource::try_new(source.to_owned()).is_ok(),
                "{} does not parse",
                words.lang
            );
            let defined = ids(source);
            for id in &english {
                assert!(words.bundle.has_message(id), "{} lacks {id}", words.lang);
            }
            for id in &defined {
                assert!(
                    english.contains(id),
                    "{} has {id}, unknown in English",
                    words.lang
                );
            }
        }
    }

    #[test]
    fn placeables_are_filled_in_every_language() {
        for words in ALL.iter() {
            let text = words.with("scope-one", &[("id", "ref-123")]);
            assert!(text.contains("ref-123"), "{}: {text}", words.lang);
            assert!(!text.contains('{'), "{}: {text}", words.lang);
        }
    }

    #[test]
    fn right_to_left_is_arabic_farsi_and_pashto() {
        let rtl: Vec<&str> = ALL.iter().filter(|w| w.rtl).map(|w| w.lang).collect();
        assert_eq!(rtl, ["ar", "fa", "ps"]);
    }
}
