//! The pixel work of a render: decode the stored original within memory
//! limits, burn the face masks in at full resolution, scale down and encode
//! each web size as JPEG and WebP. Synchronous and CPU-bound: callers run it on
//! a blocking thread.
//!
//! Masks are painted before scaling, so no rendition ever holds a face pixel,
//! not even blended into an edge. The encoders write pixels only (no EXIF, XMP,
//! ICC profile or comment), so what comes out has no metadata whatever the
//! original had.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use image::{
    DynamicImage, ExtendedColorType, ImageEncoder, ImageReader, RgbImage,
    codecs::{jpeg::JpegEncoder, webp::WebPEncoder},
    imageops::{self, FilterType},
};

/// The nominal widths made, smallest first. `w320` is always made (at the
/// original width when that is narrower); larger ones only when the original
/// is at least that wide, since upscaling adds bytes but no detail.
pub const WIDTHS: [u32; 3] = [320, 800, 1600];

/// The share card's variant: what social platforms show beside a shared link,
/// at the size they ask for (Open Graph's recommended 1200×630), as JPEG,
/// which every platform takes.
pub const CARD: &str = "card.jpg";
/// The share card's size in pixels.
pub const CARD_SIZE: (u32, u32) = (1200, 630);

/// Good for photos at a third of the size of quality 95.
const JPEG_QUALITY: u8 = 82;

/// The largest side decoded. Far beyond any camera's, so only forged headers
/// hit it; it fails them before anything is allocated.
pub const MAX_SIDE: u32 = 16_384;
/// The most the decoder may allocate: a 100-megapixel photo fits, a
/// decompression bomb does not. Scaling needs about as much again at most
/// (the first, largest step), so one render stays under a gigabyte.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// A rectangle to paint black, in the original's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// One encoded rendition, written to a file in the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// `w320.jpg`, `w800.webp`, …: the nominal width and the format.
    pub variant: String,
    pub mime: &'static str,
    /// The actual pixels (a `w320` of a narrower original is narrower).
    pub width: u32,
    pub height: u32,
    pub path: PathBuf,
    pub size: u64,
}

/// Why an original could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PixelError {
    #[error("the stored original could not be decoded or encoded: {0}")]
    Image(#[from] image::ImageError),
    #[error("reading or writing a rendition file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the stored original is {actual:?} pixels but its record says {recorded:?}, so masks could land in the wrong place"
    )]
    SizeMismatch {
        actual: (u32, u32),
        recorded: (u32, u32),
    },
}

/// Decodes `original`, paints `masks` black and writes every rendition into
/// `out_dir`. `recorded` is the size the masks were drawn against; an
/// original of another size is refused rather than masked in the wrong place.
pub fn render(
    original: &Path,
    recorded: (u32, u32),
    masks: &[Mask],
    out_dir: &Path,
) -> Result<Vec<Made>, PixelError> {
    let mut picture = flatten_on_white(decode(original)?);
    if picture.dimensions() != recorded {
        return Err(PixelError::SizeMismatch {
            actual: picture.dimensions(),
            recorded,
        });
    }
    for mask in masks {
        paint_black(&mut picture, mask);
    }

    let mut made = Vec::with_capacity(WIDTHS.len() * 2 + 1);
    made.push(card(&picture, out_dir)?);
    let (width, height) = picture.dimensions();
    // Largest first, each step scaling the previous one: the full-size picture
    // is dropped after the first step, and later steps are cheap.
    for (nominal, w, h) in plan(width, height).into_iter().rev() {
        if picture.dimensions() != (w, h) {
            picture = imageops::resize(&picture, w, h, FilterType::Triangle);
        }
        for (extension, mime) in [("jpg", "image/jpeg"), ("webp", "image/webp")] {
            let variant = format!("w{nominal}.{extension}");
            let path = out_dir.join(&variant);
            encode(&picture, mime, &path)?;
            let size = std::fs::metadata(&path)?.len();
            made.push(Made {
                variant,
                mime,
                width: w,
                height: h,
                path,
                size,
            });
        }
    }
    Ok(made)
}

/// The share card of the masked `picture`: its middle cut to the card's shape
/// and scaled to [`CARD_SIZE`]. Unlike the web sizes it is scaled up when the
/// original is smaller, since platforms crop or refuse smaller cards.
fn card(picture: &RgbImage, out_dir: &Path) -> Result<Made, PixelError> {
    let (x, y, w, h) = card_crop(picture.dimensions());
    let cut = imageops::crop_imm(picture, x, y, w, h).to_image();
    let (card_w, card_h) = CARD_SIZE;
    let scaled = imageops::resize(&cut, card_w, card_h, FilterType::Triangle);
    let path = out_dir.join(CARD);
    encode(&scaled, "image/jpeg", &path)?;
    let size = std::fs::metadata(&path)?.len();
    Ok(Made {
        variant: CARD.to_owned(),
        mime: "image/jpeg",
        width: card_w,
        height: card_h,
        path,
        size,
    })
}

/// The largest centred rectangle of a `width`×`height` picture with the card's
/// aspect ratio: `(x, y, width, height)`, never empty.
pub fn card_crop((width, height): (u32, u32)) -> (u32, u32, u32, u32) {
    let (card_w, card_h) = (u64::from(CARD_SIZE.0), u64::from(CARD_SIZE.1));
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    // Wider than the card: keep the full height; taller: the full width.
    let (cut_w, cut_h) = if w * card_h > h * card_w {
        ((h * card_w / card_h).max(1), h)
    } else {
        (w, (w * card_h / card_w).max(1))
    };
    let fit = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    (
        fit((w - cut_w) / 2),
        fit((h - cut_h) / 2),
        fit(cut_w),
        fit(cut_h),
    )
}

/// The renditions of a `width`×`height` original: nominal width and actual
/// size, smallest first.
pub fn plan(width: u32, height: u32) -> Vec<(u32, u32, u32)> {
    WIDTHS
        .iter()
        .filter_map(|&nominal| {
            if nominal <= width {
                Some((nominal, nominal, scaled_height(width, height, nominal)))
            } else if nominal == WIDTHS[0] {
                Some((nominal, width, height))
            } else {
                None
            }
        })
        .collect()
}

/// The height that keeps the aspect ratio at `new_width`, rounded, never 0.
fn scaled_height(width: u32, height: u32, new_width: u32) -> u32 {
    let width = u64::from(width.max(1));
    let scaled = (u64::from(height) * u64::from(new_width) + width / 2) / width;
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

fn decode(path: &Path) -> Result<DynamicImage, PixelError> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::open(path)?.with_guessed_format()?;
    reader.limits(limits);
    Ok(reader.decode()?)
}

/// JPEG has no transparency, and one RGB picture for both formats keeps masks
/// simple: transparent parts become white, as they look on most pages.
fn flatten_on_white(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(px[3]);
        for (channel, &value) in out.0.iter_mut().zip(&px.0[..3]) {
            // c·a + 255·(255 − a) ≤ 255², so this fits in u16 and the result in u8.
            let blended = (u16::from(value) * alpha + 255 * (255 - alpha) + 127) / 255;
            *channel = u8::try_from(blended).unwrap_or(u8::MAX);
        }
    }
    rgb
}

/// Replaces the pixels under `mask` (clipped to the picture) with opaque
/// black. Replaced, never blurred: a blur can be undone, and it keeps a face's
/// outline.
fn paint_black(picture: &mut RgbImage, mask: &Mask) {
    let (width, height) = picture.dimensions();
    let x0 = mask.x.min(width) as usize;
    let x1 = mask.x.saturating_add(mask.width).min(width) as usize;
    let y0 = mask.y.min(height) as usize;
    let y1 = mask.y.saturating_add(mask.height).min(height) as usize;
    let stride = width as usize * 3;
    let pixels: &mut [u8] = picture;
    for row in y0..y1 {
        let start = row * stride;
        if let Some(span) = pixels.get_mut(start + x0 * 3..start + x1 * 3) {
            span.fill(0);
        }
    }
}

fn encode(picture: &RgbImage, mime: &str, path: &Path) -> Result<(), PixelError> {
    let mut out = BufWriter::new(File::create(path)?);
    let (w, h) = picture.dimensions();
    if mime == "image/webp" {
        // The pure-Rust encoder is lossless only: bigger files than lossy
        // WebP, but no C library to build and patch.
        WebPEncoder::new_lossless(&mut out).write_image(picture, w, h, ExtendedColorType::Rgb8)?;
    } else {
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            picture,
            w,
            h,
            ExtendedColorType::Rgb8,
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use image::{Rgb, Rgba, RgbaImage};

    use super::*;

    #[test]
    fn sizes_are_never_upscaled_and_w320_always_exists() {
        assert_eq!(
            plan(2000, 1200),
            vec![(320, 320, 192), (800, 800, 480), (1600, 1600, 960)]
        );
        assert_eq!(
            plan(1600, 900),
            vec![(320, 320, 180), (800, 800, 450), (1600, 1600, 900)]
        );
        assert_eq!(plan(500, 1000), vec![(320, 320, 640)]);
        assert_eq!(plan(200, 100), vec![(320, 200, 100)]);
        assert_eq!(
            plan(5000, 1),
            vec![(320, 320, 1), (800, 800, 1), (1600, 1600, 1)]
        );
    }

    #[test]
    fn the_card_is_the_largest_centred_cut_of_its_shape() {
        // Wider than 1200:630: full height, centred horizontally.
        assert_eq!(card_crop((4000, 1000)), (1048, 0, 1904, 1000));
        // Taller: full width, centred vertically.
        assert_eq!(card_crop((1000, 2000)), (0, 737, 1000, 525));
        // Exactly the card's shape: all of it.
        assert_eq!(card_crop((2400, 1260)), (0, 0, 2400, 1260));
        // Tiny pictures still give a cut of at least one pixel.
        assert_eq!(card_crop((1, 1)), (0, 0, 1, 1));
    }

    #[test]
    fn masks_replace_pixels_and_are_clipped_to_the_picture() {
        let mut picture = RgbImage::from_pixel(10, 6, Rgb([200, 150, 100]));
        paint_black(
            &mut picture,
            &Mask {
                x: 2,
                y: 1,
                width: 3,
                height: 2,
            },
        );
        paint_black(
            &mut picture,
            &Mask {
                x: 8,
                y: 4,
                width: 50,
                height: 50,
            },
        );
        for (x, y, px) in picture.enumerate_pixels() {
            let inside = ((2..5).contains(&x) && (1..3).contains(&y)) || (x >= 8 && y >= 4);
            let expected = if inside { [0, 0, 0] } else { [200, 150, 100] };
            assert_eq!(px.0, expected, "({x}, {y})");
        }
    }

    #[test]
    fn transparency_becomes_white() {
        let mut rgba = RgbaImage::from_pixel(2, 1, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, Rgba([10, 20, 30, 255]));
        let rgb = flatten_on_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }
}
