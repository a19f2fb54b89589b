//! Entry points for the fuzz harness (`fuzz/`, crate `chorus-fuzz`): every
//! hand-written parser that a client's bytes reach, each as one function of
//! arbitrary bytes. A target returns normally for any input, valid or not; it
//! panics only on a bug: a panic in the parser itself, or a broken property
//! the parser promises (a cursor reads back as written, a generated slug is
//! valid, rendered Markdown holds no script). Only built with the
//! `test-fixtures` feature, never into the server.

use crate::{
    consumers::apq::{Lookup, PersistedQueries},
    graphql::scalars,
    media::{
        integrity,
        sniff::{self, Format, MediaKind},
        strip,
    },
    stories::{changes::SyncCursor, text},
};

/// The pixel limit the image targets apply before decoding or stripping, as
/// intake does with `CHORUS_MEDIA_MAX_PIXELS`; lower, so each input is quick.
pub const MAX_PIXELS: u64 = 4_000_000;

/// One fuzz target: a name (also its corpus directory) and the function.
#[derive(Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, cheapest first.
pub const TARGETS: &[Target] = &[
    Target::new("sniff", sniff),
    Target::new("exif", exif),
    Target::new("cursor", cursor),
    Target::new("apq", apq),
    Target::new("slug", slug),
    Target::new("markdown", markdown),
    Target::new("mp3", |input| strip_as(Format::Mp3, input)),
    Target::new("mp4", |input| strip_as(Format::Mp4, input)),
    Target::new("gif", |input| strip_as(Format::Gif, input)),
    Target::new("png", |input| strip_as(Format::Png, input)),
    Target::new("webp", |input| strip_as(Format::WebP, input)),
    Target::new("jpeg", |input| strip_as(Format::Jpeg, input)),
    Target::new("decode", decode),
];

impl Target {
    const fn new(name: &'static str, run: fn(&[u8])) -> Self {
        Self { name, run }
    }
}

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().copied().find(|t| t.name == name)
}

/// Media sniffing: what intake sees is at most the first `SNIFF_LEN` bytes.
fn sniff(input: &[u8]) {
    let head = &input[..input.len().min(sniff::SNIFF_LEN)];
    if let Ok(sniffed) = sniff::sniff(head) {
        assert_eq!(sniffed.format.sniffed(), sniffed);
    }
}

fn exif(input: &[u8]) {
    let orientation = strip::exif_orientation(input);
    assert!((1..=8).contains(&orientation), "orientation {orientation}");
}

/// Every cursor a client can send back: of a list by time, by time or score,
/// and of the sync feed. What decodes must encode to a cursor that decodes
/// to the same.
fn cursor(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(c) = scalars::decode_cursor("after", &text) {
        let again = scalars::decode_cursor("after", &scalars::encode_cursor(c));
        assert_eq!(again.ok(), Some(c), "a time cursor reads back");
    }
    if let Ok(c) = scalars::decode_any_cursor("after", &text) {
        let again = scalars::decode_any_cursor("after", &scalars::encode_any_cursor(c));
        assert_eq!(again.ok(), Some(c), "a score cursor reads back");
    }
    if let Ok(c) = SyncCursor::decode("after", &text) {
        let again = SyncCursor::decode("after", &c.encode());
        assert_eq!(again.ok(), Some(c), "a sync cursor reads back");
    }
}

/// A persisted-query extension: the first line is the hash, the rest the
/// query; an odd first byte asks for another protocol version. A text that
/// registers is found by its hash afterwards.
fn apq(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let (hash, query) = text.split_once('\n').unwrap_or((&text, ""));
    let version = match input.first() {
        Some(b) if b % 2 == 1 => i64::from(*b),
        _ => 1,
    };
    let store = PersistedQueries::new(64 * 1024);
    if let Ok(Lookup::Register(digest)) = store.lookup(version, hash, query) {
        store.register(digest, query);
        match store.lookup(version, hash, "") {
            Ok(Lookup::Found(found)) => assert_eq!(&*found, query),
            other => panic!("a registered text is found by its hash: {other:?}"),
        }
    }
}

/// Slugs, generated and hand-picked: a generated slug always passes the
/// check for hand-picked ones.
fn slug(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let generated = text::slugify(&text);
    assert_eq!(text::validate_slug(&generated), Ok(()), "{generated:?}");
    let _ = text::validate_slug(&text);
    let _ = crate::slug::validate("slug", &text);
}

/// Story Markdown to HTML: no tag or link that could run a script.
fn markdown(input: &[u8]) {
    let html = text::render_markdown(&String::from_utf8_lossy(input)).to_ascii_lowercase();
    for unsafe_bit in [
        "<script",
        "<iframe",
        "<style",
        "<object",
        "<svg",
        "href=\"javascript:",
        "src=\"javascript:",
        "href=\"data:",
        "src=\"data:",
        "href=\"vbscript:",
    ] {
        assert!(!html.contains(unsafe_bit), "{unsafe_bit} in {html}");
    }
}

/// A stripper, after the pixel limit intake applies first for images (a
/// stripper that turns a JPEG upright decodes it).
fn strip_as(format: Format, input: &[u8]) {
    if let Some(image_format) = integrity::image_format(format) {
        match integrity::header_dimensions(input, image_format) {
            Ok((w, h)) if integrity::fits(w, h, MAX_PIXELS).is_ok() => {}
            _ => return,
        }
    }
    if let Ok((_, out)) = strip::strip_bytes(format, input) {
        match format {
            // Boxes are blanked where they lie.
            Format::Mp4 => assert_eq!(out.len(), input.len(), "MP4 keeps its length"),
            // Tags are cut, never added.
            Format::Mp3 => assert!(out.len() <= input.len(), "MP3 only shrinks"),
            _ => {}
        }
    }
}

/// The intake image check: header, pixel limit, strict decode.
fn decode(input: &[u8]) {
    if let Ok(sniffed) = sniff::sniff(&input[..input.len().min(sniff::SNIFF_LEN)])
        && sniffed.kind == MediaKind::Image
    {
        let _ = integrity::check_bytes(sniffed.format, input, MAX_PIXELS);
    }
}

/// The seed corpus: small real files and texts per target, built in code
/// (`chorus-fuzz write-seeds` writes them under `fuzz/corpus/`). Every
/// person, place and text in them is invented.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    use chrono::{TimeZone, Utc};
    use image::{DynamicImage, ImageFormat};
    use uuid::Uuid;

    use crate::{
        media::strip::fixtures as f,
        pagination::{AnyCursor, Cursor, ScoreCursor},
        stories::changes::Mark,
    };

    let noise = |format| f::encode(DynamicImage::ImageRgb8(f::noise(16, 12)), format);
    let media = [
        ("jpeg", "exif-rotated.jpg", f::jpeg_with_metadata(6)),
        (
            "jpeg",
            "exif-upright-icc.jpg",
            f::with_icc_profile(f::jpeg_with_metadata(1)),
        ),
        ("jpeg", "plain.jpg", noise(ImageFormat::Jpeg)),
        ("png", "text-chunks.png", f::png_with_metadata()),
        ("png", "plain.png", noise(ImageFormat::Png)),
        ("webp", "exif-xmp-icc.webp", f::webp_with_metadata()),
        ("webp", "plain.webp", noise(ImageFormat::WebP)),
        ("gif", "comment-xmp.gif", f::gif_with_metadata()),
        ("mp4", "udta-meta.mp4", f::mp4_with_metadata(b"vide")),
        ("mp4", "telemetry.mp4", f::mp4_with_metadata(b"meta")),
        (
            "mp3",
            "id3-ape.mp3",
            [
                f::id3v2_tag(),
                f::mp3_frames(),
                f::ape_tag(),
                f::id3v1_tag(),
            ]
            .concat(),
        ),
    ];
    let mut seeds: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    for (target, name, bytes) in media {
        seeds.push(("sniff", name.to_owned(), bytes.clone()));
        if ["jpeg", "png", "webp", "gif"].contains(&target) {
            seeds.push(("decode", name.to_owned(), bytes.clone()));
        }
        seeds.push((target, name.to_owned(), bytes));
    }
    let jpeg = noise(ImageFormat::Jpeg);
    for (name, bytes) in [
        ("truncated.jpg", jpeg[..jpeg.len() * 6 / 10].to_vec()),
        ("claims-30000x30000.png", f::png_claiming(30_000, 30_000)),
    ] {
        seeds.push(("decode", name.to_owned(), bytes));
    }
    for (name, bytes) in [
        (
            "wav",
            b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec(),
        ),
        ("ogg", b"OggS\0\x02\0\0\0\0\0\0\0\0".to_vec()),
        ("pdf", b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec()),
        (
            "webm",
            b"\x1A\x45\xDF\xA3\x8B\x42\x86\x81\x01\x42\x82\x84webm\x18\x53\x80\x67".to_vec(),
        ),
        (
            "m4a",
            b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42\0\0\0\x08free".to_vec(),
        ),
    ] {
        seeds.push(("sniff", format!("header.{name}"), bytes));
    }
    seeds.push(("exif", "rotated.tiff".into(), f::exif_tiff(6, b"")));
    seeds.push((
        "exif",
        "with-thumbnail.tiff".into(),
        f::exif_tiff(8, &noise(ImageFormat::Jpeg)),
    ));

    let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let at = Utc.timestamp_opt(1_733_000_000, 123_456_000).single();
    let mark = at.map(|at| Mark { version: 42, at });
    let cursors = [
        scalars::encode_cursor(Cursor::id(id)),
        scalars::encode_cursor(Cursor { id, at }),
        scalars::encode_any_cursor(AnyCursor::Score(ScoreCursor { id, score: 0.75 })),
        SyncCursor {
            from: mark,
            to: mark,
            after: Some(id),
        }
        .encode(),
        SyncCursor {
            from: None,
            to: None,
            after: None,
        }
        .encode(),
    ];
    for (i, cursor) in cursors.into_iter().enumerate() {
        seeds.push(("cursor", format!("cursor-{i}.txt"), cursor.into_bytes()));
    }
    let query = "{ stories(first: 10) { edges { node { slug title } } } }";
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(query.as_bytes()))
    };
    seeds.push((
        "apq",
        "register.txt".into(),
        format!("{hash}\n{query}").into_bytes(),
    ));
    seeds.push(("apq", "lookup.txt".into(), hash.into_bytes()));
    for (i, title) in [
        "International Migrants Day 2023: I Am A Migrant",
        "Café à Lisboa — ǅemal's first winter",
        "قصتي من حلب إلى مانشستر",
        "İstanbul'dan Leeds'e ΣΟΦΙΑ ΟΔΟΣ",
        "कहानी १२ — 日本語のタイトル 🎉🎉",
        "e\u{301}te\u{301} a\u{308} ---  ",
    ]
    .into_iter()
    .enumerate()
    {
        seeds.push(("slug", format!("title-{i}.txt"), title.as_bytes().to_vec()));
    }
    let markdown = "# A *kitchen* in **Leeds**\n\n> We cooked ~~for~~ with everyone.\n\n\
        | dish | from |\n|---|---|\n| jollof | Lagos |\n\n\
        [a link](https://example.org/story \"title\") [mail](mailto:a@example.org) \
        [bad](javascript:alert(1)) ![photo](/media/1/w320.jpg) ![x](data:image/png;base64,AAAA)\n\n\
        <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n\
        1. one\n2. two\n   - nested `code`\n\n```\nfenced\n```\n\n[ref]: vbscript:msgbox\n[ref]\n";
    seeds.push(("markdown", "story.md".into(), markdown.as_bytes().to_vec()));
    seeds
}

/// Hand-made hostile inputs for the regression corpus (`fuzz/regressions/`):
/// truncated headers, length fields at their extremes, self-referencing
/// offsets and deep nesting, each aimed at one parser's arithmetic or
/// recursion. Written by `chorus-fuzz write-seeds` next to the seeds.
pub fn adversarial() -> Vec<(&'static str, String, Vec<u8>)> {
    use crate::media::strip::fixtures as f;

    let mut cases: Vec<(&'static str, &str, Vec<u8>)> = Vec::new();
    let mp4_box = |kind: &[u8; 4], size: u32, body: &[u8]| {
        [size.to_be_bytes().as_slice(), kind, body].concat()
    };
    let ftyp = f::mp4_box(b"ftyp", b"isom\0\0\0\0isom");
    cases.push((
        "mp4",
        "box-size-beyond-file",
        [ftyp.clone(), mp4_box(b"moov", u32::MAX, b"")].concat(),
    ));
    cases.push((
        "mp4",
        "box-size-below-header",
        [ftyp.clone(), mp4_box(b"moov", 4, b"trak")].concat(),
    ));
    cases.push((
        "mp4",
        "largesize-max",
        [ftyp.clone(), mp4_box(b"mdat", 1, &u64::MAX.to_be_bytes())].concat(),
    ));
    let mut nested = b"udta".to_vec();
    for _ in 0..64 {
        let mut outer = u32::try_from(nested.len() + 8)
            .unwrap_or(u32::MAX)
            .to_be_bytes()
            .to_vec();
        outer.extend_from_slice(b"trak");
        outer.extend_from_slice(&nested);
        nested = outer;
    }
    cases.push((
        "mp4",
        "nested-64-deep",
        [ftyp, mp4_box(b"moov", 8 + nested.len() as u32, &nested)].concat(),
    ));

    cases.push((
        "mp3",
        "id3v2-max-size-truncated",
        b"ID3\x04\0\0\x7F\x7F\x7F\x7F".to_vec(),
    ));
    cases.push((
        "mp3",
        "id3v2-not-syncsafe",
        b"ID3\x04\0\0\xFF\xFF\xFF\xFF\xFF\xFB\x90\x64".to_vec(),
    ));
    let mut ape = f::mp3_frames();
    ape.extend_from_slice(
        b"APETAGEX\xD0\x07\0\0\xFF\xFF\xFF\xFF\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    );
    cases.push(("mp3", "ape-size-max", ape));
    cases.push((
        "mp3",
        "only-id3v1",
        [b"TAG".as_slice(), &[b' '; 125]].concat(),
    ));

    let gif_head = b"GIF89a\x01\0\x01\0\0\0\0".to_vec();
    cases.push((
        "gif",
        "sub-block-truncated",
        [gif_head.clone(), b"\x21\xFE\xFFabc".to_vec()].concat(),
    ));
    cases.push((
        "gif",
        "no-trailer",
        [
            gif_head.clone(),
            b"\x2C\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0".to_vec(),
        ]
        .concat(),
    ));
    cases.push((
        "gif",
        "global-table-truncated",
        b"GIF89a\x01\0\x01\0\xF7\0\0\0\0".to_vec(),
    ));

    let png_sig = b"\x89PNG\r\n\x1a\n".to_vec();
    cases.push((
        "png",
        "chunk-length-max",
        [png_sig.clone(), b"\xFF\xFF\xFF\xFFIHDR".to_vec()].concat(),
    ));
    cases.push(("png", "claims-30000x30000", f::png_claiming(30_000, 30_000)));
    cases.push((
        "decode",
        "png-claims-30000x30000",
        f::png_claiming(30_000, 30_000),
    ));
    cases.push((
        "decode",
        "png-claims-4000x4000-data-stops",
        f::png_claiming(4_000, 4_000),
    ));
    cases.push(("decode", "jpeg-truncated", f::truncated_jpeg()));

    cases.push((
        "webp",
        "riff-size-max",
        b"RIFF\xFF\xFF\xFF\xFFWEBPVP8X\x0A\0\0\0\0\0\0\0".to_vec(),
    ));
    cases.push((
        "webp",
        "vp8x-canvas-16384-square",
        b"RIFF\x16\0\0\0WEBPVP8X\x0A\0\0\0\0\0\0\0\xFF\x3F\0\xFF\x3F\0".to_vec(),
    ));

    cases.push((
        "jpeg",
        "segment-length-zero",
        b"\xFF\xD8\xFF\xE1\0\0".to_vec(),
    ));
    cases.push((
        "jpeg",
        "segment-length-max-truncated",
        b"\xFF\xD8\xFF\xE1\xFF\xFFExif\0\0".to_vec(),
    ));
    let mut huge = f::jpeg_with_metadata(6);
    if let Some(sof) = huge.windows(2).position(|w| w == [0xFF, 0xC0]) {
        // The frame header's height and width, at 65535 each.
        if let Some(size) = huge.get_mut(sof + 5..sof + 9) {
            size.copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        }
    }
    cases.push(("jpeg", "rotated-claims-65535-square", huge.clone()));
    cases.push(("decode", "jpeg-claims-65535-square", huge));

    let mut looping = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0".to_vec();
    looping.extend_from_slice(&8u32.to_le_bytes());
    cases.push(("exif", "ifd-points-at-itself", looping));
    cases.push((
        "exif",
        "entry-count-max",
        b"MM\0*\0\0\0\x08\xFF\xFF".to_vec(),
    ));
    cases.push(("exif", "ifd-offset-max", b"MM\0*\xFF\xFF\xFF\xFF".to_vec()));

    cases.push(("cursor", "long", "A".repeat(100_000).into_bytes()));
    cases.push((
        "cursor",
        "sync-time-max",
        b"WQF__________wf_________8A".to_vec(),
    ));
    cases.push((
        "apq",
        "hash-not-hex",
        format!("{}\n{{ a }}", "g".repeat(64)).into_bytes(),
    ));
    cases.push((
        "apq",
        "hash-multibyte",
        format!("{}\n{{ a }}", "é".repeat(32)).into_bytes(),
    ));

    cases.push(("markdown", "nested-quotes", ">".repeat(20_000).into_bytes()));
    cases.push(("markdown", "open-brackets", "[".repeat(20_000).into_bytes()));
    cases.push((
        "markdown",
        "emphasis-runs",
        "*a_".repeat(10_000).into_bytes(),
    ));
    cases.push((
        "markdown",
        "nested-lists",
        (0..300)
            .map(|i| format!("{}- x\n", " ".repeat(i * 2)))
            .collect::<String>()
            .into_bytes(),
    ));
    cases.push((
        "markdown",
        "link-in-link",
        "[a](<".repeat(5_000).into_bytes(),
    ));
    cases.push((
        "slug",
        "combining-marks",
        format!("a{}", "\u{301}".repeat(20_000)).into_bytes(),
    ));
    cases.push(("slug", "dotted-capital-i", "İ".repeat(5_000).into_bytes()));
    cases.push((
        "slug",
        "final-sigma",
        "ΟΔΟΣ ΣΟΦΙΑΣ ".repeat(1_000).into_bytes(),
    ));
    cases.push((
        "sniff",
        "ebml-size-max",
        b"\x1A\x45\xDF\xA3\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x42\x82".to_vec(),
    ));
    cases.push((
        "sniff",
        "ftyp-size-max",
        b"\xFF\xFF\xFF\xFFftypABCD\0\0\0\0".to_vec(),
    ));
    cases
        .into_iter()
        .map(|(target, name, bytes)| (target, name.to_owned(), bytes))
        .collect()
}
