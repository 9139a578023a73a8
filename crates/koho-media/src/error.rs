//! The error type returned by [`crate::inspect`] and [`crate::strip`].

use std::fmt;

use crate::ImageFormat;

/// Why an image could not be inspected or stripped.
///
/// `Display` is English and meant for logs; [`MediaError::code`] is a stable,
/// machine-readable identifier meant for APIs, metrics and translated UI text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// The input has no bytes at all.
    Empty,
    /// The input is not a JPEG, PNG or WebP file.
    UnknownFormat,
    /// The input ends before the container structure is complete
    /// (for example a JPEG without its end-of-image marker).
    Truncated {
        /// Container format recognised from the signature.
        format: ImageFormat,
        /// Byte offset at which more data was needed.
        offset: usize,
    },
    /// The container structure is invalid.
    Malformed {
        /// Container format recognised from the signature.
        format: ImageFormat,
        /// Byte offset of the offending structure.
        offset: usize,
        /// Short English description of what is wrong.
        reason: &'static str,
    },
    /// A PNG chunk's CRC-32 does not match its contents.
    BadChecksum {
        /// The chunk type, e.g. `*b"IDAT"`.
        chunk: [u8; 4],
        /// Byte offset of the chunk's length field.
        offset: usize,
    },
    /// The image has no header giving its dimensions
    /// (JPEG without a start-of-frame, PNG without IHDR, WebP without a bitstream header).
    MissingImageHeader {
        /// Container format recognised from the signature.
        format: ImageFormat,
    },
}

impl MediaError {
    /// A stable identifier for this kind of error, e.g. `"media.truncated"`.
    ///
    /// The set of codes only grows; an existing code never changes meaning.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "media.empty",
            Self::UnknownFormat => "media.unknown_format",
            Self::Truncated { .. } => "media.truncated",
            Self::Malformed { .. } => "media.malformed",
            Self::BadChecksum { .. } => "media.bad_checksum",
            Self::MissingImageHeader { .. } => "media.missing_image_header",
        }
    }

    /// The container format the error occurred in, when one was recognised.
    #[must_use]
    pub fn format(&self) -> Option<ImageFormat> {
        match self {
            Self::Empty | Self::UnknownFormat => None,
            Self::BadChecksum { .. } => Some(ImageFormat::Png),
            Self::Truncated { format, .. }
            | Self::Malformed { format, .. }
            | Self::MissingImageHeader { format } => Some(*format),
        }
    }
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("image is empty"),
            Self::UnknownFormat => f.write_str("not a JPEG, PNG or WebP image"),
            Self::Truncated { format, offset } => {
                write!(f, "{format} image is truncated at byte {offset}")
            }
            Self::Malformed {
                format,
                offset,
                reason,
            } => write!(f, "{format} image is malformed at byte {offset}: {reason}"),
            Self::BadChecksum { chunk, offset } => write!(
                f,
                "PNG chunk {} at byte {offset} has a wrong CRC",
                String::from_utf8_lossy(chunk)
            ),
            Self::MissingImageHeader { format } => {
                write!(f, "{format} image has no header giving its dimensions")
            }
        }
    }
}

impl std::error::Error for MediaError {}

/// Shorthand constructors used by the format modules.
pub(crate) fn truncated(format: ImageFormat, offset: usize) -> MediaError {
    MediaError::Truncated { format, offset }
}

pub(crate) fn malformed(format: ImageFormat, offset: usize, reason: &'static str) -> MediaError {
    MediaError::Malformed {
        format,
        offset,
        reason,
    }
}
