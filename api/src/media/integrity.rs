//! Refusing images that cannot be rendered, before anything is stored.
//!
//! Decoders are lenient by default: a truncated JPEG decodes with its missing
//! part filled flat, and a PNG header may claim any size. Taken in as they
//! are, the first is published damaged and the second makes its render job
//! fail for ever. So intake [`check`]s every image: its size is read from the
//! header and held to a pixel limit before a single pixel buffer is allocated
//! (a decompression bomb is refused at once), and then the whole picture is
//! decoded strictly, within the same memory bounds as a render, so anything
//! accepted can be rendered. Synchronous and CPU-bound: run it on a blocking
//! thread.

use std::{
    fs::File,
    io::{Cursor, Read},
    path::Path,
};

use image::{ImageFormat, ImageReader};
use zune_core::{bytestream::ZCursor, options::DecoderOptions};

use super::{
    renditions::pixels::{MAX_DECODE_BYTES, MAX_SIDE},
    sniff::Format,
    strip::MAX_IMAGE_BYTES,
};

/// The default for `CHORUS_MEDIA_MAX_PIXELS`: 50 megapixels, more than most
/// cameras make, and well inside what one render may allocate.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// The highest pixel limit that can be set: above it a 16-bit RGBA picture
/// would not fit in what a render may allocate ([`MAX_DECODE_BYTES`]).
pub const MAX_MAX_PIXELS: u64 = MAX_DECODE_BYTES / 8;

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImageFault {
    #[error("the image is {width}×{height} pixels; the limit is {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("the image is {width}×{height} pixels; no side may be longer than {MAX_SIDE} pixels")]
    SideTooLong { width: u32, height: u32 },
    #[error("the image is truncated or damaged ({0})")]
    Damaged(String),
    #[error("reading the image failed: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ImageFault> for crate::error::Error {
    fn from(fault: ImageFault) -> Self {
        match fault {
            ImageFault::Io(_) => crate::error::Error::internal(fault),
            ImageFault::TooManyPixels { .. } | ImageFault::SideTooLong { .. } => {
                crate::error::Error::PayloadTooLarge(fault.to_string())
            }
            ImageFault::Damaged(_) => crate::error::Error::invalid("file", fault.to_string()),
        }
    }
}

/// Checks that the image at `path` (of the sniffed `format`) fits
/// `max_pixels` and decodes whole; returns its width and height. Formats that
/// are not images pass unchecked. The file is read whole, as the stripper
/// does next: the intake size limit bounds it.
pub fn check(format: Format, path: &Path, max_pixels: u64) -> Result<(u32, u32), ImageFault> {
    if image_format(format).is_none() {
        return Ok((0, 0));
    }
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_IMAGE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    check_bytes(format, &bytes, max_pixels)
}

/// [`check`] for bytes in memory.
pub fn check_bytes(
    format: Format,
    bytes: &[u8],
    max_pixels: u64,
) -> Result<(u32, u32), ImageFault> {
    let Some(image_format) = image_format(format) else {
        return Ok((0, 0));
    };
    let (width, height) = header_dimensions(bytes, image_format)?;
    fits(width, height, max_pixels)?;
    match format {
        Format::Jpeg => decode_jpeg_strictly(bytes, width, height)?,
        _ => decode(bytes, image_format, width, height)?,
    }
    Ok((width, height))
}

/// Holds a size read from a header to the limits, before any decoding.
pub fn fits(width: u32, height: u32, max_pixels: u64) -> Result<(), ImageFault> {
    if width == 0 || height == 0 {
        return Err(ImageFault::Damaged("it has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ImageFault::TooManyPixels {
            width,
            height,
            limit: max_pixels,
        });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageFault::SideTooLong { width, height });
    }
    Ok(())
}

/// The `image` crate's name for a sniffed image format.
pub fn image_format(format: Format) -> Option<ImageFormat> {
    match format {
        Format::Jpeg => Some(ImageFormat::Jpeg),
        Format::Png => Some(ImageFormat::Png),
        Format::WebP => Some(ImageFormat::WebP),
        Format::Gif => Some(ImageFormat::Gif),
        _ => None,
    }
}

/// The size the header claims; reads headers only, allocates no pixels (and
/// sets no limits, so a forged size is reported as such, not as a failure).
pub fn header_dimensions(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), ImageFault> {
    ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(damaged)
}

/// Decodes the whole picture (a GIF's first frame, as renditions do) and
/// throws it away: only the error matters. The decoder may allocate only what
/// the size in the header justifies: a GIF whose frame claims far more than
/// its 5×3 screen (found by the fuzzer) would otherwise take hundreds of MiB.
fn decode(bytes: &[u8], format: ImageFormat, width: u32, height: u32) -> Result<(), ImageFault> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = limits();
    limits.max_alloc = Some(MAX_DECODE_BYTES.min(alloc_for(width, height)));
    reader.limits(limits);
    reader.decode().map(drop).map_err(damaged)
}

/// The `image` crate decodes JPEG leniently, filling what is missing; zune's
/// strict mode refuses a scan that ends early or holds a stray marker.
fn decode_jpeg_strictly(bytes: &[u8], width: u32, height: u32) -> Result<(), ImageFault> {
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(width as usize)
        .set_max_height(height as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode()
        .map(drop)
        .map_err(|e| ImageFault::Damaged(format!("{e:?}")))
}

/// What decoding a `width`×`height` picture may allocate: 16-bit RGBA, and
/// room for the decoder's own buffers.
fn alloc_for(width: u32, height: u32) -> u64 {
    const BYTES_PER_PIXEL: u64 = 8;
    const SLACK: u64 = 16 * 1024 * 1024;
    u64::from(width) * u64::from(height) * BYTES_PER_PIXEL + SLACK
}

/// The same bounds as a render's decode, so what passes here renders.
fn limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn damaged(err: image::ImageError) -> ImageFault {
    match err {
        image::ImageError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            ImageFault::Io(e)
        }
        other => ImageFault::Damaged(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use image::DynamicImage;

    use super::*;
    use crate::media::strip::fixtures::{
        encode, gif_with_metadata, noise, picture, png_claiming, png_with_metadata, truncated_jpeg,
    };

    fn check_bytes(format: Format, bytes: &[u8]) -> Result<(u32, u32), ImageFault> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(bytes).expect("write");
        let checked = check(format, file.path(), DEFAULT_MAX_PIXELS);
        assert_eq!(
            format!("{checked:?}"),
            format!(
                "{:?}",
                super::check_bytes(format, bytes, DEFAULT_MAX_PIXELS)
            ),
            "the same from a file and from memory"
        );
        checked
    }

    fn noisy(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        encode(DynamicImage::ImageRgb8(noise(width, height)), format)
    }

    #[test]
    fn whole_images_pass_with_their_size() {
        let jpeg = noisy(64, 40, ImageFormat::Jpeg);
        assert_eq!(check_bytes(Format::Jpeg, &jpeg).expect("jpeg"), (64, 40));
        assert_eq!(
            check_bytes(Format::Png, &png_with_metadata()).expect("png"),
            (5, 3)
        );
        let webp = noisy(30, 20, ImageFormat::WebP);
        assert_eq!(check_bytes(Format::WebP, &webp).expect("webp"), (30, 20));
        assert!(check_bytes(Format::Gif, &gif_with_metadata()).is_ok());
        let small = encode(DynamicImage::ImageRgb8(picture(9, 7)), ImageFormat::Jpeg);
        assert_eq!(check_bytes(Format::Jpeg, &small).expect("small"), (9, 7));
    }

    #[test]
    fn truncated_images_are_damaged() {
        let result = check_bytes(Format::Jpeg, &truncated_jpeg());
        assert!(matches!(result, Err(ImageFault::Damaged(_))), "{result:?}");
        for format in [Format::Jpeg, Format::Png, Format::WebP, Format::Gif] {
            let Some(image_format) = image_format(format) else {
                unreachable!("an image format")
            };
            let whole = noisy(64, 64, image_format);
            for keep in [50, 80, 95] {
                let result = check_bytes(format, &whole[..whole.len() * keep / 100]);
                assert!(
                    matches!(result, Err(ImageFault::Damaged(_))),
                    "{format:?} cut to {keep}%: {result:?}"
                );
            }
        }
    }

    #[test]
    fn a_forged_header_is_refused_by_its_claimed_size() {
        let bomb = png_claiming(30_000, 30_000);
        assert!(bomb.len() < 1024, "{} bytes", bomb.len());
        let result = check_bytes(Format::Png, &bomb);
        assert!(
            matches!(
                result,
                Err(ImageFault::TooManyPixels {
                    width: 30_000,
                    height: 30_000,
                    ..
                })
            ),
            "{result:?}"
        );
        // Within the pixel limit the same trick is damage: the data stops.
        let result = check_bytes(Format::Png, &png_claiming(4_000, 4_000));
        assert!(matches!(result, Err(ImageFault::Damaged(_))), "{result:?}");
    }

    #[test]
    fn a_gif_frame_far_larger_than_its_screen_is_refused_without_the_memory() {
        // Found by the fuzzer: a 5×3 screen, a frame claiming much more; the
        // decoder took up to 383 MiB before the allocation bound.
        let gif = include_bytes!("../../../fuzz/regressions/decode/memory-7c40e56d627588ce");
        let result = check_bytes(Format::Gif, gif);
        assert!(matches!(result, Err(ImageFault::Damaged(_))), "{result:?}");
    }

    #[test]
    fn limits_hold_pixels_and_sides() {
        assert!(fits(7_000, 7_000, DEFAULT_MAX_PIXELS).is_ok());
        assert!(matches!(
            fits(8_000, 8_000, DEFAULT_MAX_PIXELS),
            Err(ImageFault::TooManyPixels { .. })
        ));
        assert!(matches!(
            fits(20_000, 100, DEFAULT_MAX_PIXELS),
            Err(ImageFault::SideTooLong { .. })
        ));
        assert!(matches!(fits(0, 10, 100), Err(ImageFault::Damaged(_))));
    }
}
