//! Token counting when a backend reports no `usage`: a piece is a run of
//! letters and digits or any other single non-space character, which is close
//! to what BPE tokenizers give on English text.

/// Tokens in `text`.
pub fn count(text: &str) -> i64 {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !in_word {
                n += 1;
                in_word = true;
            }
        } else {
            in_word = false;
            if !c.is_whitespace() {
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn pieces_are_counted() {
        assert_eq!(super::count("How do I reset my password?"), 7);
        assert_eq!(super::count(""), 0);
    }
}
