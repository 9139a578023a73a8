//! Image metadata inspection and stripping for koho.
//!
//! Municipal social-media guidelines forbid location data in posts (for example
//! 神栖市 guideline, article 9 item 7) and require consent for identifiable people
//! in photos. koho therefore [`inspect`]s every attached image before
//! publication and [`strip`]s identifying metadata before upload.
//!
//! The crate is pure: no I/O, no allocation proportional to lengths claimed
//! by the input, no panics. Both functions take bytes and are total on
//! arbitrary input: they return a [`MediaError`] for anything that is not a
//! complete, well-formed JPEG, PNG or WebP container.
//!
//! Stripping never re-encodes pixels: JPEG entropy-coded segments, PNG `IDAT`
//! chunks and WebP bitstream chunks are copied byte for byte. The colour
//! profile is kept, and so is the EXIF orientation, which is re-emitted as a
//! minimal EXIF block holding only the Orientation tag when it was not 1.
//!
//! ```
//! # fn demo(upload: &[u8]) -> Result<(), koho_media::MediaError> {
//! let meta = koho_media::inspect(upload)?;
//! if meta.has_gps {
//!     // warn the operator; the position is in `meta.gps` when decodable
//! }
//! let clean = koho_media::strip(upload)?;
//! assert!(koho_media::inspect(&clean)?.is_clean());
//! # Ok(()) }
//! ```

mod bytes;
mod crc;
mod error;
pub mod fuzzing;
mod inflate;
mod jpeg;
mod meta;
mod png;
mod tiff;
mod webp;
mod xmp;

use std::fmt;

pub use error::MediaError;

/// Container format of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG / JFIF / EXIF (`image/jpeg`).
    Jpeg,
    /// Portable Network Graphics, including APNG (`image/png`).
    Png,
    /// WebP in a RIFF container, lossy, lossless or extended (`image/webp`).
    WebP,
}

impl ImageFormat {
    /// The IANA media type, e.g. `"image/jpeg"`.
    #[must_use]
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    /// The usual file extension without a dot, e.g. `"jpg"`.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::WebP => "WebP",
        })
    }
}

/// A GPS position decoded from EXIF or XMP, in decimal degrees (WGS 84).
///
/// North and east are positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsPosition {
    /// Latitude in degrees, −90 ..= 90.
    pub latitude: f64,
    /// Longitude in degrees, −180 ..= 180.
    pub longitude: f64,
    /// Altitude in metres above sea level, when recorded (negative below).
    pub altitude: Option<f64>,
}

/// A kind of metadata found in an image.
///
/// Everything except [`MetaKind::IccProfile`] and [`MetaKind::Orientation`] is
/// removed by [`strip`]; see [`MetaKind::is_identifying`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum MetaKind {
    /// An EXIF block holding more than the Orientation tag.
    Exif,
    /// GPS coordinates (EXIF GPS IFD with position tags, or XMP `GPSLatitude`/`GPSLongitude`).
    Gps,
    /// Textual location (XMP/IPTC city, state, sublocation, location shown/created).
    Location,
    /// XMP packet, including JPEG extended XMP.
    Xmp,
    /// IPTC / Photoshop image resources (JPEG APP13, PNG raw IPTC profile, TIFF IPTC tag).
    Iptc,
    /// A free-text comment (JPEG COM, EXIF UserComment/ImageDescription/XPComment, PNG `Comment`).
    Comment,
    /// Camera-vendor MakerNote (often holds serial numbers and more).
    MakerNote,
    /// Camera body or lens serial number.
    CameraSerial,
    /// Camera owner or artist name.
    OwnerName,
    /// EXIF ImageUniqueID.
    ImageUniqueId,
    /// Camera make or model.
    CameraModel,
    /// EXIF DateTimeOriginal (when the photo was taken).
    DateTimeOriginal,
    /// An embedded preview image (EXIF IFD1, JFIF or JFXX thumbnail).
    Thumbnail,
    /// Multi-picture data (JPEG MPF): further images appended after the main one.
    MultiPicture,
    /// PNG `tEXt`, `zTXt` or `iTXt` chunk.
    TextChunk,
    /// PNG `tIME` modification time.
    Timestamp,
    /// Another metadata segment or chunk of no listed kind (unknown JPEG APPn,
    /// unknown PNG or WebP ancillary chunk).
    OtherMetadata,
    /// Bytes after the end of the image (JPEG after EOI, PNG after IEND, WebP after the RIFF).
    TrailingData,
    /// A metadata block that could not be fully parsed; treat as identifying.
    Malformed,
    /// ICC colour profile. Kept by [`strip`].
    IccProfile,
    /// EXIF Orientation tag. Kept by [`strip`] (as a minimal EXIF block) when not 1.
    Orientation,
}

impl MetaKind {
    /// Whether [`strip`] removes this kind. False only for
    /// [`MetaKind::IccProfile`] and [`MetaKind::Orientation`].
    #[must_use]
    pub fn is_identifying(self) -> bool {
        !matches!(self, Self::IccProfile | Self::Orientation)
    }
}

/// What [`inspect`] found in an image.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImageMeta {
    /// Container format.
    pub format: ImageFormat,
    /// Width in pixels (JPEG SOF, PNG IHDR, WebP canvas or bitstream header).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The GPS position, when one could be decoded (EXIF first, then XMP).
    pub gps: Option<GpsPosition>,
    /// Whether any GPS position data is present, decodable or not.
    pub has_gps: bool,
    /// The EXIF Orientation (1 ..= 8), when present and valid.
    pub orientation: Option<u16>,
    /// Every kind of metadata present, sorted and without duplicates.
    /// Despite the name this also lists the kept kinds
    /// ([`MetaKind::IccProfile`], [`MetaKind::Orientation`]).
    pub identifying: Vec<MetaKind>,
}

impl ImageMeta {
    /// True when no metadata that [`strip`] would remove is present.
    /// Always true for the output of [`strip`].
    #[must_use]
    pub fn is_clean(&self) -> bool {
        !self.has_gps && !self.identifying.iter().any(|k| k.is_identifying())
    }

    /// Whether `kind` is present.
    #[must_use]
    pub fn contains(&self, kind: MetaKind) -> bool {
        self.identifying.contains(&kind)
    }
}

/// Recognise the container format from the first bytes.
///
/// Returns `None` for anything else, including inputs too short to tell.
#[must_use]
pub fn detect_format(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(&png::SIGNATURE) {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// Classify an input that [`detect_format`] did not recognise: a proper
/// prefix of a signature is a truncated image, anything else is unknown.
fn undetected(bytes: &[u8]) -> MediaError {
    if bytes.is_empty() {
        return MediaError::Empty;
    }
    let prefix_of = |sig: &[u8]| bytes.len() < sig.len() && sig.starts_with(bytes);
    if prefix_of(&[0xFF, 0xD8]) {
        error::truncated(ImageFormat::Jpeg, bytes.len())
    } else if prefix_of(&png::SIGNATURE) {
        error::truncated(ImageFormat::Png, bytes.len())
    } else if bytes.len() < 12
        && bytes.iter().zip(b"RIFF").all(|(a, b)| a == b)
        && bytes.get(8..).is_none_or(|tail| b"WEBP".starts_with(tail))
    {
        error::truncated(ImageFormat::WebP, bytes.len())
    } else {
        MediaError::UnknownFormat
    }
}

/// Read the metadata of a JPEG, PNG or WebP image without changing it.
///
/// # Errors
/// [`MediaError`] when the input is empty, of an unknown format, truncated or
/// structurally invalid. Malformed *metadata* inside a valid container is not
/// an error: it is reported as [`MetaKind::Malformed`].
pub fn inspect(bytes: &[u8]) -> Result<ImageMeta, MediaError> {
    match detect_format(bytes) {
        Some(ImageFormat::Jpeg) => jpeg::inspect(bytes),
        Some(ImageFormat::Png) => png::inspect(bytes),
        Some(ImageFormat::WebP) => webp::inspect(bytes),
        None => Err(undetected(bytes)),
    }
}

/// Remove location and other identifying metadata, without re-encoding pixels.
///
/// Kept: the image data byte for byte, the ICC colour profile, colour and
/// layout information (JFIF, Adobe APP14, PNG `sRGB`/`gAMA`/`cHRM`/`pHYs`/…,
/// WebP animation and alpha), and the EXIF orientation when it was not 1,
/// re-emitted as a minimal EXIF block holding only that tag. Removed:
/// everything [`MetaKind::is_identifying`] lists, including thumbnails and
/// bytes after the end of the image.
///
/// The result is stable: `strip(&strip(x)?)? == strip(x)?`.
///
/// # Errors
/// The same as [`inspect`]: an input that does not inspect does not strip.
pub fn strip(bytes: &[u8]) -> Result<Vec<u8>, MediaError> {
    match detect_format(bytes) {
        Some(ImageFormat::Jpeg) => jpeg::strip(bytes),
        Some(ImageFormat::Png) => png::strip(bytes),
        Some(ImageFormat::WebP) => webp::strip(bytes),
        None => Err(undetected(bytes)),
    }
}
