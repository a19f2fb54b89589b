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

#[cfg(test)]
mod tests {
    use super::validate;

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
