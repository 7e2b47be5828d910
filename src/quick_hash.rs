//! The hasher for in-memory maps and sets on hot paths, where the default SipHash costs
//! more than the rest of a look-up: the extractor's node and class memos, and the rules'
//! maps. Keys are chipwatch's own (node addresses, class values, lower-cased words),
//! never chosen to collide, so a hash that resists flooding buys nothing here.

use std::collections::HashMap;
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
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        // The last 0-7 bytes in at most two reads (overlapping ones when there are 4 to
        // 7), instead of a copy of variable length; the length goes in too, so that
        // overlapping reads of strings of different lengths differ.
        let rest = chunks.remainder();
        let n = rest.len();
        let tail = if n >= 4 {
            let first = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let last = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
            u64::from(first) | u64::from(last) << 32
        } else if n > 0 {
            u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16
        } else {
            0
        };
        self.mix(tail ^ (n as u64) << 59);
    }

    fn write_u8(&mut self, byte: u8) {
        // A string's terminator (`str` hashes as its bytes, then 0xff).
        self.mix(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing; the high bits, which the table uses, depend on every input bit.
        self.0 = (n as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(32);
    }
}

impl QuickHasher {
    fn mix(&mut self, word: u64) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

pub(crate) type QuickBuild = BuildHasherDefault<QuickHasher>;
pub(crate) type QuickMap<K, V> = HashMap<K, V, QuickBuild>;
