//! The social-media services koho knows.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    X,
    Facebook,
    Instagram,
    Line,
    Bluesky,
    Mastodon,
    Misskey,
    Threads,
    Youtube,
    Blog,
}

impl Platform {
    pub const ALL: &'static [Platform] = &[
        Platform::X,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Line,
        Platform::Bluesky,
        Platform::Mastodon,
        Platform::Misskey,
        Platform::Threads,
        Platform::Youtube,
        Platform::Blog,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Line => "line",
            Platform::Bluesky => "bluesky",
            Platform::Mastodon => "mastodon",
            Platform::Misskey => "misskey",
            Platform::Threads => "threads",
            Platform::Youtube => "youtube",
            Platform::Blog => "blog",
        }
    }

    pub fn from_id(s: &str) -> Option<Platform> {
        Platform::ALL.iter().copied().find(|p| p.id() == s)
    }

    /// The name staff know it by.
    pub fn label(self) -> &'static str {
        match self {
            Platform::X => "X（旧Twitter）",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Line => "LINE公式アカウント",
            Platform::Bluesky => "Bluesky",
            Platform::Mastodon => "Mastodon",
            Platform::Misskey => "Misskey",
            Platform::Threads => "Threads",
            Platform::Youtube => "YouTube",
            Platform::Blog => "ブログ",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
