//! Images of a post: read and checked when a version is saved (location data and people in
//! the picture, as `koho check --image` does), stored stripped of identifying metadata, and
//! held to what every target platform accepts (how many, and alt text where the platform
//! shows it to screen-reader users).

use koho_check::ImageFacts;
use koho_store::{NewPostImage, PostImage};

use crate::posts::error::PostError;

/// An image as the author attached it.
#[derive(Clone)]
pub struct ImageUpload {
    /// The file name (shown in the checker's findings); may be empty.
    pub name: String,
    pub bytes: Vec<u8>,
    /// What the image shows, for screen readers.
    pub alt_text: Option<String>,
}

impl std::fmt::Debug for ImageUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageUpload")
            .field("name", &self.name)
            .field("len", &self.bytes.len())
            .field("alt_text", &self.alt_text)
            .finish()
    }
}

/// What a platform takes: at most `max_images`, and whether it carries alt text.
///
/// The same values as each koho-connect connector's `Capabilities` (a test holds them
/// together); kept here because a draft is checked long before any connector exists.
pub fn platform_limits(platform: &str) -> Option<(usize, bool)> {
    Some(match platform {
        "x" | "mastodon" | "bluesky" => (4, true),
        "facebook" | "instagram" => (10, true),
        "threads" => (20, true),
        "misskey" => (16, true),
        "line" => (4, false),
        _ => return None,
    })
}

/// Images ready to store, and what the checker needs to know about them.
pub(crate) struct Prepared {
    pub store: Vec<NewPostImage>,
    pub facts: Vec<ImageFacts>,
}

fn display_name(index: usize, name: &str, alt: Option<&str>) -> String {
    if !name.trim().is_empty() {
        return name.trim().to_owned();
    }
    alt.map_or_else(|| format!("{}枚目の画像", index + 1), str::to_owned)
}

fn clean_alt(alt: Option<&str>) -> Option<String> {
    alt.map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// Holds the images to every platform's limits.
fn check_platforms(
    count: usize,
    alts: &[Option<String>],
    platforms: &[String],
) -> Result<(), PostError> {
    for p in platforms {
        let Some((max, alt)) = platform_limits(p) else {
            continue;
        };
        if count > max {
            return Err(PostError::TooManyImages {
                count,
                max,
                platform: p.clone(),
            });
        }
        if alt && let Some(index) = alts.iter().position(Option::is_none) {
            return Err(PostError::AltTextRequired {
                index,
                platform: p.clone(),
            });
        }
    }
    Ok(())
}

/// Reads the author's images: their metadata for the checker (GPS), the bytes stripped of
/// location and identifying metadata for storage.
pub(crate) fn prepare(
    uploads: &[ImageUpload],
    platforms: &[String],
) -> Result<Prepared, PostError> {
    let alts: Vec<Option<String>> = uploads
        .iter()
        .map(|u| clean_alt(u.alt_text.as_deref()))
        .collect();
    check_platforms(uploads.len(), &alts, platforms)?;
    let mut store = Vec::with_capacity(uploads.len());
    let mut facts = Vec::with_capacity(uploads.len());
    for (index, (u, alt)) in uploads.iter().zip(alts).enumerate() {
        let meta = koho_media::inspect(&u.bytes).map_err(|e| PostError::BadImage {
            index,
            detail: e.to_string(),
        })?;
        let stripped = koho_media::strip(&u.bytes).map_err(|e| PostError::BadImage {
            index,
            detail: e.to_string(),
        })?;
        facts.push(ImageFacts {
            name: display_name(index, &u.name, alt.as_deref()),
            has_gps: meta.has_gps,
        });
        store.push(NewPostImage {
            mime: meta.format.mime_type().to_owned(),
            alt_text: alt,
            has_gps: meta.has_gps,
            bytes: stripped,
        });
    }
    Ok(Prepared { store, facts })
}

/// The images of a stored version, carried into the next version unchanged (checked again
/// against the accounts, which may have changed).
pub(crate) fn carry_over(
    images: &[PostImage],
    platforms: &[String],
) -> Result<Prepared, PostError> {
    let alts: Vec<Option<String>> = images.iter().map(|i| i.alt_text.clone()).collect();
    check_platforms(images.len(), &alts, platforms)?;
    Ok(Prepared {
        store: images
            .iter()
            .map(|i| NewPostImage {
                mime: i.mime.clone(),
                alt_text: i.alt_text.clone(),
                has_gps: i.has_gps,
                bytes: i.bytes.clone(),
            })
            .collect(),
        facts: images
            .iter()
            .enumerate()
            .map(|(index, i)| ImageFacts {
                name: display_name(index, "", i.alt_text.as_deref()),
                has_gps: i.has_gps,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const WITH_GPS_JPG: &[u8] = include_bytes!("../../../koho-media/tests/fixtures/with-gps.jpg");

    #[test]
    fn limits_agree_with_the_connectors() {
        use koho_connect::Platform;
        for p in Platform::ALL.iter().copied() {
            let url = match p {
                Platform::Bluesky | Platform::Mastodon | Platform::Misskey => {
                    Some("https://social.example.jp")
                }
                _ => None,
            };
            match koho_connect::factory::connector_for(p, url, None) {
                Ok(c) => {
                    let caps = c.capabilities();
                    assert_eq!(
                        platform_limits(p.id()),
                        Some((caps.max_images, caps.alt_text)),
                        "{}",
                        p.id()
                    );
                }
                Err(_) => assert_eq!(platform_limits(p.id()), None, "{}", p.id()),
            }
        }
    }

    #[test]
    fn gps_is_found_and_stripped_and_alt_text_is_required_where_shown() {
        let up = ImageUpload {
            name: "photo.jpg".into(),
            bytes: WITH_GPS_JPG.to_vec(),
            alt_text: None,
        };
        let e = prepare(std::slice::from_ref(&up), &["x".into()])
            .err()
            .expect("x shows alt text");
        assert_eq!(e.code(), "POST_ALT_TEXT_REQUIRED");
        assert!(e.ja().contains("代替テキスト"), "{}", e.ja());
        // LINE carries no alt text: none is asked for.
        let p = prepare(std::slice::from_ref(&up), &["line".into()]).unwrap();
        assert!(p.facts[0].has_gps);
        assert!(p.store[0].has_gps);
        assert_eq!(p.store[0].mime, "image/jpeg");
        assert!(koho_media::inspect(&p.store[0].bytes).unwrap().is_clean());

        let with_alt = ImageUpload {
            alt_text: Some(" 桜の咲く公園 ".into()),
            ..up
        };
        let p = prepare(
            std::slice::from_ref(&with_alt),
            &["x".into(), "facebook".into()],
        )
        .unwrap();
        assert_eq!(p.store[0].alt_text.as_deref(), Some("桜の咲く公園"));
        let e = prepare(&vec![with_alt; 5], &["x".into()]).err().unwrap();
        assert_eq!(e.code(), "POST_TOO_MANY_IMAGES");

        let bad = ImageUpload {
            name: "a.txt".into(),
            bytes: b"not an image".to_vec(),
            alt_text: Some("x".into()),
        };
        assert_eq!(prepare(&[bad], &[]).err().unwrap().code(), "POST_BAD_IMAGE");
    }
}
