//! Entry point for fuzzers (cargo-fuzz, AFL, proptest).
//!
//! [`inspect`] and [`strip`] are total: they return for every input, without
//! panicking, looping forever or allocating more than a small multiple of the
//! input. [`check`] additionally verifies the properties stripping promises,
//! so a fuzz target only has to turn an `Err` into a crash:
//!
//! ```
//! // fuzz/fuzz_targets/media.rs (cargo-fuzz):
//! // libfuzzer_sys::fuzz_target!(|data: &[u8]| {
//! //     if let Err(violation) = koho_media::fuzzing::check(data) {
//! //         panic!("{violation}");
//! //     }
//! // });
//! assert!(koho_media::fuzzing::check(b"\xFF\xD8 not really a JPEG").is_ok());
//! ```

use crate::{inspect, strip};

/// Bytes stripping may add: a minimal EXIF block and a VP8X chunk.
const MAX_GROWTH: usize = 64;

/// Run [`inspect`] and [`strip`] on `data` and check their contract.
///
/// # Errors
/// A description of the first violated property:
/// - `inspect` and `strip` agree on whether the input is acceptable;
/// - the stripped image inspects cleanly ([`crate::ImageMeta::is_clean`]),
///   with the same format and dimensions and the same orientation;
/// - stripping is idempotent;
/// - the output is at most slightly larger than the input.
pub fn check(data: &[u8]) -> Result<(), &'static str> {
    let meta = inspect(data);
    let stripped = strip(data);
    let (meta, stripped) = match (meta, stripped) {
        (Ok(meta), Ok(stripped)) => (meta, stripped),
        (Err(a), Err(b)) if a == b => return Ok(()),
        (Err(_), Err(_)) => return Err("inspect and strip report different errors"),
        _ => return Err("inspect and strip disagree on whether the input is valid"),
    };
    if stripped.len() > data.len() + MAX_GROWTH {
        return Err("stripped output grew");
    }
    let after = inspect(&stripped).map_err(|_| "stripped output does not inspect")?;
    if !after.is_clean() {
        return Err("stripped output still has identifying metadata");
    }
    if (after.format, after.width, after.height) != (meta.format, meta.width, meta.height) {
        return Err("stripped output changed format or dimensions");
    }
    let expected_orientation = meta.orientation.filter(|&o| o != 1);
    if after.orientation != expected_orientation {
        return Err("stripped output lost or changed the orientation");
    }
    let again = strip(&stripped).map_err(|_| "stripped output does not strip")?;
    if again != stripped {
        return Err("stripping is not idempotent");
    }
    Ok(())
}
