//! The hasher for in-memory maps and sets on hot paths, where the default SipHash costs
//! more than the rest of a look-up: the extractor's node and class memos, and the rules'
//! word sets. Keys are chipwatch's own (node addresses, class values, lower-cased words),
//! never chosen to collide, so a hash that resists flooding buys nothing here.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Node addresses are already unique and well spread, so one multiply mixes them enough;
/// short strings are mixed eight bytes at a time (FxHash's mix).
#[derive(Default)]
pub(crate) struct QuickHasher(u64);

impl Hasher for QuickHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing; the high bits, which the table uses, depend on every input bit.
        self.0 = (n as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(32);
    }
}

pub(crate) type QuickBuild = BuildHasherDefault<QuickHasher>;
pub(crate) type QuickMap<K, V> = HashMap<K, V, QuickBuild>;
pub(crate) type QuickSet<T> = HashSet<T, QuickBuild>;
