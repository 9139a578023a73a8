//! Regenerate the committed image fixtures:
//!
//! ```sh
//! cargo run -p koho-media --example make_fixtures
//! ```
//!
//! Writes `corpus/images/{with-gps.jpg,plain.jpg,with-gps.png,with-gps.webp}`
//! and identical copies in `crates/koho-media/tests/fixtures/`. Pixel data
//! comes from the `image` crate's encoders; the EXIF (GPS at 神栖市役所),
//! XMP, comment and container structure are hand-built by
//! `tests/support/mod.rs`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let targets = [
        crate_dir.join("../../corpus/images"),
        crate_dir.join("tests/fixtures"),
    ];
    for dir in &targets {
        std::fs::create_dir_all(dir)?;
    }
    let mut log = String::new();
    for (name, bytes) in support::fixtures() {
        // Check before writing: a fixture must be what it claims to be.
        let meta = koho_media::inspect(&bytes)?;
        if name.starts_with("with-gps") != meta.has_gps {
            return Err(format!("{name}: has_gps is {}", meta.has_gps).into());
        }
        for dir in &targets {
            std::fs::write(dir.join(name), &bytes)?;
        }
        log.push_str(&format!(
            "{name}: {} bytes, {:?}\n",
            bytes.len(),
            meta.identifying
        ));
    }
    std::io::Write::write_all(&mut std::io::stderr(), log.as_bytes())?;
    Ok(())
}
