//! Base64, the one place the crate reads and writes it. Standard base64 (RFC 4648 §4, with
//! padding) is what Standard Webhooks uses for `whsec_` secrets and `v1,` signatures;
//! [`decode_prefix`] reads just the first bytes of a vendor's base64 image (either
//! alphabet) to sniff its MIME type. A few lines here instead of the `base64` crate, whose
//! generic engine cost ~5 KB of wasm (issue 7). [`decode`] is as strict as that crate's
//! `STANDARD` engine: length a multiple of 4, `=` only as canonical padding at the end, and
//! no stray bits in the last character.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` as standard, padded base64.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= n {
                char::from(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// The 6-bit value of a standard-alphabet character; with `url_too`, also `-` and `_`.
fn value(c: u8, url_too: bool) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        b'-' if url_too => 62,
        b'_' if url_too => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes up to `n` bytes from the start of a base64 text (standard or URL alphabet);
/// stops at padding or the first character outside the alphabet.
pub fn decode_prefix(b64: &str, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for x in b64.bytes().map_while(|b| value(b, true)) {
        acc = (acc << 6) | x;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
            if out.len() >= n {
                break;
            }
        }
    }
    out
}

/// The bytes of standard, padded base64 `text`; `None` when it is not exactly that.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = vec![0; text.len() / 4 * 3];
    let n = decode_into(text, &mut out)?;
    out.truncate(n);
    Some(out)
}

/// [`decode`] into `out`, without allocating: the number of bytes written, or `None` when
/// `text` is not standard, padded base64 or its bytes do not fit `out` (a `v1,` signature
/// decodes straight into its 32-byte array).
pub fn decode_into(text: &str, out: &mut [u8]) -> Option<usize> {
    let s = text.as_bytes();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let quads = s.len() / 4;
    let mut n = 0;
    for (q, quad) in s.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut v = 0u32;
        for &c in &quad[..4 - pad] {
            v = (v << 6) | value(c, false)?;
        }
        v <<= 6 * pad as u32;
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        // The bits below the last byte kept must be zero (canonical encoding).
        if pad > 0 && bytes[3 - pad..].iter().any(|&b| b != 0) {
            return None;
        }
        out.get_mut(n..n + 3 - pad)?
            .copy_from_slice(&bytes[..3 - pad]);
        n += 3 - pad;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses() {
        for bytes in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xff, 0xfe, 0x00],
        ] {
            let text = encode(bytes);
            assert_eq!(decode(&text).as_deref(), Some(bytes), "{text}");
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8=");
        for bad in [
            "Zm8", "Zm9=Zm9v", "Z===", "Zm9v!A==", "Zm9=", "Zg=a", "Zh==", "====",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        // Into a buffer: the count written; too small a buffer is `None`, not a panic.
        let mut out = [0u8; 4];
        assert_eq!(decode_into("Zm9vYg==", &mut out), Some(4));
        assert_eq!(&out, b"foob");
        assert_eq!(decode_into("Zm9vYmE=", &mut out), None);
        assert_eq!(decode_into("Zm9v", &mut out[..2]), None);
        assert_eq!(decode_into("Zm8", &mut out), None);
    }
}
