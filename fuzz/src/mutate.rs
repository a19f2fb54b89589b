//! Making inputs: a small, seeded PRNG (so a run can be repeated exactly) and
//! the mutations a fuzzer applies to real files: bit flips, byte changes,
//! inserts and deletes, duplicated and spliced chunks, "interesting" integers
//! over length fields, truncation, non-ASCII characters for the text parsers,
//! and now and then bytes with no seed at all.

/// xoshiro256** seeded through splitmix64: fast, and good enough to fuzz.
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self([next(), next(), next(), next()])
    }

    pub fn next_u64(&mut self) -> u64 {
        let [a, b, c, d] = &mut self.0;
        let result = b.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *b << 17;
        *c ^= *a;
        *d ^= *b;
        *b ^= *c;
        *a ^= *d;
        *c ^= t;
        *d = d.rotate_left(45);
        result
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

/// Integers that break length and offset arithmetic.
const INTERESTING: &[u64] = &[
    0,
    1,
    2,
    7,
    8,
    0x10,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
];

/// Characters that stress Unicode handling: combining marks, case changes
/// that grow or shrink (`İ`, `ß`, final sigma), right-to-left, wide, emoji,
/// zero-width and replacement characters.
const CHARACTERS: &[char] = &[
    '\u{301}', '\u{308}', '\u{307}', 'İ', 'ı', 'ß', 'ẞ', 'Σ', 'ς', 'ǅ', 'ﬁ', 'ا', 'ل', '\u{200F}',
    '\u{200D}', '\u{FEFF}', '日', '🎉', '\u{FFFD}', 'ǈ', 'ᾈ', 'K', 'Å', '\u{0}', '-', '<', '[',
    ']', '(', ')', '*', '_', '`', '!', '|', '\n', ':',
];

/// A mutated copy of `seed` (sometimes spliced with `other`), at most
/// `max_len` bytes.
pub fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
    let mut data = seed.to_vec();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        match rng.below(12) {
            0 | 1 => {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    data[at] ^= 1 << rng.below(8);
                }
            }
            2 => {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    data[at] = rng.byte();
                }
            }
            3 => {
                let at = rng.below(data.len() + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                data.splice(at..at, bytes);
            }
            4 => {
                if !data.is_empty() {
                    let at = rng.below(data.len());
                    let n = 1 + rng.below((data.len() - at).min(64));
                    data.drain(at..at + n);
                }
            }
            5 => {
                // A chunk copied elsewhere: repeated boxes, segments, chunks.
                if !data.is_empty() {
                    let from = rng.below(data.len());
                    let n = 1 + rng.below((data.len() - from).min(256));
                    let chunk = data[from..from + n].to_vec();
                    let at = rng.below(data.len() + 1);
                    data.splice(at..at, chunk);
                }
            }
            6 => {
                // Splice: this one's head, another seed's tail.
                if !other.is_empty() {
                    let head = rng.below(data.len() + 1);
                    let tail = rng.below(other.len());
                    data.truncate(head);
                    data.extend_from_slice(&other[tail..]);
                }
            }
            7 | 8 => {
                // An interesting value over what may be a length field.
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let width = [1, 2, 4, 8][rng.below(4)];
                if data.len() >= width {
                    let at = rng.below(data.len() - width + 1);
                    let bytes = if rng.chance(2) {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    };
                    let bytes = if rng.chance(2) {
                        &bytes[8 - width..]
                    } else {
                        &bytes[..width]
                    };
                    data[at..at + width].copy_from_slice(bytes);
                }
            }
            9 => {
                // A length field nudged by a little.
                if data.len() >= 4 {
                    let at = rng.below(data.len() - 3);
                    let mut field = [0u8; 4];
                    field.copy_from_slice(&data[at..at + 4]);
                    let delta = rng.below(33) as i64 - 16;
                    let value = i64::from(u32::from_be_bytes(field)).wrapping_add(delta);
                    data[at..at + 4].copy_from_slice(&(value as u32).to_be_bytes());
                }
            }
            10 => {
                let keep = rng.below(data.len() + 1);
                data.truncate(keep);
            }
            _ => {
                let c = CHARACTERS[rng.below(CHARACTERS.len())];
                let mut buf = [0u8; 4];
                let at = rng.below(data.len() + 1);
                data.splice(at..at, c.encode_utf8(&mut buf).bytes());
            }
        }
    }
    data.truncate(max_len);
    data
}

/// Bytes with no seed behind them.
pub fn arbitrary(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = rng.below(max_len.min(4096) + 1);
    (0..len).map(|_| rng.byte()).collect()
}
