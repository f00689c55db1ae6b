//! The four built-in dialects. Each is a profile written as JSON (`<name>.json`, the shape
//! of a user's profile object) and read by [`crate::profile_reader`], the same reader a
//! user's profile goes through, next to its module of fixture tests of the vendor's
//! documented bodies.

use crate::profile::ProviderProfile;

pub mod apixo;
pub mod mindproxy;
pub mod mirako;
pub mod queue;

/// Each built-in dialect's name and profile as JSON text.
pub static PROFILES: [(&str, &str); 4] = [
    ("mirako", include_str!("mirako.json")),
    ("apixo", include_str!("apixo.json")),
    ("mindproxy", include_str!("mindproxy.json")),
    ("queue", include_str!("queue.json")),
];

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
}
