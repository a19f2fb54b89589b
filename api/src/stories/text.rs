//! Pure text functions for stories: Markdown to HTML, slugs and revision diffs.
//!
//! Stories are written by editors in Markdown, and Markdown may contain
//! anything, raw HTML and `javascript:` links included. Consumers embed the
//! HTML we hand them straight into partners' pages, so [`render_markdown`]
//! makes its output safe by construction rather than by cleaning it up
//! afterwards: raw HTML never reaches the renderer as HTML, and a link or
//! image survives only with a destination we know cannot run code. That
//! keeps a sanitiser crate out of the build and leaves nothing to configure.
//!
//! Storytellers write in many scripts, so [`slugify`] keeps letters, digits
//! and combining marks of every script instead of squashing titles to ASCII:
//! `قصتي-من-حلب` is a readable address for an Arabic story, an empty or
//! transliterated one is not. [`validate_slug`] accepts exactly the shapes
//! [`slugify`] produces, so a hand-picked slug looks like a generated one.
//!
//! [`unified_diff`] shows editors and reviewers what changed between two
//! revisions of a story in the format every tool already understands.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use similar::TextDiff;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest slug, in characters (not bytes: a slug in Devanagari or Chinese
/// takes several bytes a character).
pub const MAX_SLUG_LEN: usize = 100;

/// Returned when a slug has no usable characters, such as a title of only
/// emoji, so that every story still gets an address.
const FALLBACK_SLUG: &str = "story";

/// Renders editor Markdown (CommonMark with tables and strikethrough) to HTML
/// that carries no script: raw HTML shows as text, and links and images keep
/// only `http`, `https`, `mailto` or relative destinations.
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut links_kept: Vec<bool> = Vec::new();
    let mut images_kept: Vec<bool> = Vec::new();

    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        // Shown as text so the reader sees what the editor typed, but it can
        // never become markup.
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        // The renderer writes no element of its own for an HTML block; once
        // its content is text it needs a block element around it.
        Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::Paragraph)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let keep = is_safe_destination(dest_url);
            links_kept.push(keep);
            // A dropped link leaves its text in place, so nothing is lost.
            keep.then_some(event)
        }
        Event::End(TagEnd::Link) => links_kept.pop().unwrap_or(false).then_some(event),
        Event::Start(Tag::Image { ref dest_url, .. }) => {
            let keep = is_safe_destination(dest_url);
            images_kept.push(keep);
            // Without its start and end, the image's description reaches the
            // renderer as ordinary text: the alt text stays readable.
            keep.then_some(event)
        }
        Event::End(TagEnd::Image) => images_kept.pop().unwrap_or(false).then_some(event),
        other => Some(other),
    });

    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut out, events);
    out
}

/// Whether a link or image destination is one a browser will only navigate
/// to or fetch, never execute.
///
/// An allow-list, because the list of dangerous schemes (`javascript:`,
/// `vbscript:`, `data:`, and whatever browsers add next) has no end.
fn is_safe_destination(dest: &str) -> bool {
    // A browser reads a scheme only up to the first `:`, and only if no `/`,
    // `?` or `#` comes before it; anything else is a relative reference and
    // stays on the partner's own site. Treating every such `:` as a scheme is
    // stricter than browsers are (`12:30` is dropped), which is the safe side.
    let Some(end) = dest.find([':', '/', '?', '#']) else {
        return true;
    };
    if !dest[end..].starts_with(':') {
        return true;
    }
    // Browsers ignore leading control characters and spaces and tabs or line
    // breaks anywhere in a URL, so `java\tscript:` still runs; compare what
    // the browser would see, case-insensitively.
    let scheme: String = dest[..end]
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    matches!(scheme.as_str(), "http" | "https" | "mailto")
}

/// Turns a story title into a readable URL slug in the title's own script:
/// `Café à Lisboa` becomes `café-à-lisboa`, `قصتي من حلب` becomes
/// `قصتي-من-حلب`. Returns `story` when the title has no letters or digits.
pub fn slugify(title: &str) -> String {
    // Normalising before lower-casing makes composed and decomposed spellings
    // of one title meet; lower-casing can itself leave decomposed sequences
    // (`İ` becomes `i` and a combining dot), hence normalising again.
    let composed: String = title.nfc().collect();
    let lowered: String = composed.to_lowercase().nfc().collect();

    let mut slug = String::with_capacity(lowered.len());
    let mut len = 0;
    let mut word = WordState::Between;
    let mut pending_hyphen = false;
    for c in lowered.chars() {
        match word.accept(c) {
            Some(next) => {
                if pending_hyphen {
                    if len + 2 > MAX_SLUG_LEN {
                        break;
                    }
                    slug.push('-');
                    len += 1;
                    pending_hyphen = false;
                } else if len + 1 > MAX_SLUG_LEN {
                    break;
                }
                slug.push(c);
                len += 1;
                word = next;
            }
            None => {
                // Any run of other characters, spaces, punctuation, emoji or
                // a stray mark, becomes one hyphen, and only between words.
                pending_hyphen = !slug.is_empty();
                word = WordState::Between;
            }
        }
    }

    if slug.is_empty() {
        FALLBACK_SLUG.to_owned()
    } else {
        slug
    }
}

/// Checks that `slug` is a shape [`slugify`] could have produced, so hand-picked
/// slugs read like generated ones and every script is held to one rule.
pub fn validate_slug(slug: &str) -> Result<(), &'static str> {
    const EXPECTED: &str = "expected lower-case words of letters and digits joined by single hyphens, at most 100 characters";

    if slug.is_empty() || slug.chars().count() > MAX_SLUG_LEN {
        return Err(EXPECTED);
    }
    // Two spellings of one slug would be two addresses for one story, or two
    // stories that look alike to a reader.
    if !unicode_normalization::is_nfc(slug) {
        return Err("expected the slug in Unicode composed form (NFC), as typed on most keyboards");
    }
    let mut word = WordState::Between;
    for c in slug.chars() {
        if c == '-' {
            if word == WordState::Between {
                return Err(EXPECTED);
            }
            word = WordState::Between;
            continue;
        }
        if !is_lower_case(c) {
            return Err(EXPECTED);
        }
        match word.accept(c) {
            Some(next) => word = next,
            None => return Err(EXPECTED),
        }
    }
    if word == WordState::Between {
        // Empty after a trailing hyphen.
        return Err(EXPECTED);
    }
    Ok(())
}

/// A character is upper-case for slugs if lower-casing would change it; this
/// also catches title-case letters such as `ǅ`.
fn is_lower_case(c: char) -> bool {
    let mut lower = c.to_lowercase();
    lower.next() == Some(c) && lower.next().is_none()
}

/// Where a scan of a slug stands, so that [`slugify`] and [`validate_slug`]
/// share one definition of a word.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordState {
    /// At the start of the slug or right after a hyphen.
    Between,
    /// Inside a word whose last base character is a letter: combining marks
    /// (vowel signs, viramas, harakat, accents) may follow.
    AfterLetter,
    /// Inside a word whose last character is a digit: a mark here would be
    /// decoration such as the keycap in `1️⃣`, not part of any script.
    AfterDigit,
}

impl WordState {
    /// The state after taking `c` into a word, or `None` if `c` cannot be part
    /// of a word here.
    fn accept(self, c: char) -> Option<Self> {
        // Checked before letters: some marks are also alphabetic (Devanagari
        // vowel signs), but a word must not start with one, or a slug could
        // begin with a sign that has nothing to sit on.
        if is_combining_mark(c) {
            return (self == Self::AfterLetter).then_some(Self::AfterLetter);
        }
        if c.is_alphabetic() {
            Some(Self::AfterLetter)
        } else if c.is_numeric() {
            Some(Self::AfterDigit)
        } else {
            None
        }
    }
}

/// A line-based unified diff of two revisions with three lines of context,
/// headed `--- old_label` / `+++ new_label`; empty when nothing changed.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    // A line break in a label would let it forge diff lines.
    let one_line = |label: &str| label.replace(['\r', '\n'], " ");
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&one_line(old_label), &one_line(new_label))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if anything in `html` could run script or load a dangerous URL.
    ///
    /// Reads every tag the way a browser would, so text that merely mentions
    /// `onerror=` or `javascript:` (escaped, outside any tag) passes, while a
    /// tag or attribute outside what pulldown-cmark writes for safe Markdown
    /// fails.
    fn assert_inert(html: &str) {
        const TAGS: &[&str] = &[
            "p",
            "a",
            "img",
            "em",
            "strong",
            "del",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "ul",
            "ol",
            "li",
            "blockquote",
            "pre",
            "code",
            "hr",
            "br",
        ];
        const ATTRIBUTES: &[&str] = &["href", "src", "alt", "title", "style", "start", "class"];

        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "script tag in {html}");
        let mut rest = lower.as_str();
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let rest_of_name = rest.trim_start_matches('/');
            let name_len = rest_of_name
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest_of_name.len());
            let name = &rest_of_name[..name_len];
            assert!(TAGS.contains(&name), "unexpected tag <{name}> in {html}");
            rest = &rest_of_name[name_len..];
            loop {
                rest = rest.trim_start();
                if let Some(after) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                    rest = after;
                    break;
                }
                let (attribute, after) = rest
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("malformed tag in {html}"));
                // Event handlers such as `onerror` are attributes of their own;
                // text quoted inside `alt` or `title` is harmless.
                assert!(!attribute.starts_with("on"), "event handler in {html}");
                assert!(
                    ATTRIBUTES.contains(&attribute),
                    "unexpected attribute {attribute} in {html}"
                );
                let (value, after) = after
                    .split_once('"')
                    .unwrap_or_else(|| panic!("unterminated attribute in {html}"));
                assert!(!value.contains('<') && !value.contains('>'), "{html}");
                if attribute == "href" || attribute == "src" {
                    assert!(!value.contains("javascript:"), "script URL in {html}");
                    assert!(!value.contains("vbscript:"), "script URL in {html}");
                }
                if attribute == "src" {
                    assert!(!value.contains("data:"), "data URL in {html}");
                }
                rest = after;
            }
        }
    }

    #[test]
    fn markdown_renders_commonmark_tables_and_strikethrough() {
        let html = render_markdown(
            "# Home\n\n*far* and **near** ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Home</h1>"), "{html}");
        assert!(html.contains("<em>far</em>"), "{html}");
        assert!(html.contains("<strong>near</strong>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>2</td>"), "{html}");
    }

    #[test]
    fn raw_html_blocks_show_as_text() {
        let html = render_markdown("<script>alert(1)</script>\n");
        assert_inert(&html);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.starts_with("<p>"), "{html}");
    }

    #[test]
    fn inline_raw_html_shows_as_text() {
        let html = render_markdown("before <img src=x onerror=alert(1)> after");
        assert_inert(&html);
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );

        let html = render_markdown(r#"see <a href="javascript:x">y</a> here"#);
        assert_inert(&html);
        assert!(html.contains("&lt;a href="), "{html}");
        assert!(!html.contains("<a "), "{html}");
    }

    #[test]
    fn html_blocks_inside_other_blocks_show_as_text() {
        for markdown in [
            "> <div onclick=\"x()\">\n> hi\n> </div>\n",
            "- item\n\n  <iframe src=\"javascript:x\"></iframe>\n",
            "<!-- <script>alert(1)</script> -->\n",
            "<?php echo 1; ?>\n",
            "<style>body{display:none}</style>\n",
        ] {
            let html = render_markdown(markdown);
            assert_inert(&html);
            assert!(!html.contains("<div"), "{html}");
            assert!(!html.contains("<iframe"), "{html}");
            assert!(!html.contains("<!--"), "{html}");
            assert!(!html.contains("<style"), "{html}");
            assert!(!html.contains("<?php"), "{html}");
        }
    }

    #[test]
    fn script_links_keep_only_their_text() {
        for markdown in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](<java\tscript:alert(1)>)",
            "[x](< javascript:alert(1)>)",
            "[x](<\u{1}javascript:alert(1)>)",
            "[x](&#106;avascript:alert(1))",
            "[x](javascript&#58;alert(1))",
            "[x](javascript&colon;alert(1))",
            "[x](java%0ascript:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](file:///etc/passwd)",
            "[x][r]\n\n[r]: javascript:alert(1)",
            "<javascript:alert(1)>",
        ] {
            let html = render_markdown(markdown);
            assert_inert(&html);
            assert!(!html.contains("<a"), "{markdown:?} gave {html}");
            if markdown.starts_with('[') {
                assert_eq!(html, "<p>x</p>\n", "{markdown:?}");
            }
        }
    }

    #[test]
    fn script_images_become_their_alt_text() {
        for markdown in [
            "![a *b*](data:text/html;base64,xxx)",
            "![a *b*](javascript:alert(1))",
            "![a *b*](JAVASCRIPT:alert(1))",
            "![a *b*](\tdata:image/svg+xml,<svg/onload=alert(1)>)",
        ] {
            let html = render_markdown(markdown);
            assert_inert(&html);
            assert!(!html.contains("<img"), "{markdown:?} gave {html}");
            assert_eq!(html, "<p>a <em>b</em></p>\n", "{markdown:?}");
        }
    }

    #[test]
    fn safe_links_and_images_are_kept() {
        let html = render_markdown("[ok](https://example.org)");
        assert_eq!(html, "<p><a href=\"https://example.org\">ok</a></p>\n");
        let html = render_markdown("[ok](HTTP://example.org/a?b=c#d)");
        assert!(
            html.contains("<a href=\"HTTP://example.org/a?b=c#d\">ok</a>"),
            "{html}"
        );
        let html = render_markdown("[ok](/stories/x)");
        assert_eq!(html, "<p><a href=\"/stories/x\">ok</a></p>\n");
        for relative in ["#top", "?page=2", "stories/x", "./x:y", "x/y:z"] {
            let html = render_markdown(&format!("[ok]({relative})"));
            assert!(html.contains(&format!("<a href=\"{relative}\">")), "{html}");
        }
        let html = render_markdown("[mail](mailto:editor@example.org)");
        assert!(
            html.contains("<a href=\"mailto:editor@example.org\">mail</a>"),
            "{html}"
        );
        let html = render_markdown("<editor@example.org>");
        assert!(
            html.contains("<a href=\"mailto:editor@example.org\">"),
            "{html}"
        );
        let html = render_markdown("<https://example.org>");
        assert!(html.contains("<a href=\"https://example.org\">"), "{html}");
        let html = render_markdown("![a boat](/media/boat.jpg)");
        assert!(
            html.contains("<img src=\"/media/boat.jpg\" alt=\"a boat\" />"),
            "{html}"
        );
        let html = render_markdown("[![a boat](https://example.org/b.jpg)](javascript:x)");
        assert_inert(&html);
        assert!(
            html.contains("<img src=\"https://example.org/b.jpg\""),
            "{html}"
        );
        assert!(!html.contains("<a"), "{html}");
    }

    #[test]
    fn titles_and_alt_text_cannot_leave_their_attribute() {
        let html = render_markdown(r#"[x](https://example.org 'a" onmouseover="alert(1)" >')"#);
        assert_inert(&html);
        assert!(
            html.contains("title=\"a&quot; onmouseover=&quot;alert(1)&quot; &gt;\""),
            "{html}"
        );

        let html = render_markdown(r#"![a" onerror="alert(1)<b>](/x.png "t'")"#);
        assert_inert(&html);
        assert!(
            html.contains("alt=\"a&quot; onerror=&quot;alert(1)"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");

        let html = render_markdown(r#"[x](https://example.org/"onmouseover="alert(1))"#);
        assert_inert(&html);
        assert!(!html.contains("/\"onmouseover"), "{html}");
    }

    #[test]
    fn code_is_escaped() {
        let html = render_markdown("`<script>`\n\n```\n<script>alert(1)</script>\n```\n");
        assert_inert(&html);
        assert!(html.contains("<code>&lt;script&gt;</code>"), "{html}");
    }

    #[test]
    fn slugs_read_like_the_title() {
        assert_eq!(
            slugify("I Am A Migrant: Amal's story"),
            "i-am-a-migrant-amal-s-story"
        );
        assert_eq!(slugify("  --Hello,   World!--  "), "hello-world");
        assert_eq!(slugify("Café à Lisboa"), "café-à-lisboa");
        assert_eq!(slugify("Cafe\u{301} a\u{300} Lisboa"), "café-à-lisboa");
        assert_eq!(slugify("قصتي من حلب"), "قصتي-من-حلب");
        assert_eq!(slugify("मेरी कहानी: दिल्ली से"), "मेरी-कहानी-दिल्ली-से");
        assert_eq!(slugify("МОЯ ІСТОРІЯ З ЛЬВОВА"), "моя-історія-з-львова");
        assert_eq!(slugify("Ґанок і Їжак"), "ґанок-і-їжак");
        assert_eq!(
            slugify("我的故事：从上海到里斯本"),
            "我的故事-从上海到里斯本"
        );
        assert_eq!(slugify("ΟΔΥΣΣΕΑΣ"), "οδυσσεας");
        assert_eq!(slugify("Top 10 🎉 moments"), "top-10-moments");
        assert_eq!(slugify("1️⃣ day"), "1-day");
        assert_eq!(slugify("🎉🎉"), "story");
        assert_eq!(slugify(""), "story");
        assert_eq!(slugify("--- !!! ---"), "story");
    }

    #[test]
    fn devanagari_keeps_its_marks() {
        // Vowel signs, virama and anusvara are combining marks; losing them
        // would turn the words into different ones.
        let slug = slugify("हिन्दी में कहानी");
        assert_eq!(slug, "हिन्दी-में-कहानी");
        assert!(slug.chars().any(is_combining_mark));
        // A mark with no letter to sit on is dropped rather than starting a word.
        assert_eq!(slugify("\u{93f}क"), "क");
        assert_eq!(slugify("a \u{301}b"), "a-b");
    }

    #[test]
    fn long_titles_are_cut_at_a_character() {
        let long = "Ünïcödé wörds ".repeat(30);
        let slug = slugify(&long);
        assert!(slug.chars().count() <= MAX_SLUG_LEN, "{slug}");
        assert!(!slug.ends_with('-'), "{slug}");
        assert_eq!(validate_slug(&slug), Ok(()));

        // A word boundary right at the limit must not leave a trailing hyphen.
        let exact = format!("{} {}", "a".repeat(MAX_SLUG_LEN), "b".repeat(10));
        assert_eq!(slugify(&exact), "a".repeat(MAX_SLUG_LEN));
        let just_under = format!("{} {}", "a".repeat(MAX_SLUG_LEN - 1), "b".repeat(10));
        assert_eq!(slugify(&just_under), "a".repeat(MAX_SLUG_LEN - 1));

        let chinese = "故".repeat(300);
        assert_eq!(slugify(&chinese).chars().count(), MAX_SLUG_LEN);
    }

    #[test]
    fn validate_accepts_what_slugify_makes() {
        for title in [
            "I Am A Migrant: Amal's story",
            "Café à Lisboa",
            "Cafe\u{301} a\u{300} Lisboa",
            "قصتي من حلب",
            "हिन्दी में कहानी",
            "МОЯ ІСТОРІЯ З ЛЬВОВА",
            "我的故事：从上海到里斯本",
            "🎉🎉",
            "İSTANBUL'DAN",
            "ǅemal",
            "ΟΔΥΣΣΕΑΣ",
            &"Ünïcödé wörds ".repeat(30),
        ] {
            let slug = slugify(title);
            assert_eq!(validate_slug(&slug), Ok(()), "{title:?} gave {slug:?}");
            // Slugifying a slug changes nothing, so editors can paste one back.
            assert_eq!(slugify(&slug), slug, "{title:?}");
        }
    }

    #[test]
    fn validate_rejects_other_shapes() {
        for bad in [
            "A",
            "a--b",
            "-a",
            "a-",
            "a b",
            "a_b",
            "",
            "-",
            "Моя",
            "ǆemal\u{1c5}",
            "\u{301}a",
            "a-\u{301}b",
            "1\u{fe0f}\u{20e3}",
            "a🎉",
            &"a".repeat(MAX_SLUG_LEN + 1),
        ] {
            assert!(validate_slug(bad).is_err(), "{bad:?}");
        }
        assert!(validate_slug(&"a".repeat(MAX_SLUG_LEN)).is_ok());
        assert!(validate_slug(&"故".repeat(MAX_SLUG_LEN)).is_ok());
        assert!(
            validate_slug("cafe\u{301}").is_err(),
            "NFD must be rejected"
        );
        assert!(validate_slug("café").is_ok());
        assert!(validate_slug("imd-2023").is_ok());
    }

    #[test]
    fn slug_error_names_the_real_limit() {
        let message = validate_slug("A").expect_err("upper case is rejected");
        assert!(message.contains(&format!("at most {MAX_SLUG_LEN} characters")));
    }

    /// Every assigned plane's characters go through slugify at the start of a
    /// word and after a letter; the result must always validate and stay put
    /// when slugified again. Planes 4 to 13 hold no characters, and 15 and 16
    /// only private use, which behaves like plane 14's tags: symbols.
    #[test]
    fn every_character_slugifies_to_a_valid_slug() {
        let planes = (0..=0x3_ffff).chain(0xe_0000..=0xe_ffff);
        for c in planes.filter_map(char::from_u32) {
            let title = format!("{c}a{c}");
            let slug = slugify(&title);
            assert_eq!(validate_slug(&slug), Ok(()), "{title:?} gave {slug:?}");
            assert_eq!(slugify(&slug), slug, "{title:?}");
            // And the other way round: whatever validates is a slug that
            // slugify would have made.
            for candidate in [c.to_string(), format!("a{c}"), format!("1{c}")] {
                if validate_slug(&candidate).is_ok() {
                    assert_eq!(slugify(&candidate), candidate);
                }
            }
        }
    }

    #[test]
    fn one_changed_line_gives_one_minus_and_one_plus() {
        let old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";
        let new = old.replace("five", "FIVE");
        let diff = unified_diff(old, &new, "revision 1", "revision 2");
        let lines: Vec<&str> = diff.lines().collect();
        assert_eq!(lines[0], "--- revision 1");
        assert_eq!(lines[1], "+++ revision 2");
        assert_eq!(lines[2], "@@ -2,7 +2,7 @@");
        let removed: Vec<&&str> = lines[2..].iter().filter(|l| l.starts_with('-')).collect();
        let added: Vec<&&str> = lines[2..].iter().filter(|l| l.starts_with('+')).collect();
        assert_eq!(removed, [&"-five"]);
        assert_eq!(added, [&"+FIVE"]);
        // Three lines of context either side.
        assert_eq!(lines.len(), 3 + 3 + 2 + 3);
    }

    #[test]
    fn identical_texts_give_no_diff() {
        assert_eq!(unified_diff("a\nb\n", "a\nb\n", "old", "new"), "");
        assert_eq!(unified_diff("", "", "old", "new"), "");
    }

    #[test]
    fn diff_labels_stay_on_their_line() {
        let diff = unified_diff("a\n", "b\n", "old\n+++ forged", "new");
        assert_eq!(diff.lines().next(), Some("--- old +++ forged"));
    }
}
