//! Test files built in code, each carrying the kind of metadata that could
//! give a storyteller away, so no binary fixture is committed.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use img_parts::{
    Bytes, ImageEXIF, ImageICC,
    jpeg::{Jpeg, JpegSegment, markers},
    png::{Png, PngChunk},
    riff::{RiffChunk, RiffContent},
    webp::{CHUNK_XMP, WebP},
};

/// The GPS latitude 51°30'26.64" as the three EXIF rationals, as stored.
pub const GPS_LATITUDE: [(u32, u32); 3] = [(51, 1), (30, 1), (2664, 100)];
/// The GPS longitude 0°7'40.08".
pub const GPS_LONGITUDE: [(u32, u32); 3] = [(0, 1), (7, 1), (4008, 100)];
pub const XMP_NAMESPACE: &str = "http://ns.adobe.com/xap/1.0/";
pub const COMMENT: &str = "taken outside 14 Example Road, Calais";
pub const IPTC_CITY: &str = "Ventimiglia";
pub const LOCATION: &str = "+51.5074-000.1278/";

/// Little-endian bytes of three rationals, as they sit in the EXIF block.
pub fn rational_bytes(values: [(u32, u32); 3]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()])
        .flatten()
        .collect()
}

/// A non-square picture whose top-left quarter is red and the rest blue, so
/// a rotation can be told apart from a flip.
pub fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 2 && y < height / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

pub fn encode(picture: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// An EXIF TIFF block (little-endian) with IFD0 holding `orientation` and a
/// GPS IFD pointer, a GPS IFD with latitude and longitude, and an IFD1
/// pointing at `thumbnail`, an embedded JPEG.
pub fn exif_tiff(orientation: u16, thumbnail: &[u8]) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let ifd_len = |entries: usize| 2 + 12 * entries + 4;

    let ifd0 = 8;
    let gps = ifd0 + ifd_len(2);
    let latitude = gps + ifd_len(4);
    let longitude = latitude + 24;
    let ifd1 = longitude + 24;
    let thumb = ifd1 + ifd_len(3);

    let mut b = b"II*\0".to_vec();
    b.extend_from_slice(&(ifd0 as u32).to_le_bytes());
    let ifd = |b: &mut Vec<u8>, entries: &[(u16, u16, u32, [u8; 4])], next: usize| {
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, count, value) in entries {
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&ty.to_le_bytes());
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(value);
        }
        b.extend_from_slice(&(next as u32).to_le_bytes());
    };
    let short = |v: u16| [v.to_le_bytes()[0], v.to_le_bytes()[1], 0, 0];
    let long = |v: usize| (v as u32).to_le_bytes();

    ifd(
        &mut b,
        &[
            (0x0112, SHORT, 1, short(orientation)),
            (0x8825, LONG, 1, long(gps)),
        ],
        ifd1,
    );
    ifd(
        &mut b,
        &[
            (0x0001, ASCII, 2, *b"N\0\0\0"),
            (0x0002, RATIONAL, 3, long(latitude)),
            (0x0003, ASCII, 2, *b"W\0\0\0"),
            (0x0004, RATIONAL, 3, long(longitude)),
        ],
        0,
    );
    b.extend_from_slice(&rational_bytes(GPS_LATITUDE));
    b.extend_from_slice(&rational_bytes(GPS_LONGITUDE));
    ifd(
        &mut b,
        &[
            (0x0103, SHORT, 1, short(6)),
            (0x0201, LONG, 1, long(thumb)),
            (0x0202, LONG, 1, long(thumbnail.len())),
        ],
        0,
    );
    assert_eq!(b.len(), thumb, "EXIF layout");
    b.extend_from_slice(thumbnail);
    b
}

/// A 48×32 JPEG carrying EXIF (orientation, GPS, thumbnail), XMP, IPTC and
/// a comment, like a phone photo after a trip through an editor.
pub fn jpeg_with_metadata(orientation: u16) -> Vec<u8> {
    let main = encode(DynamicImage::ImageRgb8(picture(48, 32)), ImageFormat::Jpeg);
    let thumbnail = encode(DynamicImage::ImageRgb8(picture(8, 6)), ImageFormat::Jpeg);
    let mut jpeg = Jpeg::from_bytes(main.into()).expect("jpeg");
    jpeg.set_exif(Some(exif_tiff(orientation, &thumbnail).into()));

    let xmp = format!(
        "{XMP_NAMESPACE}\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:Description \
         exif:GPSLatitude=\"51,30.444N\"/></x:xmpmeta>"
    );
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    let record = [
        b"\x1C\x02\x5A\0".as_slice(),
        &[IPTC_CITY.len() as u8],
        IPTC_CITY.as_bytes(),
    ]
    .concat();
    iptc.extend_from_slice(&(record.len() as u32).to_be_bytes());
    iptc.extend_from_slice(&record);

    let at = jpeg
        .segments()
        .iter()
        .position(|s| s.marker() == markers::DQT)
        .expect("DQT");
    let extra = [
        JpegSegment::new_with_contents(markers::APP1, Bytes::from(xmp)),
        JpegSegment::new_with_contents(markers::APP13, Bytes::from(iptc)),
        JpegSegment::new_with_contents(markers::COM, Bytes::from_static(COMMENT.as_bytes())),
    ];
    jpeg.segments_mut().splice(at..at, extra);
    jpeg.encoder().bytes().to_vec()
}

/// An ICC profile header claiming the RGB colour space; decoders here do
/// not read past it.
pub fn fake_rgb_icc_profile() -> Bytes {
    let mut icc = vec![0u8; 128];
    icc[16..20].copy_from_slice(b"RGB ");
    icc[36..40].copy_from_slice(b"acsp");
    Bytes::from(icc)
}

pub fn with_icc_profile(jpeg_bytes: Vec<u8>) -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(jpeg_bytes.into()).expect("jpeg");
    jpeg.set_icc_profile(Some(fake_rgb_icc_profile()));
    jpeg.encoder().bytes().to_vec()
}

pub fn rgba_picture() -> RgbaImage {
    RgbaImage::from_fn(5, 3, |x, y| {
        Rgba([x as u8 * 40, y as u8 * 80, 200, 255 - x as u8])
    })
}

/// A PNG with a GPS text chunk, XMP in iTXt, eXIf, tIME, a kept gAMA and
/// bytes after IEND.
pub fn png_with_metadata() -> Vec<u8> {
    let plain = encode(DynamicImage::ImageRgba8(rgba_picture()), ImageFormat::Png);
    let mut png = Png::from_bytes(plain.into()).expect("png");
    let chunk = |kind: &[u8; 4], data: &[u8]| PngChunk::new(*kind, Bytes::copy_from_slice(data));
    let itxt = format!("XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>{XMP_NAMESPACE}</x:xmpmeta>");
    let extra = [
        chunk(b"gAMA", &45455u32.to_be_bytes()),
        chunk(b"tEXt", format!("GPS\0{LOCATION}").as_bytes()),
        chunk(b"iTXt", itxt.as_bytes()),
        chunk(b"eXIf", &exif_tiff(1, b"")),
        chunk(b"tIME", &[0x07, 0xE9, 5, 17, 9, 30, 0]),
    ];
    png.chunks_mut().splice(1..1, extra);
    let mut bytes = png.encoder().bytes().to_vec();
    bytes.extend_from_slice(b"appended: ");
    bytes.extend_from_slice(COMMENT.as_bytes());
    bytes
}

/// A WebP with EXIF, XMP and a colour profile.
pub fn webp_with_metadata() -> Vec<u8> {
    let plain = encode(DynamicImage::ImageRgba8(rgba_picture()), ImageFormat::WebP);
    let mut webp = WebP::from_bytes(plain.into()).expect("webp");
    webp.set_icc_profile(Some(fake_rgb_icc_profile()));
    let xmp = format!("<x:xmpmeta>{XMP_NAMESPACE}</x:xmpmeta>");
    webp.chunks_mut().push(RiffChunk::new(
        CHUNK_XMP,
        RiffContent::Data(Bytes::from(xmp)),
    ));
    // Sets the EXIF flag, and the XMP flag along with the rest.
    webp.set_exif(Some(exif_tiff(1, b"").into()));
    webp.encoder().bytes().to_vec()
}

/// A GIF with a looping block (kept), a comment and an XMP application block.
pub fn gif_with_metadata() -> Vec<u8> {
    let plain = encode(DynamicImage::ImageRgba8(rgba_picture()), ImageFormat::Gif);
    let flags = plain[10];
    let table = if flags & 0x80 != 0 {
        3 * (1 << ((flags & 0x07) + 1))
    } else {
        0
    };
    let at = 13 + table;

    let mut extra = vec![0x21, 0xFF, 11];
    extra.extend_from_slice(b"NETSCAPE2.0");
    extra.extend_from_slice(&[3, 1, 0, 0, 0]);
    extra.extend_from_slice(&[0x21, 0xFE, COMMENT.len() as u8]);
    extra.extend_from_slice(COMMENT.as_bytes());
    extra.push(0);
    extra.extend_from_slice(&[0x21, 0xFF, 11]);
    extra.extend_from_slice(b"XMP DataXMP");
    let xmp = format!("<x:xmpmeta>{XMP_NAMESPACE}</x:xmpmeta>");
    extra.push(xmp.len() as u8);
    extra.extend_from_slice(xmp.as_bytes());
    extra.push(0);

    let mut bytes = plain[..at].to_vec();
    bytes.extend_from_slice(&extra);
    bytes.extend_from_slice(&plain[at..]);
    bytes
}

/// An ISO BMFF box.
pub fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = ((8 + payload.len()) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(payload);
    b
}

/// A box with a 64-bit size, as large `mdat`s have.
pub fn mp4_large_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = 1u32.to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(&((16 + payload.len()) as u64).to_be_bytes());
    b.extend_from_slice(payload);
    b
}

fn handler(kind: &[u8; 4]) -> Vec<u8> {
    let mut payload = vec![0u8; 8];
    payload.extend_from_slice(kind);
    payload.extend_from_slice(&[0; 12]);
    payload.extend_from_slice(b"Handler\0");
    mp4_box(b"hdlr", &payload)
}

pub const PREVIEW: &[u8] = b"QuickTime preview picture of the first frame";

pub const MDAT_PAYLOAD: &[u8] = b"\x00\x00\x00\x10frame-one-bytes!\x00\x00\x00\x10frame-two-bytes!";

/// A small MP4 with location and names in `moov/udta`, `trak/udta`,
/// `moov/meta` and stale `moov/free` space, a top-level XMP `uuid`, `meta` and
/// QuickTime preview `PICT`; `mdat` last
/// with a 64-bit size and its offset in `stco`. `track_handler` names the
/// track's kind (`vide`, or `meta` for a telemetry track).
pub fn mp4_with_metadata(track_handler: &[u8; 4]) -> Vec<u8> {
    let xyz = [&[0x00, 0x12, 0x15, 0xC7][..], LOCATION.as_bytes()].concat();
    let moov_udta = mp4_box(b"udta", &mp4_box(b"\xA9xyz", &xyz));
    let trak_udta = mp4_box(b"udta", &mp4_box(b"\xA9nam", b"Amina at the border"));
    let ilst = mp4_box(b"ilst", &mp4_box(b"\xA9day", b"2025-05-17T09:30"));
    let meta = mp4_box(b"meta", &[&[0u8; 4][..], &handler(b"mdir"), &ilst].concat());
    let xmp_uuid = [
        &[
            0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3,
            0xAF, 0xAC,
        ][..],
        format!("<x:xmpmeta>{XMP_NAMESPACE}</x:xmpmeta>").as_bytes(),
    ]
    .concat();

    let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    let top_uuid = mp4_box(b"uuid", &xmp_uuid);
    let top_meta = mp4_box(b"meta", &[&[0u8; 4][..], &handler(b"mdir")].concat());
    let preview = mp4_box(b"PICT", PREVIEW);
    // Free space an editor left behind with an old copy of the location in it.
    let stale = mp4_box(b"free", &xyz);
    let build = |chunk_offset: u32| {
        let stco = mp4_box(
            b"stco",
            &[
                &[0u8; 4][..],
                &1u32.to_be_bytes(),
                &chunk_offset.to_be_bytes(),
            ]
            .concat(),
        );
        let stbl = mp4_box(b"stbl", &stco);
        let minf = mp4_box(b"minf", &stbl);
        let mdia = mp4_box(
            b"mdia",
            &[mp4_box(b"mdhd", &[0; 24]), handler(track_handler), minf].concat(),
        );
        let trak = mp4_box(
            b"trak",
            &[mp4_box(b"tkhd", &[0; 84]), trak_udta.clone(), mdia].concat(),
        );
        let moov = mp4_box(
            b"moov",
            &[
                mp4_box(b"mvhd", &[0; 100]),
                moov_udta.clone(),
                trak,
                meta.clone(),
                stale.clone(),
            ]
            .concat(),
        );
        [
            ftyp.clone(),
            top_uuid.clone(),
            moov,
            top_meta.clone(),
            preview.clone(),
        ]
        .concat()
    };
    // The chunk offset depends on everything before mdat, which does not
    // depend on the offset's value.
    let head = build(0);
    let mdat_payload_offset = head.len() + 16;
    let mut file = build(mdat_payload_offset as u32);
    file.extend_from_slice(&mp4_large_box(b"mdat", MDAT_PAYLOAD));
    file
}

/// Every box of an MP4 as (depth, type, offset, size), walking the same
/// containers as the stripper; panics on a tree that does not parse.
pub fn mp4_tree(bytes: &[u8]) -> Vec<(usize, [u8; 4], usize, usize)> {
    fn walk(
        bytes: &[u8],
        start: usize,
        end: usize,
        depth: usize,
        out: &mut Vec<(usize, [u8; 4], usize, usize)>,
    ) {
        let mut pos = start;
        while pos < end {
            let size32 = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = bytes[pos + 4..pos + 8].try_into().unwrap();
            let (size, header) = match size32 {
                1 => (
                    u64::from_be_bytes(bytes[pos + 8..pos + 16].try_into().unwrap()) as usize,
                    16,
                ),
                0 => (end - pos, 8),
                n => (n, 8),
            };
            assert!(
                size >= header && pos + size <= end,
                "box {kind:?} at {pos} does not fit"
            );
            out.push((depth, kind, pos, size));
            if [b"moov", b"trak", b"mdia", b"minf", b"stbl"].contains(&&kind) {
                walk(bytes, pos + header, pos + size, depth + 1, out);
            }
            pos += size;
        }
    }
    let mut out = Vec::new();
    walk(bytes, 0, bytes.len(), 0, &mut out);
    out
}

/// Two MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each).
pub fn mp3_frames() -> Vec<u8> {
    (0..2u8)
        .flat_map(|n| {
            let mut frame = vec![0xFF, 0xFB, 0x90, 0x64];
            frame.extend((0..413u32).map(move |i| (i as u8).wrapping_mul(31).wrapping_add(n)));
            frame
        })
        .collect()
}

/// An ID3v2.4 tag holding a TXXX frame with a place.
pub fn id3v2_tag() -> Vec<u8> {
    let syncsafe = |n: usize| {
        let n = n as u32;
        [
            (n >> 21) as u8 & 0x7F,
            (n >> 14) as u8 & 0x7F,
            (n >> 7) as u8 & 0x7F,
            n as u8 & 0x7F,
        ]
    };
    let body = [b"\x03recorded at\0".as_slice(), COMMENT.as_bytes()].concat();
    let mut frame = b"TXXX".to_vec();
    frame.extend_from_slice(&syncsafe(body.len()));
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&body);
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend_from_slice(&syncsafe(frame.len()));
    tag.extend_from_slice(&frame);
    tag
}

/// A 128-byte ID3v1 tag.
pub fn id3v1_tag() -> Vec<u8> {
    let mut tag = b"TAG".to_vec();
    tag.extend_from_slice(IPTC_CITY.as_bytes());
    tag.resize(128, 0);
    tag
}

/// An APEv2 tag with header and footer and one item.
pub fn ape_tag() -> Vec<u8> {
    let mut item = (COMMENT.len() as u32).to_le_bytes().to_vec();
    item.extend_from_slice(&0u32.to_le_bytes());
    item.extend_from_slice(b"Comment\0");
    item.extend_from_slice(COMMENT.as_bytes());
    let size = (item.len() + 32) as u32;
    let part = |flags: u32| {
        let mut b = b"APETAGEX".to_vec();
        b.extend_from_slice(&2000u32.to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b
    };
    [part(0xA000_0000), item, part(0x8000_0000)].concat()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A photo-like picture: noise, so its compressed data is long and a cut
/// lands in the middle of the picture.
pub fn noise(width: u32, height: u32) -> RgbImage {
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    RgbImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let [r, g, b, ..] = seed.to_le_bytes();
        Rgb([r, g, b])
    })
}

/// A JPEG whose scan stops at 60%: what a broken transfer leaves.
pub fn truncated_jpeg() -> Vec<u8> {
    let whole = encode(DynamicImage::ImageRgb8(noise(256, 192)), ImageFormat::Jpeg);
    whole[..whole.len() * 6 / 10].to_vec()
}

/// A PNG chunk with its length and CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let mut chunk = u32::try_from(data.len())
        .expect("small chunk")
        .to_be_bytes()
        .to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&crc.sum().to_be_bytes());
    chunk
}

/// A decompression bomb in under a kilobyte: a valid PNG header claiming
/// `width`×`height` RGB pixels, the start of a stream of zeros, and IEND.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write;
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&vec![0; 700 * 1024]).expect("compress");
    let idat = zlib.finish().expect("compress");
    [
        b"\x89PNG\r\n\x1a\n".to_vec(),
        png_chunk(b"IHDR", &ihdr),
        png_chunk(b"IDAT", &idat),
        png_chunk(b"IEND", b""),
    ]
    .concat()
}
