//! Sets of words asked, token after token, whether they hold a word: the closed word
//! lists and the lexicon's verb forms. This module owns answering that without a string
//! comparison: a word of up to 16 bytes is packed into a fixed key (two loads from each
//! end, and its length), so a look-up is a few arithmetic steps and one key comparison.
//! Longer words, which no list holds today, are compared as strings.

/// A word packed for comparison: for lengths 8 to 16 its first and last eight bytes, for
/// shorter ones the bytes read the same way from each end; with the length, the key
/// gives back every byte, so equal keys mean equal words.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Key {
    head: u64,
    tail: u64,
    len: u8,
}

/// The `len` of a slot that holds no word.
const EMPTY: u8 = u8::MAX;

/// Longest word that packs into a key.
const PACKED: usize = 16;

fn key(word: &[u8]) -> Option<Key> {
    let n = word.len();
    let load8 = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word.get(at..at + 8)?);
        Some(u64::from_le_bytes(bytes))
    };
    let load4 = |at: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(word.get(at..at + 4)?);
        Some(u64::from(u32::from_le_bytes(bytes)))
    };
    let (head, tail) = match n {
        0 => (0, 0),
        1..=3 => {
            let (first, middle, last) = (word[0], word[n / 2], word[n - 1]);
            (
                u64::from(first) | u64::from(middle) << 8 | u64::from(last) << 16,
                0,
            )
        }
        4..=7 => (load4(0)? | load4(n - 4)? << 32, 0),
        8..=PACKED => (load8(0)?, load8(n - 8)?),
        _ => return None,
    };
    Some(Key {
        head,
        tail,
        len: n as u8,
    })
}

fn slot_of(k: &Key, mask: usize) -> usize {
    let mixed =
        (k.head ^ k.tail.rotate_left(29) ^ u64::from(k.len)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 32) as usize & mask
}

/// A set of words; see the module documentation.
#[derive(Debug, Clone)]
pub struct WordTable {
    /// Open addressing, linear probing, at most a quarter full.
    slots: Vec<Key>,
    count: usize,
    long: Vec<Box<str>>,
}

impl Default for WordTable {
    fn default() -> Self {
        WordTable {
            slots: vec![
                Key {
                    head: 0,
                    tail: 0,
                    len: EMPTY,
                };
                8
            ],
            count: 0,
            long: Vec::new(),
        }
    }
}

impl WordTable {
    pub fn contains(&self, word: &str) -> bool {
        let Some(k) = key(word.as_bytes()) else {
            return self.long.iter().any(|w| &**w == word);
        };
        let mask = self.slots.len() - 1;
        let mut at = slot_of(&k, mask);
        loop {
            let slot = &self.slots[at];
            if *slot == k {
                return true;
            }
            if slot.len == EMPTY {
                return false;
            }
            at = (at + 1) & mask;
        }
    }

    pub fn insert(&mut self, word: &str) {
        let Some(k) = key(word.as_bytes()) else {
            if !self.long.iter().any(|w| &**w == word) {
                self.long.push(word.into());
            }
            return;
        };
        if self.contains(word) {
            return;
        }
        if (self.count + 1) * 4 > self.slots.len() {
            self.grow();
        }
        self.place(k);
        self.count += 1;
    }

    fn place(&mut self, k: Key) {
        let mask = self.slots.len() - 1;
        let mut at = slot_of(&k, mask);
        while self.slots[at].len != EMPTY {
            at = (at + 1) & mask;
        }
        self.slots[at] = k;
    }

    fn grow(&mut self) {
        let empty = Key {
            head: 0,
            tail: 0,
            len: EMPTY,
        };
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![empty; size]);
        for k in old.into_iter().filter(|k| k.len != EMPTY) {
            self.place(k);
        }
    }
}

impl<'a> FromIterator<&'a str> for WordTable {
    fn from_iter<I: IntoIterator<Item = &'a str>>(words: I) -> Self {
        let mut table = WordTable::default();
        for w in words {
            table.insert(w);
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_exactly_the_words_put_in() {
        let words = [
            "",
            "a",
            "to",
            "the",
            "from",
            "about",
            "'s",
            "so-called",
            "u.s",
            "manufacturer",
            "conglomerates",
            "multibillion",
            "sixteen-letters!",
            "seventeen-letters",
            "a-rather-long-word-of-thirty-bytes",
            "été",
            "ü",
        ];
        let table: WordTable = words.iter().copied().collect();
        for w in words {
            assert!(table.contains(w), "{w:?}");
        }
        // Words that share ends, lengths or packed reads with those above.
        let others = [
            "b",
            "t",
            "tho",
            "thee",
            "fro",
            "abut",
            "abouts",
            "'t",
            "so-calle",
            "u.S",
            "manufacturers",
            "conglomerate",
            "multimillion",
            "sixteen-letters?",
            "seventeen-letterz",
            "a-rather-long-word-of-thirty-byte",
            "ete",
            "u",
            "theAthe",
            "toto",
        ];
        for w in others {
            assert!(!table.contains(w), "{w:?}");
        }
        // Many words, so that the table grows several times.
        let many: Vec<String> = (0..5_000).map(|i| format!("w{i}")).collect();
        let table: WordTable = many.iter().map(String::as_str).collect();
        assert!(many.iter().all(|w| table.contains(w)));
        assert!((5_000..10_000).all(|i| !table.contains(&format!("w{i}"))));
    }
}
