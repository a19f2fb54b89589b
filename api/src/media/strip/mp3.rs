//! MP3: cut the tags off both ends and stream the audio frames between.
//!
//! Tags sit outside the audio: ID3v2 in front (sometimes repeated), and at
//! the end any stack of ID3v1, APEv2, Lyrics3v2 and appended ID3v2. They hold
//! artists, comments, pictures and free-form frames (TXXX) that recording apps
//! fill with names and places.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::StripError;

const ID3V2_HEADER_LEN: u64 = 10;
const ID3V2_FOOTER_FLAG: u8 = 0x10;
const ID3V1_LEN: u64 = 128;
const ID3V1_EXTENDED_LEN: u64 = 227;
const APE_FOOTER_LEN: u64 = 32;
const APE_HAS_HEADER: u32 = 1 << 31;
const LYRICS3_FOOTER: &[u8] = b"LYRICS200";
/// Six ASCII digits of size, then the footer; the size leaves both out.
const LYRICS3_TRAILER_LEN: u64 = 6 + 9;

/// Copies the audio frames of `src` to `dst`, without leading or trailing tags.
pub(super) fn clean(src: &mut (impl Read + Seek), dst: &mut impl Write) -> Result<(), StripError> {
    let len = src.seek(SeekFrom::End(0))?;
    let start = leading_tags_end(src, len)?;
    let end = trailing_tags_start(src, start, len)?;
    if end <= start {
        return Err(StripError::malformed("MP3 with tags but no audio"));
    }
    src.seek(SeekFrom::Start(start))?;
    let copied = io::copy(&mut src.take(end - start), dst)?;
    if copied != end - start {
        return Err(StripError::malformed("MP3 shorter than it said"));
    }
    Ok(())
}

/// Where the audio starts: after every ID3v2 tag at the front.
fn leading_tags_end(src: &mut (impl Read + Seek), len: u64) -> Result<u64, StripError> {
    let mut pos = 0;
    while let Some(header) = read_at::<10>(src, pos, len)? {
        if &header[..3] != b"ID3" {
            break;
        }
        pos += id3v2_tag_len(&header)?;
        if pos > len {
            return Err(StripError::malformed("ID3v2 tag longer than the file"));
        }
    }
    Ok(pos)
}

/// Where the audio ends: before every tag stacked at the back.
fn trailing_tags_start(
    src: &mut (impl Read + Seek),
    start: u64,
    len: u64,
) -> Result<u64, StripError> {
    let too_long = || StripError::malformed("MP3 trailing tag longer than the file");
    // `n` bytes before `end`, if that is still after the audio's start.
    let below = |end: u64, n: u64| end.checked_sub(n).filter(|&at| at >= start);
    let mut end = len;
    loop {
        if let Some(at) = below(end, ID3V1_LEN)
            && read_at::<3>(src, at, len)? == Some(*b"TAG")
        {
            end = at;
            // "Enhanced" ID3v1 puts 227 more bytes before it.
            if let Some(at) = below(end, ID3V1_EXTENDED_LEN)
                && read_at::<4>(src, at, len)? == Some(*b"TAG+")
            {
                end = at;
            }
            continue;
        }
        if let Some(at) = below(end, APE_FOOTER_LEN)
            && let Some(footer) = read_at::<32>(src, at, len)?
            && footer.starts_with(b"APETAGEX")
        {
            let size = u32::from_le_bytes([footer[12], footer[13], footer[14], footer[15]]);
            let flags = u32::from_le_bytes([footer[20], footer[21], footer[22], footer[23]]);
            if u64::from(size) < APE_FOOTER_LEN {
                return Err(StripError::malformed("APEv2 tag smaller than its footer"));
            }
            // The size counts the footer but not the optional header.
            let header = if flags & APE_HAS_HEADER != 0 {
                APE_FOOTER_LEN
            } else {
                0
            };
            end = below(end, u64::from(size) + header).ok_or_else(too_long)?;
            continue;
        }
        if let Some(at) = below(end, ID3V2_HEADER_LEN)
            && let Some(footer) = read_at::<10>(src, at, len)?
            && footer.starts_with(b"3DI")
        {
            // The footer repeats the header, footer flag included.
            end = below(end, id3v2_tag_len(&footer)?).ok_or_else(too_long)?;
            continue;
        }
        if let Some(at) = below(end, LYRICS3_TRAILER_LEN)
            && let Some(trailer) = read_at::<15>(src, at, len)?
            && trailer.ends_with(LYRICS3_FOOTER)
        {
            let size = std::str::from_utf8(&trailer[..6])
                .ok()
                .and_then(|digits| digits.parse::<u64>().ok())
                .ok_or_else(|| StripError::malformed("bad Lyrics3 size"))?;
            end = below(end, size + LYRICS3_TRAILER_LEN).ok_or_else(too_long)?;
            continue;
        }
        return Ok(end);
    }
}

/// The full length of an ID3v2 tag from its 10-byte header (or footer).
fn id3v2_tag_len(header: &[u8; 10]) -> Result<u64, StripError> {
    let flags = header[5];
    let size_bytes = &header[6..10];
    if size_bytes.iter().any(|b| b & 0x80 != 0) {
        return Err(StripError::malformed("ID3v2 size is not syncsafe"));
    }
    // Syncsafe: seven bits per byte, so no byte looks like an MPEG frame sync.
    let size = size_bytes
        .iter()
        .fold(0u64, |acc, &b| (acc << 7) | u64::from(b));
    let footer = if flags & ID3V2_FOOTER_FLAG != 0 {
        ID3V2_HEADER_LEN
    } else {
        0
    };
    Ok(ID3V2_HEADER_LEN + size + footer)
}

/// `N` bytes at `pos`, or `None` when they would run past `len`.
fn read_at<const N: usize>(
    src: &mut (impl Read + Seek),
    pos: u64,
    len: u64,
) -> Result<Option<[u8; N]>, StripError> {
    if pos.checked_add(N as u64).is_none_or(|end| end > len) {
        return Ok(None);
    }
    let mut buf = [0u8; N];
    src.seek(SeekFrom::Start(pos))?;
    src.read_exact(&mut buf)?;
    Ok(Some(buf))
}
