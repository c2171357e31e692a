//! Case- and accent-insensitive text: the folded form is what text comparisons, text
//! sorting and full-text search work on.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases and strips accents: `"Ångström"` → `"angstrom"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        out.extend(c.to_lowercase());
    }
    out
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
    fn tokens_split_on_punctuation() {
        let t: Vec<_> = tokens("Jöhn.Smith@Example.com, +1 555").collect();
        assert_eq!(t, ["john", "smith", "example", "com", "1", "555"]);
    }
}
