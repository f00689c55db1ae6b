//! Free lists for small blocks in front of the global allocator, for the builds compiled
//! for speed (feature `fast-alloc`: `tasklane/webhook`). A webhook delivery makes a few
//! dozen small allocations (header text, the parsed values the dialect reads, the update's
//! strings) and frees them all before it returns; talc's general search was about 7 % of a
//! 1 KiB delivery's time, a free-list pop or push is a few instructions.
//!
//! Blocks of up to 128 bytes (alignment up to 8) come in four size classes (16, 32, 64 and
//! 128 bytes). A freed block goes onto its class's list and is handed out again for the
//! next request of that class; only when a list is empty is the inner allocator asked
//! (for a block of the class's whole size). Blocks on a list are never returned to the
//! inner allocator: what the lists hold is the most small blocks ever live at once.
//! Larger or more aligned requests go straight to the inner allocator.
//!
//! wasm32 without threads only (there is no lock): `lib.rs` installs it there.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr;

/// Size classes: 16 << i bytes for i in 0..CLASSES.
const CLASSES: usize = 4;
/// The largest alignment a class block has (talc's blocks are 8-aligned).
const ALIGN: usize = 8;

/// `A` with a free list per small size class in front of it.
pub(crate) struct SizeClasses<A> {
    inner: A,
    /// The first free block of each class; each free block starts with the next one's address.
    heads: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: only used as the global allocator of single-threaded wasm32 (no `atomics`
// target feature, `lib.rs`), where nothing runs concurrently.
unsafe impl<A: Sync> Sync for SizeClasses<A> {}

impl<A> SizeClasses<A> {
    /// Free lists, empty, in front of `inner`.
    pub(crate) const fn new(inner: A) -> Self {
        Self {
            inner,
            heads: UnsafeCell::new([ptr::null_mut(); CLASSES]),
        }
    }
}

/// The class of a block for `layout`, if it is small enough for one.
fn class(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN {
        return None;
    }
    match layout.size() {
        0..=16 => Some(0),
        17..=32 => Some(1),
        33..=64 => Some(2),
        65..=128 => Some(3),
        _ => None,
    }
}

/// The layout of a whole block of class `c`.
fn block(c: usize) -> Layout {
    // SAFETY: a power of two alignment, and a size far from overflowing when rounded up.
    unsafe { Layout::from_size_align_unchecked(16 << c, ALIGN) }
}

// SAFETY: every block handed out is at least as large and as aligned as asked for (a class
// block is its class's whole size, 8-aligned), and stays the caller's until freed: a block
// is on a list only after `dealloc`, and leaves it only in `alloc`.
//
// The methods are not inlined: at every allocation site, the fast path and the call into
// talc behind it were 2.4 KB gzip of the webhook build, for no measurable speed.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            return self.inner.alloc(layout);
        };
        let heads = &mut *self.heads.get();
        let p = heads[c];
        if p.is_null() {
            return self.inner.alloc(block(c));
        }
        heads[c] = p.cast::<*mut u8>().read();
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else {
            return self.inner.dealloc(p, layout);
        };
        let heads = &mut *self.heads.get();
        p.cast::<*mut u8>().write(heads[c]);
        heads[c] = p;
    }

    #[inline(never)]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class(layout), class(new)) {
            // The block already has room for the new size.
            (Some(a), Some(b)) if a == b => p,
            (None, None) => self.inner.realloc(p, layout, new_size),
            _ => {
                let q = self.alloc(new);
                if !q.is_null() {
                    ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                    self.dealloc(p, layout);
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    /// A deterministic xorshift, for the random sequences.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn a_freed_block_is_handed_out_again_for_its_class_only() {
        let a = SizeClasses::new(System);
        unsafe {
            let l20 = Layout::from_size_align(20, 4).unwrap();
            let p = a.alloc(l20);
            a.dealloc(p, l20);
            // 17..=32 bytes share the class: the same block again.
            let l32 = Layout::from_size_align(32, 8).unwrap();
            assert_eq!(a.alloc(l32), p);
            // Another class does not get it.
            a.dealloc(p, l32);
            let l8 = Layout::from_size_align(8, 8).unwrap();
            let q = a.alloc(l8);
            assert_ne!(q, p);
            // Growing within the class keeps the block; past it, moves the bytes.
            q.write_bytes(7, 8);
            let l16 = Layout::from_size_align(16, 8).unwrap();
            assert_eq!(a.realloc(q, l8, 16), q);
            let r = a.realloc(q, l16, 100);
            assert_eq!(std::slice::from_raw_parts(r, 8), &[7; 8]);
            a.dealloc(r, Layout::from_size_align(100, 8).unwrap());
            // Large and over-aligned requests are the inner allocator's.
            let big = Layout::from_size_align(4096, 8).unwrap();
            let b = a.alloc(big);
            a.dealloc(b, big);
            let l16a = Layout::from_size_align(16, 16).unwrap();
            let c = a.alloc(l16a);
            assert_eq!(c as usize % 16, 0);
            a.dealloc(c, l16a);
        }
    }

    #[test]
    fn random_allocations_keep_their_bytes() {
        let a = SizeClasses::new(System);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        // (pointer, layout, fill byte)
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let check = |p: *mut u8, l: Layout, fill: u8| unsafe {
            assert!(std::slice::from_raw_parts(p, l.size())
                .iter()
                .all(|&b| b == fill));
            assert_eq!(p as usize % l.align(), 0);
        };
        for step in 0..20_000u32 {
            let r = rng(&mut seed);
            let fill = step as u8;
            match r % 4 {
                0 | 1 => {
                    let size = 1 + (r >> 8) as usize % 300;
                    let align = 1 << ((r >> 20) % 5);
                    let l = Layout::from_size_align(size, align).unwrap();
                    let p = unsafe { a.alloc(l) };
                    assert!(!p.is_null());
                    unsafe { p.write_bytes(fill, size) };
                    live.push((p, l, fill));
                }
                2 if !live.is_empty() => {
                    let (p, l, f) = live.swap_remove((r >> 8) as usize % live.len());
                    check(p, l, f);
                    unsafe { a.dealloc(p, l) };
                }
                3 if !live.is_empty() => {
                    let i = (r >> 8) as usize % live.len();
                    let (p, l, f) = live[i];
                    check(p, l, f);
                    let size = 1 + (r >> 24) as usize % 300;
                    let q = unsafe { a.realloc(p, l, size) };
                    assert!(!q.is_null());
                    let nl = Layout::from_size_align(size, l.align()).unwrap();
                    check(
                        q,
                        Layout::from_size_align(size.min(l.size()), l.align()).unwrap(),
                        f,
                    );
                    unsafe { q.write_bytes(fill, size) };
                    live[i] = (q, nl, fill);
                }
                _ => {}
            }
        }
        for (p, l, f) in live {
            check(p, l, f);
            unsafe { a.dealloc(p, l) };
        }
    }
}
