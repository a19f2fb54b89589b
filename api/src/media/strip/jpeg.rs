//! JPEG: keep only the segments needed to show the picture.
//!
//! EXIF (APP1) holds GPS and a thumbnail of the uncropped photo, XMP (APP1)
//! and IPTC (APP13) hold names, places and edit history, comments hold
//! anything, MPF (APP2) points at extra pictures appended after the image. So
//! this is an allow-list: the decoding tables and frame/scan headers, JFIF
//! (without its optional thumbnail), the ICC colour profile and the Adobe
//! colour-transform flag. Everything after the end-of-image marker goes too.
//!
//! `img-parts` splits the header segments losslessly; it keeps everything
//! from the first scan on as one opaque blob, which for progressive JPEGs
//! still holds segments between scans, so that part is walked here.

use std::io::Cursor;

use image::{
    DynamicImage, ImageEncoder, ImageFormat, ImageReader, codecs::jpeg::JpegEncoder,
    metadata::Orientation,
};
use img_parts::{
    Bytes, ImageICC,
    jpeg::{Jpeg, JpegSegment, markers},
};

use super::{StripError, exif};

/// Re-encoding quality for pictures that had to be turned upright: visually
/// lossless for photos, at a modest size.
const REENCODE_QUALITY: u8 = 90;

const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const JFIF_PREFIX: &[u8] = b"JFIF\0";
/// Identifier, version, units and densities: JFIF up to its thumbnail size.
const JFIF_LEN_WITHOUT_THUMBNAIL: usize = 12;
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";
const ADOBE_PREFIX: &[u8] = b"Adobe";
/// Identifier, version, two flag words and the colour transform.
const ADOBE_LEN: usize = 12;

/// Returns the cleaned JPEG and whether it had to be re-encoded upright.
pub(super) fn clean(input: Bytes) -> Result<(Bytes, bool), StripError> {
    let jpeg = Jpeg::from_bytes(input.clone())?;
    let orientation = jpeg
        .segments()
        .iter()
        .find(|s| s.marker() == markers::APP1 && s.contents().starts_with(EXIF_PREFIX))
        .map_or(exif::UPRIGHT, |s| {
            exif::orientation(&s.contents()[EXIF_PREFIX.len()..])
        });

    if orientation == exif::UPRIGHT {
        return Ok((clean_segments(jpeg, &input)?, false));
    }
    let upright = Bytes::from(reencode_upright(&input, orientation, jpeg.icc_profile())?);
    // The encoder writes no metadata, but the same filter costs little and
    // keeps the guarantee in one place.
    let reparsed = Jpeg::from_bytes(upright.clone())?;
    Ok((clean_segments(reparsed, &upright)?, true))
}

/// Rebuilds `jpeg` (parsed from `input`) from the allowed segments only.
fn clean_segments(mut jpeg: Jpeg, input: &Bytes) -> Result<Bytes, StripError> {
    let mut kept = Vec::with_capacity(jpeg.segments().len());
    let mut has_frame = false;
    let mut first_scan = None;
    for segment in jpeg.segments() {
        if segment.marker() == markers::SOS {
            first_scan = Some(segment);
            break;
        }
        if let Some(contents) = allowed_contents(segment.marker(), segment.contents()) {
            has_frame |= is_frame_header(segment.marker());
            kept.push(JpegSegment::new_with_contents(segment.marker(), contents));
        }
    }
    let (Some(scan), true) = (first_scan, has_frame) else {
        return Err(StripError::malformed("JPEG without a frame and scan"));
    };

    // img-parts keeps the rest of the file after the first scan header as the
    // scan's "entropy"; it is exactly the tail of the input.
    let tail_len = scan.len_with_entropy() - scan.len();
    let tail = input.slice(input.len() - tail_len..);
    let tail = clean_after_first_scan_header(&tail)?;
    kept.push(JpegSegment::new_with_entropy(
        markers::SOS,
        scan.contents().clone(),
        Bytes::from(tail),
    ));

    *jpeg.segments_mut() = kept;
    Ok(jpeg.encoder().bytes())
}

/// The contents to keep for a segment, or `None` to drop it.
fn allowed_contents(marker: u8, contents: &Bytes) -> Option<Bytes> {
    match marker {
        markers::APP0 if contents.starts_with(JFIF_PREFIX) => contents
            .get(..JFIF_LEN_WITHOUT_THUMBNAIL)
            .map(|head| [head, &[0, 0]].concat().into()),
        markers::APP2 if contents.starts_with(ICC_PREFIX) => Some(contents.clone()),
        markers::APP14 if contents.starts_with(ADOBE_PREFIX) => {
            Some(contents.slice(..contents.len().min(ADOBE_LEN)))
        }
        // DHT (C4) and DAC (CC) sit among the frame headers; C8 is reserved.
        markers::SOF0..=markers::SOF15 if marker != markers::JPG => Some(contents.clone()),
        markers::DQT | markers::DNL | markers::DRI | markers::DHP | markers::EXP => {
            Some(contents.clone())
        }
        _ => None,
    }
}

fn is_frame_header(marker: u8) -> bool {
    matches!(
        marker,
        markers::SOF0..=markers::SOF3
            | markers::SOF5..=markers::SOF7
            | markers::SOF9..=markers::SOF11
            | markers::SOF13..=markers::SOF15
    )
}

/// Copies compressed data and later scans, filtering the segments between
/// scans through the same allow-list, and stops at the end-of-image marker.
fn clean_after_first_scan_header(data: &[u8]) -> Result<Vec<u8>, StripError> {
    let truncated = || StripError::malformed("JPEG segment runs past the end of the file");
    let mut out = Vec::with_capacity(data.len());
    let mut pos = 0;
    loop {
        let Some(at) = next_marker(data, pos) else {
            // A file cut short in its last scan: what is there still decodes.
            out.extend_from_slice(&data[pos..]);
            out.extend_from_slice(&[markers::P, markers::EOI]);
            return Ok(out);
        };
        out.extend_from_slice(&data[pos..at]);
        let marker = data[at + 1];
        if marker == markers::EOI {
            out.extend_from_slice(&[markers::P, markers::EOI]);
            return Ok(out);
        }
        if !has_length(marker) {
            // A stray SOI or reserved marker carries nothing a decoder needs.
            pos = at + 2;
            continue;
        }
        let len_bytes: [u8; 2] = data
            .get(at + 2..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(truncated)?;
        let len = usize::from(u16::from_be_bytes(len_bytes));
        let end = at + 2 + len;
        let contents = data
            .get(at + 4..end)
            .filter(|_| len >= 2)
            .ok_or_else(truncated)?;
        if marker == markers::SOS {
            out.extend_from_slice(&data[at..end]);
        } else if let Some(kept) = allowed_contents(marker, &Bytes::copy_from_slice(contents)) {
            // Kept contents are never longer than the original, so they fit.
            let kept_len = u16::try_from(kept.len() + 2).map_err(|_| truncated())?;
            out.extend_from_slice(&[markers::P, marker]);
            out.extend_from_slice(&kept_len.to_be_bytes());
            out.extend_from_slice(&kept);
        }
        pos = end;
    }
}

/// The position of the next real marker at or after `from`: a 0xFF that is
/// not byte stuffing (FF00), a restart marker (FFD0–FFD7) or a fill byte.
fn next_marker(data: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    loop {
        let at = pos + data.get(pos..)?.iter().position(|&b| b == markers::P)?;
        match *data.get(at + 1)? {
            markers::Z | markers::RST0..=markers::RST7 => pos = at + 2,
            markers::P => pos = at + 1,
            _ => return Some(at),
        }
    }
}

fn has_length(marker: u8) -> bool {
    // TEM (01) and the reserved 02–BF are, like RSTn, SOI and EOI, bare markers.
    !matches!(
        marker,
        0x01..=0xBF | markers::RST0..=markers::RST7 | markers::SOI | markers::EOI
    )
}

/// Decodes, turns the pixels as EXIF `orientation` says and encodes again;
/// the result carries no metadata but the colour profile.
fn reencode_upright(
    input: &[u8],
    orientation: u8,
    icc: Option<Bytes>,
) -> Result<Vec<u8>, StripError> {
    // Default limits cap the decoder's allocations, so a tiny file declaring
    // a gigapixel frame fails instead of exhausting memory.
    let mut picture = ImageReader::with_format(Cursor::new(input), ImageFormat::Jpeg).decode()?;
    if let Some(orientation) = Orientation::from_exif(orientation) {
        picture.apply_orientation(orientation);
    }
    // JPEG holds 8-bit grey or colour only.
    let picture = match picture {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => picture,
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };

    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, REENCODE_QUALITY);
    if let Some(icc) = icc.filter(|icc| profile_fits(icc, &picture)) {
        // A profile the encoder refuses only costs colour accuracy.
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    picture.write_with_encoder(encoder)?;
    Ok(out)
}

/// The decoder turns CMYK into RGB, so a CMYK profile would now lie about the
/// pixels; keep a profile only for the colour space actually written.
fn profile_fits(icc: &[u8], picture: &DynamicImage) -> bool {
    let wanted: &[u8] = if picture.color().has_color() {
        b"RGB "
    } else {
        b"GRAY"
    };
    icc.get(16..20) == Some(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_data_with_stuffing_and_restarts_is_copied_verbatim() {
        let tail = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD9];
        let cleaned = clean_after_first_scan_header(&tail).expect("clean");
        assert_eq!(cleaned, tail);
    }

    #[test]
    fn segments_between_scans_are_filtered_and_trailing_data_dropped() {
        let mut tail = vec![0xAA, 0xBB];
        tail.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x07]);
        tail.extend_from_slice(b"hello");
        tail.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x03, 0x01]);
        tail.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 0x02, 0xCC]);
        tail.extend_from_slice(&[0xFF, 0xD9]);
        tail.extend_from_slice(b"\xFF\xD8\xFF\xE1appended picture");
        let cleaned = clean_after_first_scan_header(&tail).expect("clean");
        assert_eq!(
            cleaned,
            [
                0xAA, 0xBB, 0xFF, 0xC4, 0x00, 0x03, 0x01, 0xFF, 0xDA, 0x00, 0x03, 0x02, 0xCC, 0xFF,
                0xD9
            ]
        );
    }

    #[test]
    fn jfif_keeps_its_header_but_not_its_thumbnail() {
        let mut jfif = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48\x02\x01".to_vec();
        jfif.extend_from_slice(&[0x10; 6]);
        let kept = allowed_contents(markers::APP0, &Bytes::from(jfif)).expect("kept");
        assert_eq!(&kept[..], b"JFIF\0\x01\x02\x00\x00\x48\x00\x48\x00\x00");
        assert!(allowed_contents(markers::APP0, &Bytes::from_static(b"JFXX\0\x10")).is_none());
    }
}
