//! Accumulates what the format parsers find and turns it into [`ImageMeta`].

use crate::{GpsPosition, ImageFormat, ImageMeta, MetaKind};

#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) kinds: Vec<MetaKind>,
    pub(crate) gps: Option<GpsPosition>,
    pub(crate) has_gps: bool,
    pub(crate) orientation: Option<u16>,
}

impl Found {
    pub(crate) fn add(&mut self, kind: MetaKind) {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
    }

    /// The orientation to re-emit when stripping: present and not the identity.
    pub(crate) fn orientation_to_keep(&self) -> Option<u16> {
        self.orientation.filter(|&o| o != 1)
    }

    pub(crate) fn into_meta(mut self, format: ImageFormat, width: u32, height: u32) -> ImageMeta {
        if self.has_gps || self.gps.is_some() {
            self.has_gps = true;
            self.add(MetaKind::Gps);
        }
        self.kinds.sort_unstable();
        ImageMeta {
            format,
            width,
            height,
            gps: self.gps,
            has_gps: self.has_gps,
            orientation: self.orientation,
            identifying: self.kinds,
        }
    }
}
