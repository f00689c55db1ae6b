//! Numbers: a JSON number keeps its text; these read it as an integer or a float.

use super::Number;
use crate::text::digits;
use std::fmt;

impl Number {
    /// The number as `f64` (the nearest double for up to 15 significant digits and
    /// exponents within ±22, within a few units in the last place otherwise).
    pub fn as_f64(&self) -> f64 {
        text_to_f64(&self.0)
    }

    /// The number as `i64`, if it is an integer (no fraction or exponent) in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0.strip_prefix("-") {
            Some(d) => digits(d).and_then(|n| 0i64.checked_sub_unsigned(n)),
            None => digits(&self.0).and_then(|n| i64::try_from(n).ok()),
        }
    }

    /// The number as `u64`, if it is a non-negative integer (no fraction or exponent) in
    /// range.
    pub fn as_u64(&self) -> Option<u64> {
        digits(&self.0)
    }
}

impl Number {
    /// The number's JSON text.
    pub fn as_text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Valid JSON number text as `f64`, without core's `dec2flt` (its power-of-five table is
/// ≈10 KB of wasm that gzips badly): at most 19 significant digits scaled by a power of ten.
pub(super) fn text_to_f64(s: &str) -> f64 {
    // Read as bytes: the text is ASCII, and byte slices need no char-boundary checks.
    let (neg, s) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    let (mant, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => s.split_at(i),
        None => (s, &[][..]),
    };
    let mut m: u64 = 0;
    let mut scale: i32 = 0;
    let mut seen_dot = false;
    for &b in mant {
        match b {
            b'.' => seen_dot = true,
            d if m < 1_000_000_000_000_000_000 => {
                m = m * 10 + u64::from(d - b'0');
                if seen_dot {
                    scale -= 1;
                }
            }
            // Digits past the 19th only move the exponent.
            _ if !seen_dot => scale += 1,
            _ => {}
        }
    }
    let e: i32 = {
        // `exp` is empty or starts with the `e`.
        let (eneg, digits) = match exp {
            [_, b'-', d @ ..] => (true, d),
            [_, b'+', d @ ..] | [_, d @ ..] => (false, d),
            [] => (false, exp),
        };
        let mut mag = 0i32;
        for &b in digits {
            mag = mag.saturating_mul(10).saturating_add(i32::from(b - b'0'));
        }
        if eneg {
            -mag
        } else {
            mag
        }
    };
    // Beyond ±400 every double is 0 or infinite: clamping keeps the arithmetic below in range.
    let e = e.saturating_add(scale).clamp(-400, 400);
    let x = m as f64;
    let v = if m == 0 {
        0.0
    } else if e >= 0 {
        x * pow10(e)
    } else if e >= -22 {
        x / pow10(-e)
    } else {
        x / pow10(22) / pow10(-e - 22)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// 10^e for e ≥ 0 (exact up to 10^22), by squaring.
fn pow10(e: i32) -> f64 {
    let (mut base, mut e, mut acc) = (10.0f64, e.min(400), 1.0f64);
    while e > 0 {
        if e & 1 == 1 {
            acc *= base;
        }
        base *= base;
        e >>= 1;
    }
    acc
}
