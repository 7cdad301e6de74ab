//! IAM's wildcard match for resource ARNs: the one matcher behind the authorizer's in-process
//! decision and the local gateway's evaluation of an authorizer's policy.

use std::str::Chars;

/// Whether `text` matches the IAM resource pattern `pattern`, as IAM documents it
/// (IAM User Guide, "IAM JSON policy elements: Resource"): `*` is any run of characters,
/// including none and including `/` and `:`; `?` is exactly one character; every other
/// character matches only itself, case-sensitively. Characters are Unicode scalar values, so
/// `?` matches `é` as one character. Allocates nothing; at worst proportional to the product of
/// the two lengths.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (mut p, mut t) = (pattern.chars(), text.chars());
    // The pattern after the last `*` seen, and the text from where that `*` stops swallowing:
    // on a mismatch the `*` takes one more character and matching resumes from there. Going
    // back to the last `*` only is enough: whatever more an earlier one could swallow, the last
    // one can swallow instead.
    let mut star: Option<(Chars<'_>, Chars<'_>)> = None;
    loop {
        let (mut p_next, mut t_next) = (p.clone(), t.clone());
        match (p_next.next(), t_next.next()) {
            (None, None) => return true,
            (Some('*'), _) => {
                star = Some((p_next.clone(), t.clone()));
                p = p_next;
            }
            (Some(pc), Some(tc)) if pc == '?' || pc == tc => {
                p = p_next;
                t = t_next;
            }
            _ => {
                let Some((after_star, swallowed)) = &mut star else {
                    return false;
                };
                if swallowed.next().is_none() {
                    return false;
                }
                p = after_star.clone();
                t = swallowed.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_matches_any_run_including_none_and_separators() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("**", ""));
        assert!(wildcard_match("a*", "a"));
        assert!(wildcard_match("a*", "a/b/c"));
        assert!(wildcard_match("GET/pets/*", "GET/pets/1/photos"));
        assert!(wildcard_match("*/admin/*", "DELETE/admin/x"));
        assert!(wildcard_match("*/admin/*", "GET/admin/x/y"));
        assert!(wildcard_match(
            "arn:aws:*:api/*",
            "arn:aws:execute-api:us-east-1:1:api/x"
        ));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(wildcard_match("a*b*c", "abcbc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(!wildcard_match("GET/pets/*", "GET/pet"));
    }

    #[test]
    fn a_question_mark_matches_exactly_one_character() {
        assert!(wildcard_match("GET/pets/?", "GET/pets/4"));
        assert!(!wildcard_match("GET/pets/?", "GET/pets/42"));
        assert!(!wildcard_match("GET/pets/?", "GET/pets/"));
        assert!(wildcard_match("?", "/"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("?*", "x"));
        assert!(!wildcard_match("?*", ""));
    }

    #[test]
    fn a_question_mark_is_one_character_not_one_byte() {
        assert!(wildcard_match("caf?", "café"));
        assert!(!wildcard_match("caf??", "café"));
        assert!(wildcard_match("?", "😀"));
        assert!(!wildcard_match("??", "😀"));
        assert!(wildcard_match("a?b", "a日b"));
        assert!(wildcard_match("*é", "caféé"));
        assert!(wildcard_match("日*本", "日本"));
        assert!(!wildcard_match("日*本", "日"));
        assert!(wildcard_match("é", "é"));
        assert!(!wildcard_match("é", "e"));
    }

    #[test]
    fn other_characters_match_only_themselves_case_sensitively() {
        assert!(wildcard_match("GET/me", "GET/me"));
        assert!(!wildcard_match("GET/me", "GET/me/x"));
        assert!(!wildcard_match("GET/me", "get/me"));
        assert!(!wildcard_match("GET/ME", "GET/me"));
        assert!(wildcard_match("$connect", "$connect"));
        assert!(!wildcard_match("a.c", "abc"));
        assert!(!wildcard_match("[ab]", "a"));
        assert!(wildcard_match("[ab]", "[ab]"));
        assert!(!wildcard_match("a+", "aa"));
        // No escapes: a backslash is a character and the `*` after it is still a wildcard.
        assert!(wildcard_match(r"a\*", r"a\xyz"));
        assert!(!wildcard_match(r"a\*", "a*"));
        assert!(wildcard_match("{id}", "{id}"));
        assert!(!wildcard_match("{id}", "7"));
    }

    /// The documented semantics, written as directly as possible (exponential, for tests).
    fn reference(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|n| reference(rest, &text[n..])),
            Some((&pc, rest)) => text
                .split_first()
                .is_some_and(|(&tc, text)| (pc == '?' || pc == tc) && reference(rest, text)),
        }
    }

    fn strings(alphabet: &[char], max_len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max_len {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn every_short_pattern_agrees_with_the_documented_semantics() {
        let patterns = strings(&['a', 'é', '*', '?'], 4);
        let texts = strings(&['a', 'é', 'b'], 5);
        for pattern in &patterns {
            let p: Vec<char> = pattern.chars().collect();
            for text in &texts {
                let t: Vec<char> = text.chars().collect();
                assert_eq!(
                    wildcard_match(pattern, text),
                    reference(&p, &t),
                    "{pattern:?} against {text:?}"
                );
            }
        }
    }
}
