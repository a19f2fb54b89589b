//! GIF: copy the pictures and their timing, drop comments and foreign
//! application blocks (XMP lives in one), streamed block by block.
//!
//! A GIF is a header, optional colour table, then a run of blocks each made of
//! length-prefixed sub-blocks of at most 255 bytes, so memory stays tiny.

use std::io::{self, Read, Write};

use super::StripError;

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;

const GRAPHIC_CONTROL: u8 = 0xF9;
const APPLICATION: u8 = 0xFF;

/// Application blocks that only say how often an animation loops.
const LOOPING_APPLICATIONS: &[&[u8]] = &[b"NETSCAPE2.0", b"ANIMEXTS1.0"];

/// Copies the GIF in `src` to `dst` without comment, plain-text and
/// non-looping application extensions, and without anything after the
/// trailer.
pub(super) fn clean(mut src: impl Read, mut dst: impl Write) -> Result<(), StripError> {
    let mut header = [0u8; 13];
    read(&mut src, &mut header)?;
    if !(header.starts_with(b"GIF87a") || header.starts_with(b"GIF89a")) {
        return Err(StripError::malformed("not a GIF"));
    }
    dst.write_all(&header)?;
    copy_colour_table(&mut src, &mut dst, header[10])?;

    loop {
        match read_byte(&mut src)? {
            TRAILER => {
                dst.write_all(&[TRAILER])?;
                return Ok(());
            }
            IMAGE => {
                let mut descriptor = [0u8; 9];
                read(&mut src, &mut descriptor)?;
                dst.write_all(&[IMAGE])?;
                dst.write_all(&descriptor)?;
                copy_colour_table(&mut src, &mut dst, descriptor[8])?;
                let lzw_minimum_code_size = read_byte(&mut src)?;
                dst.write_all(&[lzw_minimum_code_size])?;
                sub_blocks(&mut src, Some(&mut dst))?;
            }
            EXTENSION => {
                let label = read_byte(&mut src)?;
                extension(&mut src, &mut dst, label)?;
            }
            _ => return Err(StripError::malformed("unknown GIF block")),
        }
    }
}

fn extension(src: &mut impl Read, dst: &mut impl Write, label: u8) -> Result<(), StripError> {
    match label {
        GRAPHIC_CONTROL => {
            dst.write_all(&[EXTENSION, label])?;
            sub_blocks(src, Some(dst))
        }
        APPLICATION => {
            // The first sub-block names the application.
            let len = read_byte(src)?;
            let mut name = vec![0u8; usize::from(len)];
            read(src, &mut name)?;
            if LOOPING_APPLICATIONS.contains(&name.as_slice()) {
                dst.write_all(&[EXTENSION, label, len])?;
                dst.write_all(&name)?;
                sub_blocks(src, Some(dst))
            } else if len == 0 {
                // The name block was the terminator: nothing follows.
                Ok(())
            } else {
                sub_blocks(src, None::<&mut io::Sink>)
            }
        }
        // Comments, plain text (never drawn by browsers) and unknown labels.
        _ => sub_blocks(src, None::<&mut io::Sink>),
    }
}

/// Copies (or with `None` skips) sub-blocks up to and including the empty
/// terminator.
fn sub_blocks(src: &mut impl Read, mut dst: Option<&mut impl Write>) -> Result<(), StripError> {
    let mut block = [0u8; 255];
    loop {
        let len = read_byte(src)?;
        let data = &mut block[..usize::from(len)];
        read(src, data)?;
        if let Some(dst) = dst.as_mut() {
            dst.write_all(&[len])?;
            dst.write_all(data)?;
        }
        if len == 0 {
            return Ok(());
        }
    }
}

/// Copies the colour table announced by a packed flags byte, if any.
fn copy_colour_table(
    src: &mut impl Read,
    dst: &mut impl Write,
    flags: u8,
) -> Result<(), StripError> {
    if flags & 0x80 == 0 {
        return Ok(());
    }
    let mut table = vec![0u8; 3 * (1 << ((flags & 0x07) + 1))];
    read(src, &mut table)?;
    dst.write_all(&table)?;
    Ok(())
}

fn read_byte(src: &mut impl Read) -> Result<u8, StripError> {
    let mut byte = [0u8; 1];
    read(src, &mut byte)?;
    Ok(byte[0])
}

fn read(src: &mut impl Read, buf: &mut [u8]) -> Result<(), StripError> {
    src.read_exact(buf).map_err(|err| match err.kind() {
        io::ErrorKind::UnexpectedEof => StripError::malformed("GIF ends before its trailer"),
        _ => StripError::Io(err),
    })
}
