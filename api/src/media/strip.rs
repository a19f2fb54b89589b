//! Removing metadata from an upload before anything is stored.
//!
//! A photo's EXIF block can hold the GPS position where it was taken and a
//! thumbnail of the uncropped original; a video's `udta` box can hold the
//! place it was filmed; an MP3's tags can name the person who recorded it. For
//! a refugee any of these can be dangerous, so [`strip_file`] writes a copy of
//! the upload with them removed, and says plainly when a format cannot be
//! cleaned yet ([`StripOutcome::NotCleanable`]: such files are stored private
//! and flagged for an editor).
//!
//! Images are cleaned in memory (the intake size limit bounds them, and an
//! upright re-encode has to decode them anyway, see [`MAX_IMAGE_BYTES`]);
//! audio and video are streamed or patched in place, never loaded whole.
//! One file per format lives under `strip/`.

mod exif;
mod gif;
mod jpeg;
mod mp3;
mod mp4;
mod png;
mod webp;

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufReader, BufWriter, Read, Write},
    path::Path,
};

use img_parts::Bytes;

use super::sniff::{Format, Sniffed};

/// The largest image cleaned in memory; the intake limit for images should be
/// at most this. Larger files are refused rather than risking the memory of a
/// small server.
pub const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// What [`strip_file`] could do with a file; in every case the destination
/// holds the file to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripOutcome {
    /// Metadata removed without touching the picture or sound.
    Cleaned,
    /// A JPEG whose EXIF orientation was applied by decoding, turning and
    /// encoding it again, so it stays upright without the EXIF block.
    CleanedReencoded,
    /// The format (or this file's content, such as an MP4 with a GPS
    /// telemetry track) cannot be cleaned yet: the destination is a copy with
    /// whatever could be removed removed, to be stored private and flagged.
    NotCleanable,
}

/// Why a file could not be cleaned; the upload must then be refused.
#[derive(Debug, thiserror::Error)]
pub enum StripError {
    #[error("the file is damaged or not what it claims to be: {0}")]
    Malformed(String),
    #[error("the image is larger than the {limit} bytes that can be cleaned")]
    TooLarge { limit: u64 },
    #[error("the image could not be turned upright: {0}")]
    Image(#[from] image::ImageError),
    #[error("source and destination are the same file")]
    SamePath,
    #[error("reading or writing the file failed: {0}")]
    Io(#[from] io::Error),
}

impl StripError {
    fn malformed(reason: impl Into<String>) -> Self {
        StripError::Malformed(reason.into())
    }
}

impl From<img_parts::Error> for StripError {
    fn from(err: img_parts::Error) -> Self {
        StripError::malformed(err.to_string())
    }
}

impl From<StripError> for crate::error::Error {
    fn from(err: StripError) -> Self {
        match err {
            StripError::Io(_) | StripError::SamePath => crate::error::Error::internal(err),
            client_fault => crate::error::Error::invalid("file", client_fault.to_string()),
        }
    }
}

/// Writes to `dst` a copy of `src` with its metadata removed, following the
/// format `sniffed` from its bytes. `dst` is created or overwritten, and
/// removed again on error so a half-cleaned file can never be stored.
pub fn strip_file(sniffed: &Sniffed, src: &Path, dst: &Path) -> Result<StripOutcome, StripError> {
    if is_same_file(src, dst) {
        // Copying a file onto itself truncates it.
        return Err(StripError::SamePath);
    }
    let result = strip_into(sniffed.format, src, dst);
    if result.is_err() {
        // Best effort: the error already says what went wrong, and a leftover
        // file is a bug elsewhere only if someone stores it despite the error.
        let _ = fs::remove_file(dst);
    }
    result
}

fn strip_into(format: Format, src: &Path, dst: &Path) -> Result<StripOutcome, StripError> {
    match format {
        Format::Jpeg => {
            let (cleaned, reencoded) = jpeg::clean(read_image(src)?)?;
            fs::write(dst, cleaned)?;
            Ok(if reencoded {
                StripOutcome::CleanedReencoded
            } else {
                StripOutcome::Cleaned
            })
        }
        Format::Png => {
            fs::write(dst, png::clean(read_image(src)?)?)?;
            Ok(StripOutcome::Cleaned)
        }
        Format::WebP => {
            fs::write(dst, webp::clean(read_image(src)?)?)?;
            Ok(StripOutcome::Cleaned)
        }
        Format::Gif => {
            let src = BufReader::new(File::open(src)?);
            let mut dst = BufWriter::new(File::create(dst)?);
            gif::clean(src, &mut dst)?;
            dst.flush()?;
            Ok(StripOutcome::Cleaned)
        }
        Format::Mp3 => {
            let mut src = File::open(src)?;
            let mut dst = BufWriter::new(File::create(dst)?);
            mp3::clean(&mut src, &mut dst)?;
            dst.flush()?;
            Ok(StripOutcome::Cleaned)
        }
        Format::Mp4 | Format::Mov | Format::M4a => {
            // Boxes are blanked where they lie, so chunk offsets stay valid.
            fs::copy(src, dst)?;
            let mut file = OpenOptions::new().read(true).write(true).open(dst)?;
            let outcome = mp4::clean_in_place(&mut file)?;
            file.flush()?;
            Ok(outcome)
        }
        // Ogg comment headers, WAV LIST/INFO chunks, Matroska tags and PDF
        // document info can all carry names and places; none is removed yet.
        // WAV's LIST chunks would be the easy next step.
        Format::Ogg | Format::Wav | Format::WebM | Format::Pdf => {
            fs::copy(src, dst)?;
            Ok(StripOutcome::NotCleanable)
        }
    }
}

fn read_image(path: &Path) -> Result<Bytes, StripError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_IMAGE_BYTES {
        return Err(StripError::TooLarge {
            limit: MAX_IMAGE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The length may change while the file is read; the limit must hold anyway.
    file.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(StripError::TooLarge {
            limit: MAX_IMAGE_BYTES,
        });
    }
    Ok(Bytes::from(bytes))
}

fn is_same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// [`strip_file`] on bytes in memory: the fuzz harness (`api::fuzzing`) calls
/// every stripper this way, without a file per input.
#[cfg(any(test, feature = "test-fixtures"))]
pub fn strip_bytes(format: Format, input: &[u8]) -> Result<(StripOutcome, Vec<u8>), StripError> {
    let image = || Bytes::copy_from_slice(input);
    match format {
        Format::Jpeg => {
            let (cleaned, reencoded) = jpeg::clean(image())?;
            let outcome = if reencoded {
                StripOutcome::CleanedReencoded
            } else {
                StripOutcome::Cleaned
            };
            Ok((outcome, cleaned.to_vec()))
        }
        Format::Png => Ok((StripOutcome::Cleaned, png::clean(image())?.to_vec())),
        Format::WebP => Ok((StripOutcome::Cleaned, webp::clean(image())?.to_vec())),
        Format::Gif => {
            let mut out = Vec::new();
            gif::clean(input, &mut out)?;
            Ok((StripOutcome::Cleaned, out))
        }
        Format::Mp3 => {
            let mut out = Vec::new();
            mp3::clean(&mut io::Cursor::new(input), &mut out)?;
            Ok((StripOutcome::Cleaned, out))
        }
        Format::Mp4 | Format::Mov | Format::M4a => {
            let mut file = io::Cursor::new(input.to_vec());
            let outcome = mp4::clean_in_place(&mut file)?;
            Ok((outcome, file.into_inner()))
        }
        Format::Ogg | Format::Wav | Format::WebM | Format::Pdf => {
            Ok((StripOutcome::NotCleanable, input.to_vec()))
        }
    }
}

/// The EXIF orientation in a TIFF block, for the fuzz harness.
#[cfg(any(test, feature = "test-fixtures"))]
pub fn exif_orientation(tiff: &[u8]) -> u8 {
    exif::orientation(tiff)
}

/// Files with known metadata, built in code; for this crate's tests and, with
/// the `test-fixtures` feature, the integration tests.
#[cfg(any(test, feature = "test-fixtures"))]
pub mod fixtures;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use image::{GenericImageView, ImageFormat};
    use img_parts::{
        ImageICC,
        jpeg::{Jpeg, markers},
        png::Png,
        webp::{CHUNK_EXIF, CHUNK_ICCP, CHUNK_XMP, WebP},
    };

    use super::{fixtures::*, *};
    use crate::media::sniff::{self, Format};

    /// Writes `bytes` as an upload, strips it by its sniffed type and
    /// returns the outcome and the stored bytes.
    fn strip(bytes: &[u8]) -> (StripOutcome, Vec<u8>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (src, dst) = paths(&dir);
        fs::write(&src, bytes).expect("write upload");
        let sniffed = sniff::sniff(bytes).expect("sniff");
        let outcome = strip_file(&sniffed, &src, &dst).expect("strip");
        (outcome, fs::read(&dst).expect("read stripped"))
    }

    fn paths(dir: &tempfile::TempDir) -> (PathBuf, PathBuf) {
        (dir.path().join("upload"), dir.path().join("stripped"))
    }

    fn decode(bytes: &[u8], format: ImageFormat) -> image::DynamicImage {
        image::load_from_memory_with_format(bytes, format).expect("still decodes")
    }

    #[test]
    fn jpeg_loses_exif_gps_thumbnail_xmp_iptc_and_comments_and_stays_upright() {
        let original = jpeg_with_metadata(6);
        assert!(
            contains(&original, &rational_bytes(GPS_LATITUDE)),
            "fixture"
        );

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::CleanedReencoded);
        let jpeg = Jpeg::from_bytes(stripped.clone().into()).expect("parses");
        for marker in [markers::APP1, markers::APP13, markers::COM] {
            assert!(
                jpeg.segment_by_marker(marker).is_none(),
                "marker {marker:#X} left"
            );
        }
        for secret in [
            b"Exif".as_slice(),
            &rational_bytes(GPS_LATITUDE),
            &rational_bytes(GPS_LONGITUDE),
            b"http://ns.adobe.com/xap",
            COMMENT.as_bytes(),
            IPTC_CITY.as_bytes(),
            b"Photoshop",
        ] {
            assert!(
                !contains(&stripped, secret),
                "{:?} left",
                String::from_utf8_lossy(secret)
            );
        }
        // Only the main picture's start-of-image: the thumbnail is gone.
        assert_eq!(
            stripped
                .windows(3)
                .filter(|w| w == &[0xFF, 0xD8, 0xFF])
                .count(),
            1
        );

        let picture = decode(&stripped, ImageFormat::Jpeg);
        assert_eq!(picture.dimensions(), (32, 48), "orientation 6 applied");
        // Turned 90° clockwise, the red top-left quarter is now top-right.
        let [r, _, b, _] = picture.get_pixel(28, 4).0;
        assert!(r > 200 && b < 60, "top-right is red after the turn");
        let [r, _, b, _] = picture.get_pixel(4, 4).0;
        assert!(r < 60 && b > 200, "top-left is blue after the turn");
    }

    #[test]
    fn upright_jpeg_is_cleaned_without_touching_the_compressed_picture() {
        let original = with_icc_profile(jpeg_with_metadata(1));
        // The last scan header: the EXIF thumbnail has a scan of its own.
        let scan = |bytes: &[u8]| {
            let sos = bytes
                .windows(2)
                .rposition(|w| w == [0xFF, markers::SOS])
                .expect("SOS");
            bytes[sos..].to_vec()
        };

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        assert_eq!(
            scan(&stripped),
            scan(&original),
            "scan data copied bit for bit"
        );
        assert!(!contains(&stripped, b"Exif"));
        assert!(!contains(&stripped, &rational_bytes(GPS_LATITUDE)));
        assert!(!contains(&stripped, COMMENT.as_bytes()));
        let jpeg = Jpeg::from_bytes(stripped.clone().into()).expect("parses");
        assert_eq!(
            jpeg.icc_profile(),
            Some(fake_rgb_icc_profile()),
            "colour profile kept"
        );
        assert!(jpeg.segment_by_marker(markers::APP0).is_some(), "JFIF kept");
        assert_eq!(decode(&stripped, ImageFormat::Jpeg).dimensions(), (48, 32));
    }

    #[test]
    fn png_loses_text_xmp_exif_and_time_chunks_with_pixels_unchanged() {
        let original = png_with_metadata();

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        let png = Png::from_bytes(stripped.clone().into()).expect("parses");
        for kind in [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"] {
            assert!(png.chunk_by_type(*kind).is_none(), "{kind:?} left");
        }
        assert!(
            png.chunk_by_type(*b"gAMA").is_some(),
            "rendering chunk kept"
        );
        for secret in [
            LOCATION.as_bytes(),
            b"http://ns.adobe.com/xap",
            COMMENT.as_bytes(),
        ] {
            assert!(!contains(&stripped, secret));
        }
        assert_eq!(
            decode(&stripped, ImageFormat::Png).to_rgba8(),
            decode(&original, ImageFormat::Png).to_rgba8()
        );
    }

    #[test]
    fn webp_loses_exif_and_xmp_but_keeps_its_colour_profile_and_pixels() {
        let original = webp_with_metadata();

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        let webp = WebP::from_bytes(stripped.clone().into()).expect("parses");
        assert!(!webp.has_chunk(CHUNK_EXIF) && !webp.has_chunk(CHUNK_XMP));
        assert!(webp.has_chunk(CHUNK_ICCP));
        assert!(!contains(&stripped, &rational_bytes(GPS_LATITUDE)));
        assert!(!contains(&stripped, b"http://ns.adobe.com/xap"));
        assert_eq!(
            decode(&stripped, ImageFormat::WebP).to_rgba8(),
            decode(&original, ImageFormat::WebP).to_rgba8()
        );
    }

    #[test]
    fn gif_loses_comments_and_xmp_but_keeps_looping_and_pixels() {
        let original = gif_with_metadata();

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        assert!(!contains(&stripped, COMMENT.as_bytes()));
        assert!(!contains(&stripped, b"XMP DataXMP"));
        assert!(!contains(&stripped, b"http://ns.adobe.com/xap"));
        assert!(contains(&stripped, b"NETSCAPE2.0"));
        assert_eq!(
            decode(&stripped, ImageFormat::Gif).to_rgba8(),
            decode(&original, ImageFormat::Gif).to_rgba8()
        );
    }

    #[test]
    fn mp4_metadata_boxes_become_free_space_and_nothing_moves() {
        let original = mp4_with_metadata(b"vide");
        assert!(contains(&original, LOCATION.as_bytes()), "fixture");
        let mdat_payload = original.len() - MDAT_PAYLOAD.len();

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        assert_eq!(stripped.len(), original.len());
        for secret in [
            LOCATION.as_bytes(),
            b"Amina",
            b"2025-05-17",
            b"http://ns.adobe.com/xap",
            PREVIEW,
            b"udta",
            b"meta",
            b"uuid",
        ] {
            assert!(
                !contains(&stripped, secret),
                "{:?} left",
                String::from_utf8_lossy(secret)
            );
        }
        assert_eq!(
            &stripped[mdat_payload..],
            MDAT_PAYLOAD,
            "mdat payload in place"
        );

        let before = mp4_tree(&original);
        let after = mp4_tree(&stripped);
        assert_eq!(before.len(), after.len());
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(
                (old.0, old.2, old.3),
                (new.0, new.2, new.3),
                "same place and size"
            );
            let blanked = [b"udta", b"meta", b"uuid", b"free", b"PICT"].contains(&&old.1);
            assert_eq!(new.1, if blanked { *b"free" } else { old.1 });
            if blanked {
                let header = 8;
                assert!(
                    stripped[new.2 + header..new.2 + new.3]
                        .iter()
                        .all(|&b| b == 0)
                );
            }
        }
    }

    #[test]
    fn mp4_with_a_telemetry_track_is_cleaned_as_far_as_possible_but_flagged() {
        let (outcome, stripped) = strip(&mp4_with_metadata(b"meta"));

        assert_eq!(outcome, StripOutcome::NotCleanable);
        assert!(!contains(&stripped, LOCATION.as_bytes()));
    }

    #[test]
    fn mp3_loses_id3v2_ape_and_id3v1_tags_with_frames_intact() {
        let frames = mp3_frames();
        let original = [id3v2_tag(), frames.clone(), ape_tag(), id3v1_tag()].concat();

        let (outcome, stripped) = strip(&original);

        assert_eq!(outcome, StripOutcome::Cleaned);
        assert_eq!(stripped, frames);
    }

    #[test]
    fn formats_that_cannot_be_cleaned_yet_are_copied_and_flagged() {
        let wav = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0LIST";
        let (outcome, stored) = strip(wav);
        assert_eq!(outcome, StripOutcome::NotCleanable);
        assert_eq!(stored, wav);
    }

    #[test]
    fn stripping_a_file_onto_itself_is_refused_and_leaves_it_intact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (src, _) = paths(&dir);
        let original = mp4_with_metadata(b"vide");
        fs::write(&src, &original).expect("write");

        let result = strip_file(&Format::Mp4.sniffed(), &src, &src);

        assert!(matches!(result, Err(StripError::SamePath)));
        assert_eq!(fs::read(&src).expect("read"), original);
    }

    #[test]
    fn a_failed_strip_leaves_no_destination_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (src, dst) = paths(&dir);
        fs::write(&src, b"\xFF\xD8\xFF\xE1\x00").expect("write");

        let result = strip_file(&Format::Jpeg.sniffed(), &src, &dst);

        assert!(matches!(result, Err(StripError::Malformed(_))));
        assert!(!dst.exists());
    }

    /// Every prefix of a good file, the good file with its middle scrambled or
    /// single bytes changed, and garbage behind the right magic: an error or
    /// a result, never a panic.
    #[test]
    fn truncated_or_garbage_input_never_panics() {
        const MUTATIONS: usize = 40;
        let garbage: Vec<u8> = (0..600u32).map(|i| (i * 7919 % 253) as u8).collect();
        let cases: [(Format, Vec<u8>); 7] = [
            (Format::Jpeg, jpeg_with_metadata(6)),
            (Format::Jpeg, jpeg_with_metadata(1)),
            (Format::Png, png_with_metadata()),
            (Format::WebP, webp_with_metadata()),
            (Format::Gif, gif_with_metadata()),
            (Format::Mp4, mp4_with_metadata(b"vide")),
            (
                Format::Mp3,
                [id3v2_tag(), mp3_frames(), ape_tag(), id3v1_tag()].concat(),
            ),
        ];
        let dir = tempfile::tempdir().expect("tempdir");
        let (src, dst) = paths(&dir);
        for (format, good) in cases {
            let step = (good.len() / 40).max(1);
            let mut inputs: Vec<Vec<u8>> = (0..good.len())
                .step_by(step)
                .map(|n| good[..n].to_vec())
                .collect();
            let mut scrambled = good.clone();
            let middle = scrambled.len() / 3..scrambled.len() * 2 / 3;
            scrambled[middle.clone()]
                .copy_from_slice(&garbage.repeat(middle.len() / 600 + 1)[..middle.len()]);
            inputs.push(scrambled);
            inputs.push([&good[..16], &garbage].concat());
            // Single corrupted bytes at pseudo-random places, sizes and offsets included.
            let mut seed = good.len() as u64;
            for _ in 0..MUTATIONS {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut mutated = good.clone();
                let at = (seed >> 33) as usize % mutated.len();
                mutated[at] = (seed >> 17) as u8;
                inputs.push(mutated);
            }
            for input in inputs {
                fs::write(&src, &input).expect("write");
                // Any Ok or Err will do; a panic fails the test.
                let _ = strip_file(&format.sniffed(), &src, &dst);
            }
        }
    }
}
