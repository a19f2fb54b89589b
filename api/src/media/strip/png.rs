//! PNG: keep the chunks that decide how the pixels look, drop the rest.
//!
//! Text chunks (tEXt, zTXt, iTXt, where XMP lives too), eXIf and tIME carry
//! authors, places and dates; unknown ancillary chunks can carry anything.
//! Critical chunks (upper-case first letter) are kept whatever they are,
//! since a decoder needs them; ancillary ones only if they are listed here.

use img_parts::{Bytes, png::Png};

use super::StripError;

/// Ancillary chunks that change how the picture is shown: transparency,
/// colour (iCCP is the profile), physical size and APNG animation.
const RENDERING_CHUNKS: &[[u8; 4]] = &[
    *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"iCCP", *b"cICP", *b"mDCV", *b"cLLI", *b"sBIT",
    *b"bKGD", *b"pHYs", *b"acTL", *b"fcTL", *b"fdAT",
];

/// Returns the PNG without its metadata chunks (and without anything after
/// IEND, which the parser never reads).
pub(super) fn clean(input: Bytes) -> Result<Bytes, StripError> {
    let mut png = Png::from_bytes(input)?;
    png.chunks_mut().retain(|chunk| keep(chunk.kind()));
    let has = |kind: &[u8; 4]| png.chunks().iter().any(|c| &c.kind() == kind);
    if !has(b"IHDR") || !has(b"IEND") {
        return Err(StripError::malformed("PNG without a header or an end"));
    }
    Ok(png.encoder().bytes())
}

fn keep(kind: [u8; 4]) -> bool {
    kind[0].is_ascii_uppercase() || RENDERING_CHUNKS.contains(&kind)
}
