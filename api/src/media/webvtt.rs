//! WebVTT caption tracks, validated strictly and cleaned down to their cues.
//!
//! A track an editor uploads may carry more than the words said: a header line
//! or a `NOTE` naming the interviewee, voice tags (`<v Amina Y.>`) naming the
//! speaker, cue identifiers such as `amina-interview-1`, styles and regions.
//! Readers get only what captions need: the `WEBVTT` line, then each cue's
//! timing and its text with every tag removed. Everything else is dropped, and
//! a track that does not parse is refused whole (a lenient parser would keep
//! guessing at what it cannot read). Pure text in, text out; no database.

use std::fmt::Write as _;

/// The largest track accepted, in bytes (an hour of dense captions is ~100 KiB).
pub const MAX_BYTES: usize = 512 * 1024;

/// Why a track was refused, for the editor who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(String);

/// One cue as kept: when it shows and its plain text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// Milliseconds from the start of the media.
    pub start_ms: u64,
    pub end_ms: u64,
    pub lines: Vec<String>,
}

/// The cleaned track for `input`: `WEBVTT`, then each cue's timing and tag-free
/// text, one blank line between cues.
pub fn clean(input: &str) -> Result<String, Invalid> {
    let cues = parse(input)?;
    let mut out = String::from("WEBVTT\n");
    for cue in &cues {
        let _ = writeln!(
            out,
            "\n{} --> {}",
            timestamp(cue.start_ms),
            timestamp(cue.end_ms)
        );
        for line in &cue.lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The cues of a track, checked: a `WEBVTT` first line, well-formed timings
/// with each cue ending after it starts and starting no earlier than the one
/// before, and at least one cue.
pub fn parse(input: &str) -> Result<Vec<Cue>, Invalid> {
    if input.len() > MAX_BYTES {
        return Err(Invalid(format!(
            "the track is {} bytes; the limit is {MAX_BYTES}",
            input.len()
        )));
    }
    if input.contains('\0') {
        return Err(Invalid("the track contains a NUL character".into()));
    }
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // Line numbers count from 1, as an editor's text editor shows them.
    let lines: Vec<(usize, &str)> = input
        .split("\r\n")
        .flat_map(|l| l.split(['\r', '\n']))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let first = lines.first().map_or("", |(_, l)| *l);
    let signature_ok = first
        .strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
    if !signature_ok {
        return Err(Invalid(
            "a WebVTT track must start with a line `WEBVTT`".into(),
        ));
    }
    let mut blocks = blocks(&lines[1..]).into_iter();
    // The header's other lines (metadata such as `Kind:`) run to the first
    // blank line; a cue there means the blank line is missing.
    if lines.get(1).is_some_and(|(_, l)| !l.trim().is_empty())
        && let Some(header) = blocks.next()
        && let Some((n, _)) = header.iter().find(|(_, l)| l.contains("-->"))
    {
        return Err(Invalid(format!(
            "line {n}: a blank line must separate the `WEBVTT` header from the first cue"
        )));
    }
    let mut cues: Vec<Cue> = Vec::new();
    for block in blocks {
        let (_, head) = block[0];
        if ["NOTE", "STYLE", "REGION"].iter().any(|kind| {
            head.strip_prefix(kind)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        }) && !head.contains("-->")
        {
            continue;
        }
        // An optional identifier, then the timing line.
        let timing_at = match block.iter().position(|(_, l)| l.contains("-->")) {
            Some(at @ (0 | 1)) => at,
            found => {
                // After an identifier, or where the block starts when it has none.
                let n = if found.is_some() {
                    block[1].0
                } else {
                    block[0].0
                };
                return Err(Invalid(format!(
                    "line {n}: expected a cue timing such as `00:00:01.000 --> 00:00:04.000`"
                )));
            }
        };
        let (n, timing) = block[timing_at];
        let (start_ms, end_ms) = timing_line(timing)
            .ok_or_else(|| Invalid(format!(
                "line {n}: `{}` is not a cue timing such as `00:00:01.000 --> 00:00:04.000` (hours optional, minutes and seconds two digits, milliseconds three)",
                shorten(timing)
            )))?;
        if start_ms >= end_ms {
            return Err(Invalid(format!("line {n}: a cue must end after it starts")));
        }
        if let Some(previous) = cues.last()
            && start_ms < previous.start_ms
        {
            return Err(Invalid(format!(
                "line {n}: cues must be in order of their start times"
            )));
        }
        let mut text = Vec::new();
        for (n, line) in &block[timing_at + 1..] {
            if line.contains("-->") {
                return Err(Invalid(format!(
                    "line {n}: a cue's text cannot contain `-->` (is a blank line missing before this cue?)"
                )));
            }
            let plain = strip_tags(line);
            if !plain.trim().is_empty() {
                text.push(plain.trim_end().to_owned());
            }
        }
        cues.push(Cue {
            start_ms,
            end_ms,
            lines: text,
        });
    }
    if cues.is_empty() {
        return Err(Invalid("the track has no cues".into()));
    }
    Ok(cues)
}

/// Runs of non-blank lines (a line of only spaces counts as blank).
fn blocks<'a>(lines: &[(usize, &'a str)]) -> Vec<Vec<(usize, &'a str)>> {
    let mut out: Vec<Vec<(usize, &str)>> = Vec::new();
    let mut current = Vec::new();
    for &(n, line) in lines {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push((n, line));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `start --> end [settings]` as milliseconds; the settings are dropped.
fn timing_line(line: &str) -> Option<(u64, u64)> {
    let (start, rest) = line.split_once("-->")?;
    let start = start.trim_matches([' ', '\t']);
    let rest = rest.trim_start_matches([' ', '\t']);
    let end = rest.split([' ', '\t']).next()?;
    Some((parse_timestamp(start)?, parse_timestamp(end)?))
}

/// `[hh:]mm:ss.ttt` (hours two digits or more) as milliseconds.
fn parse_timestamp(text: &str) -> Option<u64> {
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let (clock, millis) = text.split_once('.')?;
    let millis = digits(millis, 3..=3)?;
    let parts: Vec<&str> = clock.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [m, s] => (0, digits(m, 2..=2)?, digits(s, 2..=2)?),
        // Up to 9 digits of hours: far beyond any recording, and no overflow.
        [h, m, s] => (digits(h, 2..=9)?, digits(m, 2..=2)?, digits(s, 2..=2)?),
        _ => return None,
    };
    if minutes > 59 || seconds > 59 {
        return None;
    }
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

/// Milliseconds as `hh:mm:ss.ttt`.
fn timestamp(ms: u64) -> String {
    let (s, ms) = (ms / 1000, ms % 1000);
    format!("{:02}:{:02}:{:02}.{ms:03}", s / 3600, s / 60 % 60, s % 60)
}

/// A cue text line without its tags (`<v Name>`, `<c.loud>`, `<b>`, `<00:01.000>`,
/// their end tags): what is left is the words. An unclosed `<` runs to the end
/// of the line, as a WebVTT parser reads it.
fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = match rest[open..].find('>') {
            Some(close) => &rest[open + close + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// At most 60 characters of a line, for an error message.
fn shorten(line: &str) -> String {
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(input: &str) -> String {
        match clean(input) {
            Err(Invalid(message)) => message,
            Ok(kept) => panic!("accepted {input:?} as {kept:?}"),
        }
    }

    #[test]
    fn keeps_only_the_header_line_timings_and_plain_text() {
        let input = "\u{feff}WEBVTT - Interview with Amina Yusuf\r\nKind: captions\r\nLanguage: en\r\n\r\n\
NOTE recorded at 14 Elm Street\r\nwith her brother\r\n\r\n\
STYLE\r\n::cue { color: red }\r\n\r\n\
REGION\r\nid:fred width:40%\r\n\r\n\
amina-1\r\n00:01.000 --> 00:04.500 align:start line:0\r\n<v Amina Yusuf>I came in <b>2019</b>.</v>\r\n<c.quiet>It was cold</c>\r\n\r\n\r\n\
01:02:03.004 --> 01:02:05.000\r\n<v.loud Brother>Tell them</v> &amp; <00:00:03.500>more\r\n\r\nNOTE trailing\r\n";
        assert_eq!(
            clean(input).expect("valid"),
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.500\nI came in 2019.\nIt was cold\n\n01:02:03.004 --> 01:02:05.000\nTell them &amp; more\n"
        );
    }

    #[test]
    fn refuses_what_is_not_a_track() {
        assert!(refused("").contains("WEBVTT"));
        assert!(refused("WEBVTTX\n\n00:01.000 --> 00:02.000\nhi").contains("WEBVTT"));
        assert!(refused("1\n00:00:01,000 --> 00:00:02,000\nan SRT file").contains("WEBVTT"));
        assert!(refused("WEBVTT\n").contains("no cues"));
        assert!(refused("WEBVTT\n\nNOTE only a note\n").contains("no cues"));
        assert!(refused("WEBVTT\n00:01.000 --> 00:02.000\nhi").contains("blank line"));
    }

    #[test]
    fn refuses_malformed_or_unordered_timings() {
        for bad in [
            "00:01 --> 00:02.000",
            "00:01.00 --> 00:02.000",
            "0:01.000 --> 00:02.000",
            "00:60.000 --> 01:02.000",
            "00:00:01,000 --> 00:00:02,000",
            "00:01.000 -> 00:02.000",
            "00:01.000 --> ",
            "1:00:01.000 --> 1:00:02.000",
            "aa:bb.ccc --> 00:02.000",
        ] {
            let message = refused(&format!("WEBVTT\n\n{bad}\nwords\n"));
            assert!(message.starts_with("line 3:"), "{bad}: {message}");
        }
        assert!(
            refused("WEBVTT\n\n00:02.000 --> 00:02.000\nzero length")
                .contains("end after it starts")
        );
        assert!(
            refused("WEBVTT\n\n00:05.000 --> 00:06.000\na\n\n00:01.000 --> 00:02.000\nb")
                .contains("line 6: cues must be in order")
        );
        assert!(
            refused("WEBVTT\n\n00:01.000 --> 00:02.000\na\n00:02.000 --> 00:03.000\nb")
                .contains("line 5: a cue's text cannot contain")
        );
        assert!(refused("WEBVTT\n\nid\nmore\n00:01.000 --> 00:02.000\nb").contains("line 4:"));
    }

    #[test]
    fn bounds_size_and_odd_characters() {
        let huge = format!(
            "WEBVTT\n\n00:01.000 --> 00:02.000\n{}",
            "a".repeat(MAX_BYTES)
        );
        assert!(refused(&huge).contains("limit"));
        assert!(refused("WEBVTT\n\n00:01.000 --> 00:02.000\na\0b").contains("NUL"));
        // Multi-byte text survives, and so does an unclosed tag's start.
        assert_eq!(
            clean("WEBVTT\n\n00:01.000 --> 00:02.000\nمرحبا <v Ali\nçà <i>va</i>").expect("valid"),
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nمرحبا\nçà va\n"
        );
    }

    #[test]
    fn equal_start_times_and_empty_cues_are_kept() {
        assert_eq!(
            clean("WEBVTT\n\n00:01.000 --> 00:03.000\n<v A></v>\n\n00:01.000 --> 00:02.000\nb")
                .expect("valid"),
            "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n\n00:00:01.000 --> 00:00:02.000\nb\n"
        );
    }
}
