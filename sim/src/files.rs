//! Result files the simulator serves itself, without auth: `GET /files/{task_id}.png`
//! (a 64×64 picture drawn from the task id, so every task's image visibly differs),
//! `.wav` (a short tone whose pitch comes from the id), and `.mp4` / `.mp3` placeholders
//! with the right content types. The PNG encoder is written here: stored (uncompressed)
//! deflate blocks inside zlib, with CRC-32 and Adler-32.

use bytes::Bytes;
use hyper::Method;

use crate::http::Reply;

/// FNV-1a of the id: the picture's and tone's parameters.
fn fnv(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// CRC-32 (IEEE) as PNG chunks need it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// zlib with stored deflate blocks (no compression, always valid).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65_535).collect()
    };
    let n = chunks.len();
    for (i, c) in chunks.into_iter().enumerate() {
        out.push(u8::from(i + 1 == n));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Encodes an 8-bit RGB image (`rgb.len() == w * h * 3`) as a PNG.
pub fn encode_png(w: u32, h: u32, rgb: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((w as usize * 3 + 1) * h as usize);
    for row in rgb.chunks(w as usize * 3) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, truecolour, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The 64×64 PNG of a task: a two-colour gradient with rings, all from the id's hash.
pub fn png_for(id: &str) -> Vec<u8> {
    let h = fnv(id);
    let c1 = [(h >> 8) as u8, (h >> 16) as u8, (h >> 24) as u8];
    let c2 = [(h >> 32) as u8, (h >> 40) as u8, (h >> 48) as u8];
    let (cx, cy) = ((h & 63) as i32, ((h >> 56) & 63) as i32);
    let ring = 4 + ((h >> 6) & 7) as i32;
    let mut rgb = Vec::with_capacity(64 * 64 * 3);
    for y in 0..64i32 {
        for x in 0..64i32 {
            let t = (x + y) as u32;
            let d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            let on_ring = ((d2 as f64).sqrt() as i32 / ring) % 2 == 0;
            for k in 0..3 {
                let v = (c1[k] as u32 * (126 - t) + c2[k] as u32 * t) / 126;
                rgb.push(if on_ring { v as u8 } else { 255 - v as u8 });
            }
        }
    }
    encode_png(64, 64, &rgb)
}

/// A quarter-second 8 kHz mono 8-bit WAV tone whose pitch comes from the id.
pub fn wav_for(id: &str) -> Vec<u8> {
    let rate = 8000u32;
    let n = rate / 4;
    let freq = 220.0 + (fnv(id) % 660) as f64;
    let mut out = Vec::with_capacity(44 + n as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes()); // bytes per second
    out.extend_from_slice(&1u16.to_le_bytes()); // block align
    out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&n.to_le_bytes());
    for i in 0..n {
        let s = (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin();
        out.push((128.0 + 100.0 * s) as u8);
    }
    out
}

/// An MP4 placeholder: an `ftyp` box and a `free` box naming the task (not playable).
pub fn mp4_for(id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&24u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom");
    out.extend_from_slice(&0x200u32.to_be_bytes());
    out.extend_from_slice(b"isomiso2");
    let note = format!("tasklane-sim placeholder video for {id}");
    out.extend_from_slice(&(8 + note.len() as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.extend_from_slice(note.as_bytes());
    out
}

/// An MP3 placeholder: an ID3v2 header and silent MPEG-1 Layer III frames.
pub fn mp3_for(_id: &str) -> Vec<u8> {
    let mut out = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    for _ in 0..8 {
        // 128 kbit/s, 44.1 kHz, no padding: 417-byte frames.
        out.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        out.extend(std::iter::repeat_n(0u8, 413));
    }
    out
}

/// Answers `GET /files/{name}`.
pub fn serve(method: &Method, name: &str) -> Reply {
    if method != Method::GET && method != Method::HEAD {
        return Reply::json(405, serde_json::json!({"error": "use GET"}))
            .with_header("allow", "GET, HEAD, OPTIONS");
    }
    let not_found = || {
        Reply::json(
            404,
            serde_json::json!({"error": format!("no file {name:?}")}),
        )
    };
    let Some((id, ext)) = name.rsplit_once('.') else {
        return not_found();
    };
    let id_ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return not_found();
    }
    let (ct, bytes) = match ext {
        "png" => ("image/png", png_for(id)),
        "wav" => ("audio/wav", wav_for(id)),
        "mp3" => ("audio/mpeg", mp3_for(id)),
        "mp4" => ("video/mp4", mp4_for(id)),
        _ => return not_found(),
    };
    Reply::bytes(200, ct, Bytes::from(bytes)).with_header("cache-control", "public, max-age=3600")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn png_is_well_formed_and_differs_per_id() {
        let a = png_for("task-a");
        let b = png_for("task-b");
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&a[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes([a[16], a[17], a[18], a[19]]), 64);
        assert_ne!(a, b);
        assert_eq!(a, png_for("task-a"));
        // The IHDR CRC covers type + data.
        let crc = u32::from_be_bytes([a[29], a[30], a[31], a[32]]);
        assert_eq!(crc, crc32(&a[12..29]));
        assert!(a.ends_with(&[0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn serves_known_extensions_only() {
        assert_eq!(serve(&Method::GET, "abc.png").status, 200);
        assert_eq!(serve(&Method::GET, "abc.mp4").status, 200);
        assert_eq!(serve(&Method::GET, "abc.wav").status, 200);
        assert_eq!(serve(&Method::GET, "abc.mp3").status, 200);
        assert_eq!(serve(&Method::GET, "abc.gif").status, 404);
        assert_eq!(serve(&Method::GET, "../x.png").status, 404);
        assert_eq!(serve(&Method::POST, "abc.png").status, 405);
        assert_eq!(wav_for("x").len(), 44 + 2000);
    }
}
