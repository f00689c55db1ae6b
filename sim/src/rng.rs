//! The simulator's seeded pseudo-random numbers: a SplitMix64 generator, small and
//! fully determined by its seed, so `--seed N` makes a whole run reproducible. Every task
//! draws from its own generator derived from the run seed and the task's sequence number,
//! so one task's draws never depend on how many requests other tasks made.

/// A SplitMix64 pseudo-random generator (not cryptographic; for timings, faults and ids).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The generator for the task with sequence number `seq` in a run seeded with `seed`.
    pub fn for_task(seed: u64, seq: u64) -> Self {
        let mut mix = Rng::new(seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Two rounds decorrelate neighbouring sequence numbers.
        let a = mix.next_u64();
        Rng::new(a ^ mix.next_u64().rotate_left(17))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform integer in `[lo, hi]` (inclusive; `lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        lo + self.next_u64() % span
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        // 1 - u is in (0, 1], so ln never sees zero.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// `n` lowercase alphanumeric characters.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[(self.next_u64() % CHARS.len() as u64) as usize] as char)
            .collect()
    }

    /// A random (version 4 shaped) UUID string.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_tasks_differ() {
        let mut a = Rng::for_task(7, 1);
        let mut b = Rng::for_task(7, 1);
        let mut c = Rng::for_task(7, 2);
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn ranges_and_floats_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            let v = r.range(5, 9);
            assert!((5..=9).contains(&v));
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
            assert!(r.normal().is_finite());
        }
        assert_eq!(r.range(3, 3), 3);
        assert_eq!(r.range(4, 2), 4);
        let id = r.uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
