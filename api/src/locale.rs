//! Language tags (BCP 47, in the common `ll` / `ll-Rr` / `lll-Scrp-RR` shapes).

use crate::error::{Error, Result};

/// Checks a language tag such as `en`, `ar`, `uk`, `pt-BR` or `zh-Hant-TW`.
pub fn validate(field: &'static str, tag: &str) -> Result<()> {
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if language_ok && rest_ok && tag.len() <= 35 {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("expected a language tag such as `en`, `ar` or `pt-BR`, got `{tag}`"),
        ))
    }
}

/// Picks, from the `available` tags (the story's primary one first), the one to
/// show a reader who asked for `requested`: the exact tag (case-insensitive),
/// else one of the same language (`pt` for `pt-BR`, `pt-PT` for `pt`), else the
/// first available (the primary). `None` only when nothing is available.
pub fn negotiate<'a>(requested: Option<&str>, available: &[&'a str]) -> Option<&'a str> {
    let language = |tag: &str| {
        tag.split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    requested
        .and_then(|wanted| {
            available
                .iter()
                .find(|t| t.eq_ignore_ascii_case(wanted))
                .or_else(|| available.iter().find(|t| language(t) == language(wanted)))
        })
        .or_else(|| available.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::{negotiate, validate};

    #[test]
    fn readers_get_their_language_or_the_storys_own() {
        let available = ["ar", "en-GB", "pt-BR"];
        assert_eq!(negotiate(Some("en-GB"), &available), Some("en-GB"));
        assert_eq!(negotiate(Some("en-gb"), &available), Some("en-GB"));
        assert_eq!(negotiate(Some("en"), &available), Some("en-GB"));
        assert_eq!(negotiate(Some("pt-PT"), &available), Some("pt-BR"));
        assert_eq!(negotiate(Some("fr"), &available), Some("ar"));
        assert_eq!(negotiate(None, &available), Some("ar"));
        assert_eq!(negotiate(Some("en"), &[]), None);
    }

    #[test]
    fn language_tags_are_checked() {
        for good in ["en", "ar", "uk", "pt-BR", "zh-Hant-TW", "fil"] {
            assert!(validate("locale", good).is_ok(), "{good}");
        }
        for bad in ["", "EN", "english", "en_GB", "en-", "e"] {
            assert!(validate("locale", bad).is_err(), "{bad}");
        }
    }
}
