//! A map kept as a sorted `Vec`, the core's one map type. Its maps hold a handful of
//! entries (a profile's state names, headers, hosts) or ids that mostly grow (operations,
//! requests); a sorted vector serves them with binary search and costs far less wasm than a
//! `BTreeMap` instantiation per key and value type (issue 7). Iteration is in key order, as
//! a `BTreeMap`'s.

/// A map sorted by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { items: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        VecMap { items: Vec::new() }
    }

    fn find<Q: Ord + ?Sized>(&self, k: &Q) -> Result<usize, usize>
    where
        K: std::borrow::Borrow<Q>,
    {
        // A plain loop: `binary_search_by`'s is larger per instantiation (issue 7). The
        // answer is the same, as no two entries share a key.
        let (mut lo, mut hi) = (0, self.items.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.items[mid].0.borrow().cmp(k) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The value for `k`.
    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).ok().map(|i| &self.items[i].1)
    }

    /// The value for `k`, mutable.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        match self.find(k) {
            Ok(i) => Some(&mut self.items[i].1),
            Err(_) => None,
        }
    }

    /// True when `k` is present.
    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).is_ok()
    }

    /// Sets `k` to `v`, returning the old value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, v)),
            Err(i) => {
                self.items.insert(i, (k, v));
                None
            }
        }
    }

    /// The value for `k`, inserted with `f` when absent.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.items.insert(i, (k, f()));
                i
            }
        };
        &mut self.items[i].1
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Removes `k`, returning its value.
    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(k).ok().map(|i| self.items.remove(i).1)
    }

    /// The entry with the smallest key.
    pub fn first(&self) -> Option<&(K, V)> {
        self.items.first()
    }

    /// Entries in key order, as a slice: a `for` loop over it needs no iterator adapter
    /// of its own per key and value type, as [`VecMap::iter`]'s `map` is (issue 7).
    pub fn entries(&self) -> &[(K, V)] {
        &self.items
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    /// Values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// Inserts each pair in turn (a repeated key keeps the last value).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = VecMap::default();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written search answers as `binary_search_by` does, found or not.
    #[test]
    fn find_is_binary_search() {
        for n in 0..40u32 {
            let m: VecMap<u32, ()> = (0..n).map(|i| (i * 2 + 1, ())).collect();
            for k in 0..n * 2 + 3 {
                assert_eq!(
                    m.find(&k),
                    m.items.binary_search_by(|(x, _)| x.cmp(&k)),
                    "{n} {k}"
                );
            }
        }
    }

    #[test]
    fn behaves_as_a_map() {
        let mut m: VecMap<String, u32> = VecMap::default();
        assert_eq!(m.insert("b".into(), 2), None);
        assert_eq!(m.insert("a".into(), 1), None);
        assert_eq!(m.insert("b".into(), 3), Some(2));
        assert_eq!(m.get("b"), Some(&3));
        assert!(m.contains_key("a"));
        *m.get_or_insert_with("c".into(), || 0) += 5;
        *m.get_mut("a").expect("present") += 1;
        let keys: Vec<&String> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(m.first().map(|e| e.1), Some(2));
        assert_eq!(m.remove("b"), Some(3));
        assert_eq!(m.remove("b"), None);
        assert_eq!(m.len(), 2);
    }
}
