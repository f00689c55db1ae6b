//! Constant-time byte comparison, so that how long a comparison takes says nothing about
//! where two secrets first differ.

use core::hint::black_box;

use super::sha256::sha256;

/// Compares two equal-length byte strings in time that depends only on their length.
/// Different lengths compare unequal at once (the length of a signature is public).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= black_box(x ^ y);
    }
    black_box(diff) == 0
}

/// Compares two secrets of possibly different lengths in constant time: both are hashed
/// first, so neither the position of the first difference nor the expected secret's
/// length leaks through timing.
pub fn ct_eq_secret(given: &[u8], expected: &[u8]) -> bool {
    let a = sha256(&[given]);
    let b = sha256(&[expected]);
    ct_eq(&a, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_unequal() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
        assert!(ct_eq_secret(b"token", b"token"));
        assert!(!ct_eq_secret(b"token", b"token2"));
        assert!(!ct_eq_secret(b"", b"token"));
    }
}
