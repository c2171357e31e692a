//! Case- and accent-insensitive text: the folded form is what text comparisons, text
//! sorting and full-text search work on.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases and folds every letter to the base letters people type for it:
/// `"Ångström"` → `"angstrom"`, `"Łódź"` → `"lodz"`, `"Søndergaard"` → `"sondergaard"`,
/// `"Straße"` → `"strasse"`.
///
/// Latin letters go through `deunicode`'s transliteration table, which covers strokes
/// (Ł, Ø, Đ), dotless ı and ligatures (Æ, Œ, ß, ﬁ) that Unicode decomposition leaves
/// alone. Other scripts keep their letters and only lose accents, so that a Cyrillic or
/// Greek name is still found by typing it in its own script.
///
/// Changing this function changes stored index and search keys: bump the store's
/// `FORMAT_VERSION` so existing workspaces are reindexed when opened.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    for c in s.nfc() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_combining_mark(c) {
            // An accent the composed form had no letter for: drop it.
        } else if is_latin_letter(c) {
            match deunicode::deunicode_char(c) {
                Some(base) if !base.is_empty() && base.is_ascii() => {
                    out.extend(base.chars().map(|b| b.to_ascii_lowercase()));
                }
                _ => out.extend(c.to_lowercase()),
            }
        } else {
            for d in c.nfd().filter(|d| !is_combining_mark(*d)) {
                out.extend(d.to_lowercase());
            }
        }
    }
    out
}

/// A letter of one of Unicode's Latin blocks (beyond ASCII).
fn is_latin_letter(c: char) -> bool {
    c.is_alphabetic()
        && matches!(c as u32,
            0x00C0..=0x024F   // Latin-1 Supplement, Extended-A and -B
            | 0x1E00..=0x1EFF // Latin Extended Additional (Vietnamese, ...)
            | 0x2C60..=0x2C7F // Latin Extended-C
            | 0xA720..=0xA7FF // Latin Extended-D
            | 0xAB30..=0xAB6F // Latin Extended-E
            | 0xFB00..=0xFB06 // Latin ligatures (ﬁ, ﬂ, ...)
        )
}

/// Splits folded text into search tokens: runs of letters and digits.
pub fn tokens(s: &str) -> impl Iterator<Item = String> + '_ {
    let folded = fold(s);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(MAX_TOKEN_CHARS).collect::<String>())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Tokens longer than this are cut: nobody searches for the middle of a 200-letter word,
/// and it keeps index keys small.
const MAX_TOKEN_CHARS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(fold("Ångström ÉCOLE"), "angstrom ecole");
        assert_eq!(fold("Zoë"), fold("zoe"));
    }

    #[test]
    fn letters_with_strokes_dotless_i_and_ligatures_fold_to_what_people_type() {
        for (written, typed) in [
            ("Łódź", "lodz"),
            ("Øyvind", "oyvind"),
            ("Søndergaard", "sondergaard"),
            ("Yılmaz", "yilmaz"),
            ("Łukasz", "lukasz"),
            ("Đorđević", "dordevic"),
            ("Straße", "strasse"),
            ("Æsir Œuvre", "aesir oeuvre"),
            ("ﬁne", "fine"),
            ("İstanbul", "istanbul"),
            ("Nguyễn", "nguyen"),
        ] {
            assert_eq!(fold(written), typed, "{written}");
        }
    }

    #[test]
    fn decomposed_accents_fold_like_composed_ones() {
        assert_eq!(fold("Zoe\u{0308}"), fold("Zoë"));
    }

    #[test]
    fn other_scripts_keep_their_letters_without_accents() {
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold("Ἀθῆναι"), "αθηναι");
        assert_eq!(fold("東京"), "東京");
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let t: Vec<_> = tokens("Jöhn.Smith@Example.com, +1 555").collect();
        assert_eq!(t, ["john", "smith", "example", "com", "1", "555"]);
    }
}
