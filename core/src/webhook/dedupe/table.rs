//! The dedupe window's key table: strings to `u64`, open addressing with linear probing.
//! It holds up to 10,000 keys, so a sorted `Vec` (the core's `VecMap`) would move
//! thousands of entries per insert; std's `HashMap` would do, but its SwissTable and
//! SipHash cost the webhook build ≈ 4 KB of wasm for this one map type (issue 7). This is
//! the little of it the window needs: get, insert, remove (backward-shift deletion, so no
//! tombstones pile up), growth at three quarters full.
//!
//! The hash is FNV-1a, unkeyed. A flood of colliding keys would make probes long, but the
//! keys are `webhook-id`s of deliveries that passed the signature or token check (only the
//! sender can choose them), and std's map was no better here: on `wasm32-unknown-unknown`
//! its SipHash keys are fixed, there being no random source.

/// Strings to `u64`.
#[derive(Debug, Clone, Default)]
pub(super) struct KeyTable {
    /// A power of two long (or empty); `None` is a free slot.
    slots: Vec<Option<(String, u64)>>,
    len: usize,
}

/// FNV-1a (32 bits), spread over the table by a Fibonacci multiply: its top bits pick the
/// slot, so keys that differ only at the end (`...:id:msg_1`, `...:id:msg_2`) land apart.
fn hash(key: &str) -> u32 {
    let h = key.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    h.wrapping_mul(0x9e37_79b9)
}

impl KeyTable {
    /// How many keys it holds.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The slot `key` hashes to.
    fn home(&self, key: &str) -> usize {
        // `slots.len()` is a power of two ≥ 8 here: the top bits of the hash, as an index.
        let bits = self.slots.len().trailing_zeros();
        (hash(key) >> (32 - bits)) as usize
    }

    /// `Ok(slot)` holding `key`, or `Err(slot)`: the free slot where it would go.
    fn find(&self, key: &str) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        // The table is never full (growth at three quarters), so a free slot ends the loop.
        loop {
            match &self.slots[i] {
                None => return Err(i),
                Some((k, _)) if k == key => return Ok(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The value of `key`.
    pub(super) fn get(&self, key: &str) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let i = self.find(key).ok()?;
        self.slots[i].as_ref().map(|(_, v)| *v)
    }

    /// Whether `key` is in the table.
    pub(super) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`.
    pub(super) fn insert(&mut self, key: &str, value: u64) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        match self.find(key) {
            Ok(i) => self.slots[i] = Some((key.to_owned(), value)),
            Err(i) => {
                self.slots[i] = Some((key.to_owned(), value));
                self.len += 1;
            }
        }
    }

    /// Removes `key`, if there.
    pub(super) fn remove(&mut self, key: &str) {
        if self.len == 0 {
            return;
        }
        let Ok(mut hole) = self.find(key) else { return };
        self.slots[hole] = None;
        self.len -= 1;
        // Backward shift: move up each following entry of the run that the hole now cuts
        // off from its home slot, so every key stays reachable from its home without a gap.
        let mask = self.slots.len() - 1;
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let Some((k, _)) = &self.slots[i] else { return };
            let home = self.home(k);
            // Whether `home` lies cyclically in (hole, i]: then the entry may stay.
            let stays = if hole <= i {
                hole < home && home <= i
            } else {
                hole < home || home <= i
            };
            if !stays {
                self.slots[hole] = self.slots[i].take();
                hole = i;
            }
        }
    }

    /// Doubles the table (8 slots at first) and puts every key in again.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, (0..size).map(|_| None).collect());
        for (k, v) in old.into_iter().flatten() {
            let Err(i) = self.find(&k) else {
                // Keys are unique in the old table, so each finds a free slot.
                continue;
            };
            self.slots[i] = Some((k, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn get_insert_remove() {
        let mut t = KeyTable::default();
        assert_eq!(t.get("a"), None);
        t.remove("a");
        t.insert("a", 1);
        t.insert("b", 2);
        t.insert("a", 3);
        assert_eq!((t.get("a"), t.get("b"), t.len()), (Some(3), Some(2), 2));
        t.remove("a");
        assert_eq!((t.get("a"), t.get("b"), t.len()), (None, Some(2), 1));
    }

    /// Random operations on keys that share long prefixes (as dedupe keys do), checked
    /// against std's map after every step, through several rounds of growth.
    #[test]
    fn agrees_with_hashmap() {
        let mut t = KeyTable::default();
        let mut m = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for step in 0..60_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = format!("tasklane:wh:apixo:id:msg_{}", x % 3_000);
            match x >> 62 {
                0 => {
                    t.remove(&key);
                    m.remove(&key);
                }
                _ => {
                    t.insert(&key, step);
                    m.insert(key.clone(), step);
                }
            }
            assert_eq!(t.get(&key), m.get(&key).copied(), "step {step}");
            assert_eq!(t.len(), m.len(), "step {step}");
        }
        for (k, v) in &m {
            assert_eq!(t.get(k), Some(*v));
        }
    }
}
