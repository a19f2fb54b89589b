//! MP4, MOV and M4A: blank the metadata boxes where they lie.
//!
//! Location (`©xyz`, `com.apple.quicktime.location.ISO6709`), camera and
//! owner data live in `udta` and `meta` boxes, XMP or makers' blobs in `uuid`
//! boxes, old QuickTime previews in top-level `pnot`/`PICT`, and editors leave
//! stale bytes in `free` space. Removing a box would shift every byte after it
//! and break the chunk offsets (`stco`/`co64`) that point into `mdat`, so each
//! one becomes a `free` box of the same size with its payload zeroed: nothing
//! moves, and the file is patched in place with seeks, reading only box
//! headers. At the top level only the boxes a player needs are left as they
//! are; below it, the known metadata boxes are blanked.
//!
//! Some cameras (GoPro's `gpmd`, Google's `camm`) record GPS as a track of its
//! own, inside `mdat` where this cannot reach. A track whose handler is not
//! one of the ordinary media kinds makes the file [`StripOutcome::NotCleanable`].

use std::io::{Read, Seek, SeekFrom, Write};

use super::{StripError, StripOutcome};

/// Boxes whose children are walked.
const CONTAINERS: &[&[u8; 4]] = &[
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts", b"mvex", b"moof", b"traf",
    b"mfra",
];
/// Top-level boxes a player needs; every other top-level box is blanked.
const TOP_LEVEL_KEPT: &[&[u8; 4]] = &[
    b"ftyp", b"styp", b"moov", b"mdat", b"moof", b"mfra", b"sidx", b"ssix", b"emsg", b"prft",
    b"pdin",
];
/// Boxes blanked wherever they are found.
const METADATA: &[&[u8; 4]] = &[b"udta", b"meta", b"free", b"skip"];
/// Where `uuid` boxes are makers' metadata rather than part of a stream
/// format (PIFF keeps sample encryption in `uuid` boxes inside `traf`).
const UUID_METADATA_PARENTS: &[&[u8; 4]] = &[b"moov", b"trak"];
/// Track handlers for picture, sound, subtitles and timecode.
const MEDIA_HANDLERS: &[&[u8; 4]] = &[
    b"vide", b"soun", b"text", b"sbtl", b"subt", b"clcp", b"tmcd", b"hint",
];
/// Real files nest about five deep; this only stops a crafted one.
const MAX_DEPTH: u8 = 16;

const TOP_LEVEL: &[u8; 4] = b"\0\0\0\0";

/// Blanks every metadata box of the file, which must be open for reading and
/// writing.
pub(super) fn clean_in_place(
    file: &mut (impl Read + Write + Seek),
) -> Result<StripOutcome, StripError> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut walk = Walk {
        file,
        foreign_track: false,
    };
    walk.boxes(0, len, TOP_LEVEL, 0)?;
    Ok(if walk.foreign_track {
        StripOutcome::NotCleanable
    } else {
        StripOutcome::Cleaned
    })
}

struct Walk<'f, F> {
    file: &'f mut F,
    /// A track whose samples may be telemetry such as GPS.
    foreign_track: bool,
}

struct BoxHeader {
    kind: [u8; 4],
    /// Size field plus type, plus the 64-bit size when there is one.
    header_len: u64,
    size: u64,
}

impl<F: Read + Write + Seek> Walk<'_, F> {
    fn boxes(
        &mut self,
        start: u64,
        end: u64,
        parent: &[u8; 4],
        depth: u8,
    ) -> Result<(), StripError> {
        if depth > MAX_DEPTH {
            return Err(StripError::malformed("MP4 boxes nested too deep"));
        }
        let mut pos = start;
        // Fewer than 8 bytes left cannot be a box: QuickTime pads some
        // containers with a 4-byte zero terminator.
        while end - pos >= 8 {
            let header = self.header(pos, end)?;
            let body = pos + header.header_len;
            let box_end = pos + header.size;
            let kind = &header.kind;
            let blank = if parent == TOP_LEVEL {
                !TOP_LEVEL_KEPT.contains(&kind)
            } else {
                METADATA.contains(&kind)
                    || (kind == b"uuid" && UUID_METADATA_PARENTS.contains(&parent))
            };
            if blank {
                self.blank(pos, body, box_end)?;
            } else if CONTAINERS.contains(&kind) {
                self.boxes(body, box_end, kind, depth + 1)?;
            } else if kind == b"hdlr" && parent == b"mdia" {
                self.check_handler(body, box_end)?;
            }
            pos = box_end;
        }
        Ok(())
    }

    fn header(&mut self, pos: u64, end: u64) -> Result<BoxHeader, StripError> {
        let mut short = [0u8; 8];
        self.read_at(pos, &mut short)?;
        let [s0, s1, s2, s3, k0, k1, k2, k3] = short;
        let kind = [k0, k1, k2, k3];
        let (size, header_len) = match u32::from_be_bytes([s0, s1, s2, s3]) {
            // Size 0: the box runs to the end of its parent (the file).
            0 => (end - pos, 8),
            1 => {
                if end - pos < 16 {
                    return Err(StripError::malformed("MP4 box header cut short"));
                }
                let mut large = [0u8; 8];
                self.read_at(pos + 8, &mut large)?;
                (u64::from_be_bytes(large), 16)
            }
            size => (u64::from(size), 8),
        };
        if size < header_len || size > end - pos {
            return Err(StripError::malformed(format!(
                "MP4 box {:?} does not fit its parent",
                String::from_utf8_lossy(&kind)
            )));
        }
        Ok(BoxHeader {
            kind,
            header_len,
            size,
        })
    }

    /// Turns the box at `pos` into a `free` box, zeroing `body..end`.
    fn blank(&mut self, pos: u64, body: u64, end: u64) -> Result<(), StripError> {
        static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
        self.file.seek(SeekFrom::Start(pos + 4))?;
        self.file.write_all(b"free")?;
        self.file.seek(SeekFrom::Start(body))?;
        let mut left = end - body;
        while left > 0 {
            let n = usize::try_from(left).map_or(ZEROS.len(), |l| l.min(ZEROS.len()));
            self.file.write_all(&ZEROS[..n])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// Reads a track's handler type: version and flags, then a field that
    /// is zero in MP4 and the component type in QuickTime, then the handler.
    fn check_handler(&mut self, body: u64, end: u64) -> Result<(), StripError> {
        let mut fields = [0u8; 12];
        if end - body < fields.len() as u64 {
            return Err(StripError::malformed("MP4 handler box cut short"));
        }
        self.read_at(body, &mut fields)?;
        let [.., h0, h1, h2, h3] = fields;
        if !MEDIA_HANDLERS.contains(&&[h0, h1, h2, h3]) {
            self.foreign_track = true;
        }
        Ok(())
    }

    fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> Result<(), StripError> {
        self.file.seek(SeekFrom::Start(pos))?;
        self.file.read_exact(buf)?;
        Ok(())
    }
}
