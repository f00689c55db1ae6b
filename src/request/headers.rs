//! A request's headers: one at a time from a `Headers` or plain object ([`header`]), or
//! three in one call written straight into wasm memory ([`ascii_headers`], the webhook
//! receiver's signature headers).

#[cfg(feature = "webhook")]
use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::{header_of, with_name};
#[cfg(feature = "webhook")]
use super::{headers_into, MEMORY};

/// Reads one header from a `Headers` object or a plain `{name: value}` object (a plain
/// object may spell the name with other capitalization, `Webhook-Id`).
pub(crate) fn header(headers: &JsValue, key: &'static str) -> Option<String> {
    with_name(key, |k| header_of(headers, k)).as_string()
}

/// Room for [`ascii_headers`]' values: Standard Webhooks' three headers take about 120
/// bytes; longer ones go the slower way.
#[cfg(feature = "webhook")]
const SCRATCH_LEN: usize = 1024;

#[cfg(feature = "webhook")]
thread_local! {
    /// Where JavaScript writes the values [`ascii_headers`] reads: one spot, reused.
    static SCRATCH: RefCell<[u8; SCRATCH_LEN]> = const { RefCell::new([0; SCRATCH_LEN]) };
}

/// `f` of three headers' values (`names`: their lowercase names, separated by spaces), read
/// in one call into JavaScript and written straight into wasm memory (`None` where a value
/// is absent). `None` when a value is not ASCII or they are longer in all than 1 KiB: read
/// them with [`header`] then. Reading them one by one is a call, a `String` and a copy
/// each: a tenth of a small webhook delivery's time.
#[cfg(feature = "webhook")]
pub(crate) fn ascii_headers<R>(
    headers: &JsValue,
    names: &'static str,
    f: impl FnOnce([Option<&str>; 3]) -> R,
) -> Option<R> {
    SCRATCH.with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        let at = buf.as_mut_ptr() as u32;
        let packed = with_name(names, |names| {
            MEMORY.with(|m| headers_into(headers, names, m, at, SCRATCH_LEN as u32))
        });
        if !(packed >= 0.0 && packed < (1u64 << 33) as f64) {
            return None;
        }
        let mut packed = packed as u64;
        let mut start = 0;
        let mut values = [None; 3];
        for value in &mut values {
            let n = (packed % 2048) as usize;
            packed /= 2048;
            if n > 0 {
                // JavaScript wrote ASCII within the scratch; anything else is refused here
                // (and read the slow way) rather than trusted.
                let bytes = buf.get(start..start + n - 1)?;
                *value = Some(std::str::from_utf8(bytes).ok()?);
                start += n - 1;
            }
        }
        Some(f(values))
    })
}
