//! The fixed set of check categories. Ids are part of koho's public contract (CLI
//! JSON, API, corpus labels); a guideline enables a subset with its own severities.

use serde::Serialize;

macro_rules! categories {
    ($( $variant:ident = $id:literal, $ja:literal; )*) => {
        /// A kind of content a guideline may prohibit or warn about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Category { $( $variant, )* }

        impl Category {
            pub const ALL: &'static [Category] = &[ $( Category::$variant, )* ];

            /// The stable id, e.g. `personal-info`.
            pub fn id(self) -> &'static str {
                match self { $( Category::$variant => $id, )* }
            }

            /// The name shown to staff.
            pub fn label_ja(self) -> &'static str {
                match self { $( Category::$variant => $ja, )* }
            }

            pub fn from_id(id: &str) -> Option<Category> {
                match id { $( $id => Some(Category::$variant), )* _ => None }
            }
        }
    };
}

categories! {
    PersonalInfo = "personal-info", "個人情報";
    Discrimination = "discrimination", "差別的表現";
    Insult = "insult", "誹謗中傷・侮辱";
    Illegal = "illegal", "違法行為";
    Rumor = "rumor", "噂・不確かな情報";
    Obscene = "obscene", "わいせつな表現";
    Confidential = "confidential", "秘密情報";
    Security = "security", "セキュリティ";
    UndecidedPolicy = "undecided-policy", "意思形成過程の情報";
    Political = "political", "政治的な内容";
    Religious = "religious", "宗教的な内容";
    Commercial = "commercial", "営利・宣伝";
    SocialAdvocacy = "social-advocacy", "特定の主義主張";
    PersonalOpinion = "personal-opinion", "個人的な意見";
    MaskedText = "masked-text", "伏せ字";
    UrlShortener = "url-shortener", "短縮URL";
    ThirdPartyLink = "third-party-link", "第三者へのリンク";
    Copyright = "copyright", "著作権";
    Portrait = "portrait", "肖像権";
    Geotag = "geotag", "位置情報";
    RepeatedPost = "repeated-post", "繰り返し投稿";
    PlainLanguage = "plain-language", "分かりにくい表現";
    Length = "length", "文字数";
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
