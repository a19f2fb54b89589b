//! What an upload really is, told from its first bytes.
//!
//! A filename or a client's content type is whatever the client says; an HTML
//! page called `photo.jpg` served back as an image is a stored-XSS hole, and a
//! ZIP is nothing a story needs. So the type comes from magic numbers only, and
//! anything not on the short list below is [`Unsupported`].

/// How many leading bytes [`sniff`] looks at; fewer work for most formats.
pub const SNIFF_LEN: usize = 512;

/// The broad kind of a medium, which decides limits and where it may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    /// PDF, accepted only as private consent evidence, never published.
    Document,
}

/// Every container format Chorus accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
    Mp3,
    M4a,
    Ogg,
    Wav,
    Mp4,
    Mov,
    WebM,
    Pdf,
}

/// The real type of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sniffed {
    /// The container, for code that must branch on it (the strippers).
    pub format: Format,
    pub mime: &'static str,
    pub kind: MediaKind,
    /// The extension Chorus gives the stored file, without a dot.
    pub extension: &'static str,
}

/// The bytes are not one of the accepted formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported file type: only JPEG, PNG, WebP, GIF, MP3, M4A, Ogg, WAV, MP4, MOV, WebM and PDF are accepted"
)]
pub struct Unsupported;

impl Format {
    /// The MIME type, kind and extension that go with this format.
    pub const fn sniffed(self) -> Sniffed {
        use MediaKind::*;
        let (mime, kind, extension) = match self {
            Format::Jpeg => ("image/jpeg", Image, "jpg"),
            Format::Png => ("image/png", Image, "png"),
            Format::WebP => ("image/webp", Image, "webp"),
            Format::Gif => ("image/gif", Image, "gif"),
            Format::Mp3 => ("audio/mpeg", Audio, "mp3"),
            Format::M4a => ("audio/mp4", Audio, "m4a"),
            Format::Ogg => ("audio/ogg", Audio, "ogg"),
            Format::Wav => ("audio/wav", Audio, "wav"),
            Format::Mp4 => ("video/mp4", Video, "mp4"),
            Format::Mov => ("video/quicktime", Video, "mov"),
            Format::WebM => ("video/webm", Video, "webm"),
            Format::Pdf => ("application/pdf", Document, "pdf"),
        };
        Sniffed {
            format: self,
            mime,
            kind,
            extension,
        }
    }
}

/// Tells the real type of a file from its first bytes (up to [`SNIFF_LEN`]).
pub fn sniff(head: &[u8]) -> Result<Sniffed, Unsupported> {
    format_of(head).map(Format::sniffed).ok_or(Unsupported)
}

fn format_of(head: &[u8]) -> Option<Format> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);

    if at(0, &[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some(Format::Gif)
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some(Format::WebP)
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some(Format::Wav)
    } else if at(0, b"OggS") {
        Some(Format::Ogg)
    } else if at(0, b"%PDF-") {
        Some(Format::Pdf)
    } else if at(4, b"ftyp") {
        iso_media(head)
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        ebml_doctype_is_webm(head).then_some(Format::WebM)
    } else if at(0, b"ID3") || is_mpeg_audio_frame(head) {
        Some(Format::Mp3)
    } else {
        None
    }
}

// HEIF and AVIF share the ftyp box with MP4 but keep their pictures (and
// EXIF) in `meta` items, which the MP4 stripper blanks; they must not pass as
// video.
const STILL_IMAGE_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
    b"crx ", b"jp2 ", b"jpx ",
];
const MP4_BRANDS: &[&[u8; 4]] = &[
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash",
    b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"XAVC", b"MSNV", b"mmp4", b"3gp4", b"3gp5", b"3gp6",
    b"3g2a",
];
const M4A_BRANDS: &[&[u8; 4]] = &[b"M4A ", b"M4B "];
const QUICKTIME_BRAND: &[u8; 4] = b"qt  ";

/// Picks MP4, MOV or M4A from an `ftyp` box's major brand, falling back to
/// its compatible brands when the major one is a camera maker's own.
fn iso_media(head: &[u8]) -> Option<Format> {
    let declared = head
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)?;
    // Never read past the ftyp box itself, nor past what we were given.
    let end = usize::try_from(declared).ok()?.min(head.len());
    let major: &[u8; 4] = head.get(8..12)?.try_into().ok()?;
    let compatible = head.get(16..end).unwrap_or_default().chunks_exact(4);

    let of_brand = |brand: &[u8; 4]| {
        if M4A_BRANDS.contains(&brand) {
            Some(Format::M4a)
        } else if brand == QUICKTIME_BRAND {
            Some(Format::Mov)
        } else if MP4_BRANDS.contains(&brand) {
            Some(Format::Mp4)
        } else {
            None
        }
    };

    if STILL_IMAGE_BRANDS.contains(&major) {
        return None;
    }
    if let Some(format) = of_brand(major) {
        return Some(format);
    }
    let mut brands = compatible.filter_map(|b| <&[u8; 4]>::try_from(b).ok());
    if brands.clone().any(|b| STILL_IMAGE_BRANDS.contains(&b)) {
        return None;
    }
    brands.find_map(of_brand)
}

/// Reads the EBML header's DocType: WebM and Matroska share the same magic,
/// and only WebM is accepted.
fn ebml_doctype_is_webm(head: &[u8]) -> bool {
    const DOCTYPE: u32 = 0x4282;
    let Some((_, header_size_len)) = vint(head.get(4..).unwrap_or_default()) else {
        return false;
    };
    // The header's own size may be "unknown"; the children are read until the
    // bytes we have run out either way.
    let mut rest = head.get(4 + header_size_len..).unwrap_or_default();
    while let Some((id, id_len)) = element_id(rest) {
        let Some((size, size_len)) = rest.get(id_len..).and_then(vint) else {
            return false;
        };
        let body_start = id_len + size_len;
        let Some(body_end) = usize::try_from(size)
            .ok()
            .and_then(|s| body_start.checked_add(s))
        else {
            return false;
        };
        if id == DOCTYPE {
            return rest.get(body_start..body_end) == Some(b"webm");
        }
        match rest.get(body_end..) {
            Some(next) => rest = next,
            None => return false,
        }
    }
    false
}

/// An EBML element ID: a variable-length integer kept with its length marker.
fn element_id(bytes: &[u8]) -> Option<(u32, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return None;
    }
    let id = bytes
        .get(..len)?
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Some((id, len))
}

/// An EBML variable-length size with its length marker removed.
fn vint(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let marker_free = u64::from(first) & (0xFF >> len);
    let value = bytes
        .get(1..len)?
        .iter()
        .fold(marker_free, |acc, &b| (acc << 8) | u64::from(b));
    Some((value, len))
}

/// An MPEG-1/2 audio frame header with sane fields, so that random bytes
/// starting with 0xFF do not pass as MP3; AAC's ADTS (layer bits 00) does not.
fn is_mpeg_audio_frame(head: &[u8]) -> bool {
    let Some(&[b0, b1, b2, ..]) = head.get(..3) else {
        return false;
    };
    let sync = b0 == 0xFF && b1 & 0xE0 == 0xE0;
    let version_ok = (b1 >> 3) & 0b11 != 0b01;
    let layer_ok = (b1 >> 1) & 0b11 != 0b00;
    let bitrate_ok = b2 >> 4 != 0b1111;
    let sample_rate_ok = (b2 >> 2) & 0b11 != 0b11;
    sync && version_ok && layer_ok && bitrate_ok && sample_rate_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(bytes: &[u8]) -> Result<Format, Unsupported> {
        sniff(bytes).map(|s| s.format)
    }

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = (size as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&0u32.to_be_bytes());
        for brand in compatible {
            b.extend_from_slice(*brand);
        }
        b.extend_from_slice(b"\0\0\0\x08free");
        b
    }

    fn ebml(doctype: &[u8]) -> Vec<u8> {
        let mut children = vec![0x42, 0x86, 0x81, 0x01]; // EBMLVersion 1
        children.extend_from_slice(&[0x42, 0x82, 0x80 | doctype.len() as u8]);
        children.extend_from_slice(doctype);
        let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80 | children.len() as u8];
        b.extend_from_slice(&children);
        b.extend_from_slice(&[0x18, 0x53, 0x80, 0x67]); // Segment follows
        b
    }

    #[test]
    fn images_are_told_by_their_magic_numbers() {
        assert_eq!(format(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), Ok(Format::Jpeg));
        assert_eq!(format(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(Format::Png));
        assert_eq!(format(b"RIFF\x24\0\0\0WEBPVP8 "), Ok(Format::WebP));
        assert_eq!(format(b"GIF89a\x01\0\x01\0"), Ok(Format::Gif));
        assert_eq!(format(b"GIF87a\x01\0\x01\0"), Ok(Format::Gif));
    }

    #[test]
    fn a_jpeg_header_followed_by_garbage_is_still_a_jpeg() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1];
        bytes.extend((0..400u32).map(|i| (i * 7919 % 251) as u8));
        let sniffed = sniff(&bytes).expect("jpeg");
        assert_eq!(sniffed.mime, "image/jpeg");
        assert_eq!(sniffed.kind, MediaKind::Image);
        assert_eq!(sniffed.extension, "jpg");
    }

    #[test]
    fn audio_is_told_by_tag_frame_sync_or_container() {
        assert_eq!(format(b"ID3\x04\0\0\0\0\x01\x00TXXX"), Ok(Format::Mp3));
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz.
        assert_eq!(format(&[0xFF, 0xFB, 0x90, 0x64, 0, 0]), Ok(Format::Mp3));
        assert_eq!(
            format(&ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"])),
            Ok(Format::M4a)
        );
        assert_eq!(format(b"OggS\0\x02\0\0\0\0\0\0\0\0"), Ok(Format::Ogg));
        assert_eq!(format(b"RIFF\x24\0\0\0WAVEfmt "), Ok(Format::Wav));
        for f in [Format::Mp3, Format::M4a, Format::Ogg, Format::Wav] {
            assert_eq!(f.sniffed().kind, MediaKind::Audio);
        }
    }

    #[test]
    fn video_is_told_by_ftyp_brand_or_ebml_doctype() {
        assert_eq!(format(&ftyp(b"isom", &[b"isom", b"avc1"])), Ok(Format::Mp4));
        assert_eq!(format(&ftyp(b"mp42", &[b"mp41"])), Ok(Format::Mp4));
        assert_eq!(format(&ftyp(b"qt  ", &[b"qt  "])), Ok(Format::Mov));
        // A camera maker's own major brand, recognised by a compatible one.
        assert_eq!(format(&ftyp(b"ABCD", &[b"ABCD", b"iso6"])), Ok(Format::Mp4));
        assert_eq!(format(&ebml(b"webm")), Ok(Format::WebM));
        for f in [Format::Mp4, Format::Mov, Format::WebM] {
            assert_eq!(f.sniffed().kind, MediaKind::Video);
        }
    }

    #[test]
    fn pdf_is_a_document() {
        let sniffed = sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n").expect("pdf");
        assert_eq!(sniffed.format, Format::Pdf);
        assert_eq!(sniffed.kind, MediaKind::Document);
        assert_eq!(sniffed.mime, "application/pdf");
    }

    #[test]
    fn an_html_page_named_photo_jpg_is_unsupported() {
        assert_eq!(
            sniff(b"<!DOCTYPE html><html><script>alert(1)</script>"),
            Err(Unsupported)
        );
    }

    #[test]
    fn other_formats_and_text_are_unsupported() {
        let cases: &[&[u8]] = &[
            b"",
            b"\xFF",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"PK\x03\x04\x14\0\0\0\x08\0",
            b"\x7FELF\x02\x01\x01\0",
            b"MZ\x90\0\x03\0\0\0",
            b"#!/bin/sh\nrm -rf /\n",
            b"just some plain text that someone called story.mp3",
            b"RIFF\x24\0\0\0AVI LIST",
            // AAC in ADTS: frame sync but layer bits 00.
            &[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F],
        ];
        for case in cases {
            assert_eq!(
                sniff(case),
                Err(Unsupported),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn heif_avif_and_matroska_are_not_mistaken_for_accepted_formats() {
        assert_eq!(
            format(&ftyp(b"heic", &[b"mif1", b"heic"])),
            Err(Unsupported)
        );
        assert_eq!(
            format(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf"])),
            Err(Unsupported)
        );
        assert_eq!(
            format(&ftyp(b"ABCD", &[b"mif1", b"iso8"])),
            Err(Unsupported)
        );
        assert_eq!(format(&ebml(b"matroska")), Err(Unsupported));
    }

    #[test]
    fn truncated_headers_are_unsupported_not_a_panic() {
        assert_eq!(format(b"\0\0\0\x20ftyp"), Err(Unsupported));
        assert_eq!(format(b"\xFF\xFF\xFF\xFFftypisom"), Ok(Format::Mp4));
        assert_eq!(format(&[0x1A, 0x45, 0xDF, 0xA3]), Err(Unsupported));
        assert_eq!(format(&[0x1A, 0x45, 0xDF, 0xA3, 0x00]), Err(Unsupported));
        assert_eq!(
            format(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x88]),
            Err(Unsupported)
        );
        assert_eq!(format(b"RIFF"), Err(Unsupported));
    }
}
