//! URL slugs for public content: `international-migrants-day-2023`.

use crate::error::{Error, Result};

/// Longest slug accepted.
pub const MAX_LEN: usize = 100;

/// Checks that `slug` is lower-case ASCII letters and digits in hyphen-separated words.
pub fn validate(field: &'static str, slug: &str) -> Result<()> {
    let well_formed = !slug.is_empty()
        && slug.len() <= MAX_LEN
        && slug.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!(
                "expected a slug of lower-case letters, digits and single hyphens, at most {MAX_LEN} characters, such as `we-are-all-migrants`"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        for good in ["a", "one-day-without-us", "imd-2023"] {
            assert!(validate("slug", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "A",
            "a b",
            "a_b",
            "café",
            &"a".repeat(101),
        ] {
            assert!(validate("slug", bad).is_err(), "{bad}");
        }
    }
}
