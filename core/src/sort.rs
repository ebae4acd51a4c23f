//! Sorting and collecting into B-trees with one copy of the sort code in
//! the WebAssembly build.
//!
//! `slice::sort` and `sort_by` instantiate the whole of the standard
//! library's stable sort (driftsort: runs, merges, a quicksort, small-sort
//! networks; about 4 KB of wasm) once per element type and comparator, and
//! collecting into a `BTreeSet` or `BTreeMap` sorts its items the same way.
//! The crate sorted sixteen element types and comparators that way, 65 KB
//! of the npm `.wasm` before wasm-opt. So on `wasm32` [`sort_by`] sorts the positions `0..len` (one
//! instantiation, for `usize` with a `dyn` comparator) and then moves the
//! elements into that order; natively it is `slice::sort_by`, as fast as
//! before.
//!
//! Both give the same order: a stable sort's result is determined by the
//! comparator alone (equal elements keep their input order), whatever the
//! algorithm; `tests` checks it on random inputs. [`set`] and [`map`]
//! collect by inserting one item after another, which gives the same
//! collection as `collect()` without its sort (for a map, the last value
//! of a key wins either way).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` in ascending order, stably: the order of `v.sort()`.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts `v` in ascending order, for elements that are the same when equal:
/// the order of `v.sort_unstable()`.
pub(crate) fn sort_unstable<T: Ord>(v: &mut [T]) {
    #[cfg(target_arch = "wasm32")]
    by_positions(v, T::cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable();
}

/// Sorts `v` stably by `key`: the order of `v.sort_by_key(key)`.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably by `compare`: the order of `v.sort_by(compare)`.
pub(crate) fn sort_by<T>(v: &mut [T], compare: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_positions(v, compare);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(compare);
}

/// The set of `items`, built without sorting them first.
pub(crate) fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The map of `items` (the last value of a key wins), built without sorting them first.
pub(crate) fn map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(items);
    map
}

/// [`sort_by`] through the one shared sort of positions.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn by_positions<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    sort_positions(&mut order, &mut |a, b| compare(&v[a], &v[b]));
    for (i, j) in swaps(order).into_iter().enumerate() {
        v.swap(i, j);
    }
}

/// Sorts positions stably by `compare`; the only instantiation of the sort.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// The swaps that put a slice into `order` (`order[i]` is the position of
/// the element that belongs at `i`): for each `i` in turn, swap `i` with
/// the returned `[i]`. Non-generic, so each element type only pays for the
/// loop of swaps.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn swaps(order: Vec<usize>) -> Vec<usize> {
    let n = order.len();
    // `at[p]`: which original element is at position `p` now; `pos` the inverse.
    let mut at: Vec<usize> = (0..n).collect();
    let mut pos = at.clone();
    let mut swaps = order;
    for i in 0..n {
        let wanted = swaps[i];
        let from = pos[wanted];
        let displaced = at[i];
        at[from] = displaced;
        pos[displaced] = from;
        at[i] = wanted;
        pos[wanted] = i;
        swaps[i] = from;
    }
    swaps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the test needs no dependency.
    fn numbers(seed: u64, len: usize, range: u64) -> Vec<u64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) % range
            })
            .collect()
    }

    #[test]
    fn sorting_positions_gives_the_standard_stable_order() {
        for seed in 0..300 {
            let len = (seed as usize * 7) % 97;
            // Few distinct keys, so that stability shows; the index tells equal keys apart.
            let keys = numbers(seed, len, 1 + seed % 13);
            let items: Vec<(u64, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(k, _)| k);
            let mut got = items.clone();
            by_positions(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "seed {seed}");
            let mut reversed = items.clone();
            reversed.sort_by_key(|b| std::cmp::Reverse(b.0));
            let mut got = items;
            by_positions(&mut got, |a, b| b.0.cmp(&a.0));
            assert_eq!(got, reversed, "seed {seed}, descending");
        }
    }

    #[test]
    fn swaps_apply_any_permutation() {
        for seed in 0..200 {
            let len = seed as usize % 40;
            // A random permutation: positions sorted by random keys.
            let keys = numbers(seed, len, 1000);
            let mut order: Vec<usize> = (0..len).collect();
            order.sort_by_key(|&i| (keys[i], i));
            let mut v: Vec<usize> = (0..len).map(|i| i * 10).collect();
            for (i, j) in swaps(order.clone()).into_iter().enumerate() {
                v.swap(i, j);
            }
            let expected: Vec<usize> = order.iter().map(|&i| i * 10).collect();
            assert_eq!(v, expected, "seed {seed}");
        }
    }

    #[test]
    fn collecting_without_sorting_gives_the_same_collections() {
        let keys = numbers(7, 200, 30);
        assert_eq!(set(keys.iter().copied()), keys.iter().copied().collect::<BTreeSet<_>>());
        let pairs: Vec<(u64, usize)> = keys.iter().copied().zip(0..).collect();
        assert_eq!(
            map(pairs.iter().copied()),
            pairs.into_iter().collect::<BTreeMap<_, _>>()
        );
    }
}
