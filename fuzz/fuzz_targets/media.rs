//! Arbitrary bytes as an image: `koho_media::inspect` and `strip` must return for
//! every input and keep the contract `koho_media::fuzzing::check` verifies (they
//! agree on validity; the stripped image is clean, same format, dimensions and
//! orientation; stripping is idempotent and does not grow the file).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = koho_media::fuzzing::check(data) {
        panic!("{violation}");
    }
});
