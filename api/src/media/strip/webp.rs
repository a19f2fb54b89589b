//! WebP: keep the picture, its alpha, animation and colour profile; drop
//! EXIF, XMP and any unknown chunk.

use img_parts::{
    Bytes, ImageEXIF,
    riff::RiffContent,
    webp::{
        CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_ICCP, CHUNK_VP8, CHUNK_VP8L, CHUNK_VP8X, WebP,
    },
};

use super::StripError;

const KEPT_CHUNKS: &[[u8; 4]] = &[
    CHUNK_VP8X, CHUNK_VP8, CHUNK_VP8L, CHUNK_ALPH, CHUNK_ANIM, CHUNK_ANMF, CHUNK_ICCP,
];
/// The VP8X flag announcing XMP; img-parts updates only the ICC and EXIF
/// flags, and a flag for a chunk that is gone confuses strict decoders.
const XMP_FLAG: u8 = 0b0000_0100;

/// Returns the WebP without its metadata chunks.
pub(super) fn clean(input: Bytes) -> Result<Bytes, StripError> {
    let mut webp = WebP::from_bytes(input)?;
    webp.chunks_mut()
        .retain(|chunk| KEPT_CHUNKS.contains(&chunk.id()));
    if !webp
        .chunks()
        .iter()
        .any(|c| matches!(c.id(), CHUNK_VP8 | CHUNK_VP8L | CHUNK_ANMF))
    {
        return Err(StripError::malformed("WebP without a picture"));
    }
    // Rewrites the VP8X flags (or drops VP8X when nothing extended is left).
    webp.set_exif(None);
    for chunk in webp.chunks_mut() {
        if chunk.id() != CHUNK_VP8X {
            continue;
        }
        if let RiffContent::Data(data) = chunk.content_mut() {
            let mut rewritten = data.to_vec();
            if let Some(flags) = rewritten.first_mut() {
                *flags &= !XMP_FLAG;
            }
            *data = Bytes::from(rewritten);
        }
    }
    Ok(webp.encoder().bytes())
}
