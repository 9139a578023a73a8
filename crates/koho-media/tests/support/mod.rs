//! Fixture builders shared by the integration tests and `examples/make_fixtures.rs`.
//!
//! Pixel data comes from the `image` crate's encoders; everything around it
//! (EXIF/TIFF structures, XMP, JPEG segments, PNG chunks, RIFF chunks) is
//! built by hand here, independently of the library under test.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use image::{ExtendedColorType, ImageEncoder};

/// 神栖市役所 (Kamisu City Hall), Ibaraki: 35°53'23.28"N 140°39'52.2"E, 5 m.
pub const KAMISU_LAT: f64 = 35.0 + 53.0 / 60.0 + 23.28 / 3600.0;
pub const KAMISU_LON: f64 = 140.0 + 39.0 / 60.0 + 52.2 / 3600.0;

// ---------------------------------------------------------------- pixels

/// A deterministic colourful RGB test pattern.
pub fn rgb_pixels(w: u32, h: u32) -> Vec<u8> {
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            px.push((x * 255 / w.max(1)) as u8);
            px.push((y * 255 / h.max(1)) as u8);
            px.push(if (x / 4 + y / 4) % 2 == 0 { 200 } else { 40 });
        }
    }
    px
}

pub fn rgba_pixels(w: u32, h: u32) -> Vec<u8> {
    rgb_pixels(w, h)
        .chunks(3)
        .enumerate()
        .flat_map(|(i, p)| [p[0], p[1], p[2], if i % 5 == 0 { 128 } else { 255 }])
        .collect()
}

/// Baseline JPEG (JFIF, no other metadata) from the `image` crate.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode(&rgb_pixels(w, h), w, h, ExtendedColorType::Rgb8)
        .expect("encode JPEG");
    out
}

/// PNG (no ancillary chunks) from the `image` crate.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&rgb_pixels(w, h), w, h, ExtendedColorType::Rgb8)
        .expect("encode PNG");
    out
}

/// Simple-format lossless WebP (`RIFF` + one `VP8L` chunk) with alpha.
pub fn webp_lossless(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(&rgba_pixels(w, h), w, h, ExtendedColorType::Rgba8)
        .expect("encode WebP");
    out
}

/// Decode to RGBA8 with the `image` crate.
pub fn decode(bytes: &[u8]) -> Vec<u8> {
    image::load_from_memory(bytes)
        .expect("decodes")
        .to_rgba8()
        .into_raw()
}

// ---------------------------------------------------------------- TIFF / EXIF

#[derive(Clone, Debug)]
pub enum Val {
    Byte(Vec<u8>),
    Ascii(String),
    Short(Vec<u16>),
    Long(Vec<u32>),
    Rational(Vec<(u32, u32)>),
    Undefined(Vec<u8>),
}

pub fn ascii(s: &str) -> Val {
    Val::Ascii(s.to_owned())
}

impl Val {
    fn encode(&self, le: bool) -> (u16, u32, Vec<u8>) {
        let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let u32b = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        match self {
            Val::Byte(v) => (1, v.len() as u32, v.clone()),
            Val::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                (2, b.len() as u32, b)
            }
            Val::Short(v) => (3, v.len() as u32, v.iter().flat_map(|&x| u16b(x)).collect()),
            Val::Long(v) => (4, v.len() as u32, v.iter().flat_map(|&x| u32b(x)).collect()),
            Val::Rational(v) => (
                5,
                v.len() as u32,
                v.iter()
                    .flat_map(|&(n, d)| u32b(n).into_iter().chain(u32b(d)))
                    .collect(),
            ),
            Val::Undefined(v) => (7, v.len() as u32, v.clone()),
        }
    }
}

/// A hand-built EXIF (TIFF) structure: IFD0 with optional Exif and GPS
/// sub-IFDs and an optional IFD1 JPEG thumbnail.
#[derive(Clone, Debug, Default)]
pub struct Exif {
    pub little_endian: bool,
    pub ifd0: Vec<(u16, Val)>,
    pub exif: Vec<(u16, Val)>,
    pub gps: Vec<(u16, Val)>,
    pub thumbnail: Option<Vec<u8>>,
}

fn ifd_size(entries: &[(u16, Val)]) -> usize {
    let ool: usize = entries
        .iter()
        .map(|(_, v)| {
            let len = v.encode(true).2.len();
            if len > 4 { len + len % 2 } else { 0 }
        })
        .sum();
    2 + 12 * entries.len() + 4 + ool
}

fn write_ifd(out: &mut Vec<u8>, le: bool, entries: &[(u16, Val)], next: u32) {
    let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let u32b = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut entries = entries.to_vec();
    entries.sort_by_key(|(tag, _)| *tag);
    let start = out.len();
    let mut ool_at = start + 2 + 12 * entries.len() + 4;
    let mut ool = Vec::new();
    out.extend_from_slice(&u16b(entries.len() as u16));
    for (tag, val) in &entries {
        let (typ, count, data) = val.encode(le);
        out.extend_from_slice(&u16b(*tag));
        out.extend_from_slice(&u16b(typ));
        out.extend_from_slice(&u32b(count));
        if data.len() <= 4 {
            let mut inline = data.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&u32b(ool_at as u32));
            ool.extend_from_slice(&data);
            if data.len() % 2 == 1 {
                ool.push(0);
            }
            ool_at += data.len() + data.len() % 2;
        }
    }
    out.extend_from_slice(&u32b(next));
    out.extend_from_slice(&ool);
}

impl Exif {
    /// The TIFF structure (what follows `Exif\0\0` in a JPEG APP1).
    pub fn to_tiff(&self) -> Vec<u8> {
        let le = self.little_endian;
        let mut ifd0 = self.ifd0.clone();
        if !self.exif.is_empty() {
            ifd0.push((0x8769, Val::Long(vec![0])));
        }
        if !self.gps.is_empty() {
            ifd0.push((0x8825, Val::Long(vec![0])));
        }
        let ifd1: Vec<(u16, Val)> = match &self.thumbnail {
            Some(t) => vec![
                (0x0103, Val::Short(vec![6])),
                (0x011A, Val::Rational(vec![(72, 1)])),
                (0x011B, Val::Rational(vec![(72, 1)])),
                (0x0128, Val::Short(vec![2])),
                (0x0201, Val::Long(vec![0])),
                (0x0202, Val::Long(vec![t.len() as u32])),
            ],
            None => vec![],
        };
        let exif_at = 8 + ifd_size(&ifd0);
        let gps_at = exif_at
            + if self.exif.is_empty() {
                0
            } else {
                ifd_size(&self.exif)
            };
        let ifd1_at = gps_at
            + if self.gps.is_empty() {
                0
            } else {
                ifd_size(&self.gps)
            };
        let thumb_at = ifd1_at + ifd_size(&ifd1);
        for (tag, val) in &mut ifd0 {
            match tag {
                0x8769 => *val = Val::Long(vec![exif_at as u32]),
                0x8825 => *val = Val::Long(vec![gps_at as u32]),
                _ => {}
            }
        }
        let ifd1: Vec<(u16, Val)> = ifd1
            .into_iter()
            .map(|(tag, val)| match tag {
                0x0201 => (tag, Val::Long(vec![thumb_at as u32])),
                _ => (tag, val),
            })
            .collect();

        let mut out = if le {
            b"II*\0\x08\0\0\0".to_vec()
        } else {
            b"MM\0*\0\0\0\x08".to_vec()
        };
        let next = if self.thumbnail.is_some() {
            ifd1_at as u32
        } else {
            0
        };
        write_ifd(&mut out, le, &ifd0, next);
        if !self.exif.is_empty() {
            assert_eq!(out.len(), exif_at);
            write_ifd(&mut out, le, &self.exif, 0);
        }
        if !self.gps.is_empty() {
            assert_eq!(out.len(), gps_at);
            write_ifd(&mut out, le, &self.gps, 0);
        }
        if let Some(thumb) = &self.thumbnail {
            assert_eq!(out.len(), ifd1_at);
            write_ifd(&mut out, le, &ifd1, 0);
            assert_eq!(out.len(), thumb_at);
            out.extend_from_slice(thumb);
        }
        out
    }
}

/// Degrees as EXIF degree/minute/second rationals (seconds in hundredths).
pub fn dms(deg: f64) -> Val {
    let d = deg.abs();
    let whole = d.trunc();
    let minutes = ((d - whole) * 60.0).trunc();
    let centi_seconds = (((d - whole) * 60.0 - minutes) * 60.0 * 100.0).round();
    Val::Rational(vec![
        (whole as u32, 1),
        (minutes as u32, 1),
        (centi_seconds as u32, 100),
    ])
}

/// GPS IFD entries for a position (and altitude in metres).
pub fn gps_entries(lat: f64, lon: f64, alt: Option<u32>) -> Vec<(u16, Val)> {
    let mut v = vec![
        (0x0000, Val::Byte(vec![2, 3, 0, 0])),
        (0x0001, ascii(if lat < 0.0 { "S" } else { "N" })),
        (0x0002, dms(lat)),
        (0x0003, ascii(if lon < 0.0 { "W" } else { "E" })),
        (0x0004, dms(lon)),
    ];
    if let Some(alt) = alt {
        v.push((0x0005, Val::Byte(vec![0])));
        v.push((0x0006, Val::Rational(vec![(alt, 1)])));
    }
    v
}

/// A phone-camera-like EXIF: make/model, orientation, date, serials,
/// maker note, owner, unique ID, GPS at 神栖市役所 and a thumbnail.
pub fn camera_exif(little_endian: bool, orientation: Option<u16>) -> Exif {
    let mut ifd0 = vec![
        (0x010F, ascii("KohoCam")),
        (0x0110, ascii("Model 9")),
        (0x011A, Val::Rational(vec![(72, 1)])),
        (0x011B, Val::Rational(vec![(72, 1)])),
        (0x0128, Val::Short(vec![2])),
        (0x0132, ascii("2024:05:01 10:00:00")),
        (0x0213, Val::Short(vec![1])),
    ];
    if let Some(o) = orientation {
        ifd0.push((0x0112, Val::Short(vec![o])));
    }
    Exif {
        little_endian,
        ifd0,
        exif: vec![
            (0x9000, Val::Undefined(b"0232".to_vec())),
            (0x9101, Val::Undefined(vec![1, 2, 3, 0])),
            (0xA000, Val::Undefined(b"0100".to_vec())),
            (0xA001, Val::Short(vec![1])),
            (0xA002, Val::Short(vec![16])),
            (0xA003, Val::Short(vec![16])),
            (0x9003, ascii("2024:05:01 09:59:58")),
            (0x927C, Val::Undefined(b"VENDOR\0serial=ABC123".to_vec())),
            (0xA430, ascii("Kamisu PR Office")),
            (0xA431, ascii("SN-0042")),
            (0xA420, ascii("0123456789abcdef0123456789abcdef")),
        ],
        gps: gps_entries(KAMISU_LAT, KAMISU_LON, Some(5)),
        thumbnail: Some(vec![0xFF, 0xD8, 0xFF, 0xD9]),
    }
}

/// Only GPS (and optionally orientation) — the smallest realistic case.
pub fn gps_only_exif(little_endian: bool, orientation: Option<u16>) -> Exif {
    Exif {
        little_endian,
        ifd0: orientation
            .map(|o| vec![(0x0112, Val::Short(vec![o]))])
            .unwrap_or_default(),
        gps: gps_entries(KAMISU_LAT, KAMISU_LON, None),
        ..Exif::default()
    }
}

/// Orientation only, as a plain camera would write it.
pub fn orientation_exif(little_endian: bool, orientation: u16) -> Exif {
    Exif {
        little_endian,
        ifd0: vec![(0x0112, Val::Short(vec![orientation]))],
        ..Exif::default()
    }
}

pub fn xmp_packet(with_gps: bool) -> String {
    let gps = if with_gps {
        r#" exif:GPSLatitude="35,53.388N" exif:GPSLongitude="140,39.87E""#
    } else {
        ""
    };
    format!(
        r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Kamisu"{gps}/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#
    )
}

// ---------------------------------------------------------------- JPEG

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

pub fn exif_app1(tiff: &[u8]) -> Vec<u8> {
    let mut p = b"Exif\0\0".to_vec();
    p.extend_from_slice(tiff);
    segment(0xE1, &p)
}

pub fn xmp_app1(xml: &str) -> Vec<u8> {
    let mut p = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    p.extend_from_slice(xml.as_bytes());
    segment(0xE1, &p)
}

pub fn extended_xmp_app1(xml_part: &str, offset: u32, total: u32) -> Vec<u8> {
    let mut p = b"http://ns.adobe.com/xmp/extension/\0".to_vec();
    p.extend_from_slice(b"0123456789ABCDEF0123456789ABCDEF");
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&offset.to_be_bytes());
    p.extend_from_slice(xml_part.as_bytes());
    segment(0xE1, &p)
}

pub fn icc_app2(profile: &[u8]) -> Vec<u8> {
    let mut p = b"ICC_PROFILE\0\x01\x01".to_vec();
    p.extend_from_slice(profile);
    segment(0xE2, &p)
}

/// Insert segments after the leading APP0 (JFIF) if any, else after SOI.
pub fn jpeg_with(base: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let at = if base[2..4] == [0xFF, 0xE0] {
        4 + u16::from_be_bytes([base[4], base[5]]) as usize
    } else {
        2
    };
    let mut out = base[..at].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&base[at..]);
    out
}

/// Marker segments before the first scan (marker, whole segment bytes), and
/// everything from the first SOS marker to the end (scan data and EOI).
pub fn jpeg_split(bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, Vec<u8>) {
    let mut pos = 2;
    let mut segs = Vec::new();
    loop {
        assert_eq!(bytes[pos], 0xFF, "marker expected at {pos}");
        let marker = bytes[pos + 1];
        if marker == 0xDA {
            return (segs, bytes[pos..].to_vec());
        }
        let len = u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]) as usize;
        segs.push((marker, bytes[pos..pos + 2 + len].to_vec()));
        pos += 2 + len;
    }
}

// ---------------------------------------------------------------- PNG

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    c.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    c
}

/// Chunks of a PNG as (type, data).
pub fn png_chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut pos = 8;
    let mut out = Vec::new();
    while pos < bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = bytes[pos + 4..pos + 8].try_into().unwrap();
        out.push((kind, bytes[pos + 8..pos + 8 + len].to_vec()));
        pos += 12 + len;
        if &kind == b"IEND" {
            break;
        }
    }
    out
}

/// Rebuild a PNG from chunks (computing CRCs).
pub fn png_from_chunks(chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    for (kind, data) in chunks {
        out.extend_from_slice(&png_chunk(kind, data));
    }
    out
}

/// Insert chunks right after IHDR.
pub fn png_with(base: &[u8], chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut all = png_chunks(base);
    for (i, c) in chunks.iter().enumerate() {
        all.insert(1 + i, c.clone());
    }
    png_from_chunks(&all)
}

pub fn text_chunk(keyword: &str, text: &str) -> ([u8; 4], Vec<u8>) {
    let mut d = keyword.as_bytes().to_vec();
    d.push(0);
    d.extend_from_slice(text.as_bytes());
    (*b"tEXt", d)
}

pub fn ztxt_chunk(keyword: &str, text: &[u8]) -> ([u8; 4], Vec<u8>) {
    let mut d = keyword.as_bytes().to_vec();
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&miniz_oxide::deflate::compress_to_vec_zlib(text, 9));
    (*b"zTXt", d)
}

pub fn itxt_chunk(keyword: &str, text: &str, compressed: bool) -> ([u8; 4], Vec<u8>) {
    let mut d = keyword.as_bytes().to_vec();
    d.push(0);
    d.push(u8::from(compressed));
    d.push(0);
    d.extend_from_slice(b"ja\0\0");
    if compressed {
        d.extend_from_slice(&miniz_oxide::deflate::compress_to_vec_zlib(
            text.as_bytes(),
            9,
        ));
    } else {
        d.extend_from_slice(text.as_bytes());
    }
    (*b"iTXt", d)
}

/// ImageMagick-style "Raw profile type exif" text (hex of `Exif\0\0` + TIFF).
pub fn raw_profile_exif(tiff: &[u8]) -> Vec<u8> {
    let mut data = b"Exif\0\0".to_vec();
    data.extend_from_slice(tiff);
    let mut text = format!("\nexif\n{:8}\n", data.len());
    for (i, b) in data.iter().enumerate() {
        text.push_str(&format!("{b:02x}"));
        if i % 36 == 35 {
            text.push('\n');
        }
    }
    text.push('\n');
    text.into_bytes()
}

// ---------------------------------------------------------------- WebP

/// Chunks of a RIFF WebP as (fourcc, data).
pub fn riff_chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let end = 8 + u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let mut pos = 12;
    let mut out = Vec::new();
    while pos < end {
        let fourcc: [u8; 4] = bytes[pos..pos + 4].try_into().unwrap();
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        out.push((fourcc, bytes[pos + 8..pos + 8 + len].to_vec()));
        pos += 8 + len + len % 2;
    }
    out
}

pub fn riff_from_chunks(chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    for (fourcc, data) in chunks {
        body.extend_from_slice(fourcc);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

pub fn vp8x(flags: u8, w: u32, h: u32) -> ([u8; 4], Vec<u8>) {
    let mut d = vec![flags, 0, 0, 0];
    d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    (*b"VP8X", d)
}

/// Extended WebP: VP8X (+ICCP) + bitstream of `simple` + EXIF + XMP.
pub fn webp_extended(
    simple: &[u8],
    w: u32,
    h: u32,
    icc: bool,
    exif: Option<&[u8]>,
    xmp: Option<&str>,
) -> Vec<u8> {
    let mut flags = 0x10; // alpha
    let mut chunks = vec![];
    if icc {
        flags |= 0x20;
        chunks.push((*b"ICCP", b"fake icc profile".to_vec()));
    }
    chunks.extend(riff_chunks(simple));
    if let Some(e) = exif {
        flags |= 0x08;
        chunks.push((*b"EXIF", e.to_vec()));
    }
    if let Some(x) = xmp {
        flags |= 0x04;
        chunks.push((*b"XMP ", x.as_bytes().to_vec()));
    }
    chunks.insert(0, vp8x(flags, w, h));
    riff_from_chunks(&chunks)
}

// ---------------------------------------------------------------- fixtures

/// The committed fixture files: (file name, bytes).
pub fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let jpeg_base = jpeg(16, 16);
    let with_gps_jpg = jpeg_with(
        &jpeg_base,
        &[
            exif_app1(&camera_exif(false, Some(6)).to_tiff()),
            segment(0xFE, "撮影: 神栖市広報".as_bytes()),
        ],
    );
    let png_base = png(16, 16);
    let with_gps_png = png_with(
        &png_base,
        &[(*b"eXIf", gps_only_exif(true, Some(1)).to_tiff())],
    );
    let with_gps_webp = webp_extended(
        &webp_lossless(16, 16),
        16,
        16,
        false,
        Some(&gps_only_exif(false, Some(8)).to_tiff()),
        Some(&xmp_packet(true)),
    );
    vec![
        ("with-gps.jpg", with_gps_jpg),
        ("plain.jpg", jpeg_base),
        ("with-gps.png", with_gps_png),
        ("with-gps.webp", with_gps_webp),
    ]
}

// ---------------------------------------------------------------- randomness

/// Small deterministic PRNG (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}
