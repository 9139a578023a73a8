//! Offline Japanese morphological analysis for koho.
//!
//! The checker uses this crate to find which parts of a post are person names
//! (surname / given name), places and organisations. It segments text with
//! [lindera](https://crates.io/crates/lindera) over IPADIC (mecab-ipadic
//! 2.7.0), compiled by the build script from sources committed in `dict/` and
//! embedded in the binary: nothing is read from disk or the network at run
//! time.
//!
//! A municipality adds its own words (places, departments, official names…)
//! at run time with [`Analyzer::with_user_words`]; they take precedence over
//! IPADIC's segmentation.
//!
//! ```
//! use koho_dict::{Analyzer, Tag};
//!
//! let analyzer = Analyzer::new()?;
//! let text = "山田太郎さんが来庁しました";
//! let tokens = analyzer.tokens(text);
//! assert_eq!(tokens[0].surface, "山田");
//! assert_eq!(tokens[0].tag, Tag::Surname);
//! assert_eq!(&text[tokens[1].start..tokens[1].end], "太郎");
//! assert_eq!(tokens[1].tag, Tag::GivenName);
//! # Ok::<(), koho_dict::DictError>(())
//! ```
//!
//! No lindera type appears in the public API, so the engine can be swapped.

mod engine;
mod tag;

/// IPADIC's copyright notice and licence (Debian's copyright file of
/// `mecab-ipadic`). IPADIC's licence requires it to accompany every copy, and
/// every binary that uses this crate holds a copy: show or ship it, e.g. on a
/// "licences" page.
pub const IPADIC_NOTICE: &str = include_str!("../dict/IPADIC-COPYRIGHT");

use std::fmt;

/// A morphological analyser: the embedded IPADIC plus, optionally, a
/// municipality's own words.
///
/// Build it once (loading takes about a millisecond, building user words a
/// little more) and share it: it is `Send + Sync`, and `Clone` is cheap (the
/// dictionaries are reference-counted).
#[derive(Clone)]
pub struct Analyzer {
    engine: engine::Engine,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("user_words", &self.engine.user_word_count())
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    /// An analyser over the embedded IPADIC only.
    ///
    /// # Errors
    ///
    /// [`DictError::EmbeddedDictionary`] if the embedded dictionary cannot be
    /// read, which would mean a broken build rather than bad input.
    pub fn new() -> Result<Self, DictError> {
        Ok(Self {
            engine: engine::Engine::new(&[])?,
        })
    }

    /// An analyser over the embedded IPADIC plus `words`.
    ///
    /// A user word is always one token when it occurs in the text, whatever
    /// IPADIC would have made of it (「秘書広報室」 is one
    /// [`Tag::Organization`] token, not 秘書 + 広報 + 室), and is tagged from
    /// its [`WordKind`] (see [`WordKind::tag`]); its [`Token::origin`] is
    /// [`Origin::User`]. When several words share a surface, the first one
    /// wins. Surrounding whitespace of surfaces and readings is trimmed.
    ///
    /// # Errors
    ///
    /// [`DictError::InvalidUserWord`] for a word whose surface is empty, longer
    /// than [`MAX_USER_WORD_CHARS`] characters or holds a control character
    /// (such a word could never match: the analyser splits text at line
    /// breaks and tabs), or whose reading holds a control character;
    /// [`DictError::UserDictionary`] if the engine rejects the words;
    /// [`DictError::EmbeddedDictionary`] as for [`Analyzer::new`].
    pub fn with_user_words(words: &[UserWord]) -> Result<Self, DictError> {
        Ok(Self {
            engine: engine::Engine::new(words)?,
        })
    }

    /// Splits `text` into tokens, in text order.
    ///
    /// Never panics, whatever the `&str`. Tokens are in order, do not overlap
    /// and cover the whole text except whitespace (ASCII and full-width
    /// spaces, tabs, line breaks: anything [`char::is_whitespace`]), which
    /// produces no token. Each token's `start..end` are byte offsets into
    /// `text` with `&text[start..end] == surface`.
    ///
    /// Text is analysed sentence by sentence (split at 「。」, 「、」, line
    /// breaks and tabs), so a name is never recognised across those.
    pub fn tokens<'a>(&'a self, text: &'a str) -> Vec<Token<'a>> {
        self.engine.tokens(text)
    }
}

/// A token of analysed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token<'a> {
    /// Byte offset of the first byte of the token in the analysed text.
    pub start: usize,
    /// Byte offset one past the last byte of the token in the analysed text.
    pub end: usize,
    /// The token's text, `&text[start..end]`.
    pub surface: &'a str,
    /// What kind of word this is.
    pub tag: Tag,
    /// Reading in katakana, when the dictionary knows it (never for unknown
    /// words, and for user words only when one was given).
    pub reading: Option<&'a str>,
    /// Where the word came from: weigh [`Origin::Unknown`] tags as guesses.
    pub origin: Origin,
}

/// Part of speech of a token, coarse-grained for the checker.
///
/// Mapped from IPADIC's part of speech (品詞) as follows; the first matching
/// line wins.
///
/// | IPADIC                         | `Tag`            |
/// |--------------------------------|------------------|
/// | 名詞,固有名詞,人名,姓          | `Surname`        |
/// | 名詞,固有名詞,人名,名          | `GivenName`      |
/// | 名詞,固有名詞,人名,一般        | `PersonName`     |
/// | 名詞,固有名詞,地域,*           | `Place`          |
/// | 名詞,固有名詞,組織             | `Organization`   |
/// | 名詞,固有名詞,*                | `ProperNoun`     |
/// | 名詞,数                        | `Number`         |
/// | 名詞,* (incl. suffixes 〜さん, 〜市) | `Noun`     |
/// | 動詞                           | `Verb`           |
/// | 形容詞                         | `Adjective`      |
/// | 助詞                           | `Particle`       |
/// | 助動詞                         | `AuxVerb`        |
/// | 記号                           | `Symbol`         |
/// | anything else (副詞, 連体詞, 接続詞, 感動詞, 接頭詞, フィラー, その他) | `Other` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Tag {
    /// Family name (姓).
    Surname,
    /// Given name (名).
    GivenName,
    /// A person's name not known to be a surname or given name (人名,一般),
    /// and user words of kind [`WordKind::Person`].
    PersonName,
    /// Place name (地域): prefectures, municipalities, districts, countries.
    Place,
    /// Organisation (組織): companies, schools, agencies, departments.
    Organization,
    /// Other proper noun (固有名詞,一般).
    ProperNoun,
    /// Common noun.
    Noun,
    /// Verb.
    Verb,
    /// Adjective (形容詞; 形容動詞 stems are nouns in IPADIC).
    Adjective,
    /// Particle (助詞).
    Particle,
    /// Auxiliary verb (助動詞).
    AuxVerb,
    /// Symbol or punctuation (記号).
    Symbol,
    /// Number (名詞,数).
    Number,
    /// Anything else.
    Other,
}

impl Tag {
    /// Whether the tag is one of the person-name tags: [`Tag::Surname`],
    /// [`Tag::GivenName`] or [`Tag::PersonName`].
    pub fn is_person_name(self) -> bool {
        matches!(self, Tag::Surname | Tag::GivenName | Tag::PersonName)
    }
}

/// Where a token's entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// An IPADIC entry.
    Dictionary,
    /// A user word of this kind (see [`Analyzer::with_user_words`]).
    User(WordKind),
    /// No dictionary knows the word; its tag is the engine's guess from the
    /// characters (IPADIC guesses unknown katakana or kanji runs may be names
    /// or organisations).
    Unknown,
}

/// A municipality's own word, added at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserWord {
    /// The word as written, e.g. 「秘書広報室」.
    pub surface: String,
    /// Its reading in katakana, e.g. 「ヒショコウホウシツ」, if known.
    pub reading: Option<String>,
    /// What the word is.
    pub kind: WordKind,
}

impl UserWord {
    /// A user word without a reading.
    pub fn new(surface: impl Into<String>, kind: WordKind) -> Self {
        Self {
            surface: surface.into(),
            reading: None,
            kind,
        }
    }

    /// The same word with `reading`.
    #[must_use]
    pub fn with_reading(mut self, reading: impl Into<String>) -> Self {
        self.reading = Some(reading.into());
        self
    }
}

/// Maximum length of a user word's surface, in characters.
pub const MAX_USER_WORD_CHARS: usize = 128;

/// What a [`UserWord`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordKind {
    /// A place: district, town, street, facility location (e.g. 和泉本町).
    Place,
    /// An organisation outside the municipality (e.g. 社会福祉協議会).
    Organization,
    /// A department of the municipality (e.g. 秘書広報室).
    Department,
    /// An official name of a programme, facility, event or mascot.
    OfficialName,
    /// A person's full name (e.g. a mayor's name as one token).
    Person,
}

impl WordKind {
    /// The tag that tokens of this kind get: `Place` → [`Tag::Place`],
    /// `Organization` and `Department` → [`Tag::Organization`],
    /// `OfficialName` → [`Tag::ProperNoun`], `Person` → [`Tag::PersonName`].
    /// The kind itself stays available in [`Origin::User`].
    pub fn tag(self) -> Tag {
        match self {
            WordKind::Place => Tag::Place,
            WordKind::Organization | WordKind::Department => Tag::Organization,
            WordKind::OfficialName => Tag::ProperNoun,
            WordKind::Person => Tag::PersonName,
        }
    }
}

/// Why an [`Analyzer`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DictError {
    /// The dictionary embedded at build time could not be loaded (a build
    /// problem, not an input problem).
    EmbeddedDictionary(String),
    /// A user word is unusable.
    InvalidUserWord {
        /// Its index in the slice given to [`Analyzer::with_user_words`].
        index: usize,
        /// Its surface as given.
        surface: String,
        /// What is wrong with it, in English.
        reason: &'static str,
    },
    /// The engine could not build the user dictionary.
    UserDictionary(String),
}

impl fmt::Display for DictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DictError::EmbeddedDictionary(detail) => {
                write!(f, "cannot load the embedded IPADIC dictionary: {detail}")
            }
            DictError::InvalidUserWord {
                index,
                surface,
                reason,
            } => write!(f, "user word #{index} {surface:?} is invalid: {reason}"),
            DictError::UserDictionary(detail) => {
                write!(f, "cannot build the user dictionary: {detail}")
            }
        }
    }
}

impl std::error::Error for DictError {}
