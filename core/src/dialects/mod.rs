//! The four built-in dialects. Each is a profile written as JSON (`<name>.json`, the shape
//! of a user's profile object) and read by [`crate::profile_reader`], the same reader a
//! user's profile goes through, next to its module of fixture tests of the vendor's
//! documented bodies.

use crate::profile::ProviderProfile;

pub mod apixo;
pub mod mindproxy;
pub mod mirako;
pub mod queue;

/// Each built-in dialect's name and profile as JSON text (minified when compiled).
pub static PROFILES: [(&str, &str); 4] = [
    ("mirako", minified!("mirako.json")),
    ("apixo", minified!("apixo.json")),
    ("mindproxy", minified!("mindproxy.json")),
    ("queue", minified!("queue.json")),
];

/// A JSON file's text without the whitespace between tokens, computed when compiling: the
/// files are indented for people, and their indentation cost the wasm ≈ 2.7 KB (issue 7).
macro_rules! minified {
    ($file:literal) => {{
        const RAW: &str = include_str!($file);
        const BYTES: [u8; minify::len(RAW)] = minify::bytes(RAW);
        match core::str::from_utf8(&BYTES) {
            Ok(s) => s,
            Err(_) => panic!("minifying JSON keeps UTF-8"),
        }
    }};
}
use minified;

/// Whitespace outside JSON strings dropped, as `const fn`s (a build script would do the
/// same with more machinery). Only ASCII whitespace bytes are dropped, and never inside a
/// string, so the text stays UTF-8 and the same JSON.
mod minify {
    /// Whether the byte `b` is whitespace outside a string, and the `(in_string, escaped)`
    /// state after it.
    const fn step(b: u8, state: (bool, bool)) -> (bool, (bool, bool)) {
        let (in_str, escaped) = state;
        if in_str {
            let closes = b == b'"' && !escaped;
            (false, (!closes, !escaped && b == b'\\'))
        } else {
            let drop = matches!(b, b' ' | b'\n' | b'\r' | b'\t');
            (drop, (b == b'"', false))
        }
    }

    /// The length of `s` minified.
    pub const fn len(s: &str) -> usize {
        let s = s.as_bytes();
        let (mut i, mut n, mut state) = (0, 0, (false, false));
        while i < s.len() {
            let (drop, next) = step(s[i], state);
            state = next;
            if !drop {
                n += 1;
            }
            i += 1;
        }
        n
    }

    /// `s` minified, in an array of [`len`] bytes.
    pub const fn bytes<const N: usize>(s: &str) -> [u8; N] {
        let s = s.as_bytes();
        let mut out = [0u8; N];
        let (mut i, mut n, mut state) = (0, 0, (false, false));
        while i < s.len() {
            let (drop, next) = step(s[i], state);
            state = next;
            if !drop {
                out[n] = s[i];
                n += 1;
            }
            i += 1;
        }
        out
    }
}

/// The built-in dialect called `name`; `None` for any other name.
pub fn builtin(name: &str) -> Option<ProviderProfile> {
    let (_, text) = PROFILES.iter().find(|(n, _)| *n == name)?;
    // `tests::every_builtin_reads` checks that each text reads.
    let value = crate::json::parse(text).ok()?;
    crate::profile_reader::read_profile(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_reads() {
        for (name, text) in PROFILES {
            let value = crate::json::parse(text).expect("valid JSON");
            let p = crate::profile_reader::read_profile(&value).expect("a valid profile");
            assert_eq!(p.name, name);
            assert_eq!(builtin(name), Some(p));
        }
        assert_eq!(builtin("nope"), None);
        assert_eq!(ProviderProfile::BUILTIN, PROFILES.map(|(n, _)| n));
    }

    /// The minified texts are the files' JSON, with no whitespace left between tokens.
    #[test]
    fn builtins_are_minified() {
        let files = [
            include_str!("mirako.json"),
            include_str!("apixo.json"),
            include_str!("mindproxy.json"),
            include_str!("queue.json"),
        ];
        for ((_, text), file) in PROFILES.iter().zip(files) {
            let (ours, theirs): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(text).expect("valid JSON"),
                serde_json::from_str(file).expect("valid JSON"),
            );
            assert_eq!(ours, theirs);
            assert!(!text.contains(['\n', '\t']) && !text.contains("\": ") && !text.contains(", "));
        }
    }
}
