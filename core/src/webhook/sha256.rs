//! SHA-256 over a message given in parts, on sha2's compression function alone: the HMAC's
//! inner hash continued from a kept state ([`super::HmacHalves`]), the constant-time
//! comparison's hashes and a long key's digest. With nothing else using sha2's `Digest`,
//! its block buffer and generic plumbing stay out of the wasm.

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
pub(crate) const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// One compression of `block` into `state`.
pub(crate) fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, &[(*block).into()]);
}

/// A state as the 32-byte digest.
fn digest_of(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, w) in state.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// SHA-256 of `parts` one after another, continued from `state`, which has already taken
/// in `before` bytes (whole blocks: a multiple of 64).
pub(crate) fn hash_from(mut state: [u32; 8], before: u64, parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    let mut filled = 0;
    let mut total = before;
    for part in parts {
        total += part.len() as u64;
        let mut rest: &[u8] = part;
        if filled > 0 {
            let take = (64 - filled).min(rest.len());
            block[filled..filled + take].copy_from_slice(&rest[..take]);
            filled += take;
            rest = &rest[take..];
            if filled < 64 {
                continue;
            }
            // The block is full: it goes in, and what follows starts a block of its own.
            compress(&mut state, &block);
        }
        let mut chunks = rest.chunks_exact(64);
        for chunk in &mut chunks {
            let mut whole = [0u8; 64];
            whole.copy_from_slice(chunk);
            compress(&mut state, &whole);
        }
        let tail = chunks.remainder();
        block[..tail.len()].copy_from_slice(tail);
        filled = tail.len();
    }
    // The padding: 0x80, zeros, and the message's length in bits in the last 8 bytes.
    block[filled] = 0x80;
    block[filled + 1..].fill(0);
    if filled >= 56 {
        compress(&mut state, &block);
        block.fill(0);
    }
    block[56..].copy_from_slice(&(total * 8).to_be_bytes());
    compress(&mut state, &block);
    digest_of(&state)
}

/// SHA-256 of `parts` one after another.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    hash_from(IV, 0, parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn equals_sha2_at_every_length_and_cut() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 31 % 251) as u8).collect();
        for n in 0..=400 {
            let message = &data[..n];
            let expected: [u8; 32] = Sha256::digest(message).into();
            assert_eq!(sha256(&[message]), expected, "{n} bytes");
            for cut in [0, 1, 55, 56, 63, 64, 65, 128, 200] {
                let cut = cut.min(n);
                let (a, b) = message.split_at(cut);
                let (b1, b2) = b.split_at(b.len() / 3);
                assert_eq!(
                    sha256(&[a, &[], b1, b2]),
                    expected,
                    "{n} bytes cut at {cut}"
                );
            }
        }
        // FIPS 180-4's "abc".
        assert_eq!(
            digest_of(&{
                let mut s = IV;
                let mut block = [0u8; 64];
                block[..3].copy_from_slice(b"abc");
                block[3] = 0x80;
                block[63] = 24;
                compress(&mut s, &block);
                s
            })[..4],
            [0xba, 0x78, 0x16, 0xbf]
        );
    }
}
