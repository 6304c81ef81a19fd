//! The gateway's own token count, the figure it bills when a backend's `usage`
//! is missing or not believable: a piece is a run of letters and digits, any
//! other single non-space character, or a single CJK/kana/hangul character
//! (scripts written without spaces), which is close to what BPE tokenizers
//! give. Training data is counted the same way (`trained_tokens`).

/// An incremental count over text that arrives in pieces (a stream's deltas):
/// feeding `"hel"` then `"lo"` counts as feeding `"hello"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counter {
    n: i64,
    in_word: bool,
}

impl Counter {
    /// Counts the pieces of `text`, continuing the previous text.
    pub fn feed(&mut self, text: &str) {
        for c in text.chars() {
            if is_ideographic(c) {
                self.n += 1;
                self.in_word = false;
            } else if c.is_alphanumeric() {
                if !self.in_word {
                    self.n += 1;
                    self.in_word = true;
                }
            } else {
                self.in_word = false;
                if !c.is_whitespace() {
                    self.n += 1;
                }
            }
        }
    }

    /// Tokens so far.
    pub fn total(&self) -> i64 {
        self.n
    }
}

/// Characters of scripts without word spaces, each its own piece.
fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF // hiragana, katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF // CJK ideographs
        | 0xAC00..=0xD7AF) // hangul syllables
}

/// Tokens in `text`.
pub fn count(text: &str) -> i64 {
    let mut c = Counter::default();
    c.feed(text);
    c.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_counted() {
        assert_eq!(count("How do I reset my password?"), 7);
        assert_eq!(count(""), 0);
        assert_eq!(count("重置密码"), 4);
    }

    #[test]
    fn a_split_word_counts_once() {
        let mut c = Counter::default();
        c.feed("hel");
        c.feed("lo wor");
        c.feed("ld!");
        assert_eq!(c.total(), count("hello world!"));
    }
}
