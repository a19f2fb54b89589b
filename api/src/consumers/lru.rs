//! A map bounded by the total weight of its values, least recently used out
//! first: the response cache's and the persisted queries' store.

use std::{
    borrow::Borrow,
    collections::{BTreeMap, HashMap},
    hash::Hash,
};

/// A map bounded by the total weight of its values, evicting the least recently
/// used first.
pub(crate) struct Lru<K, V> {
    map: HashMap<K, Slot<V>>,
    /// Keys by their last use, oldest first.
    order: BTreeMap<u64, K>,
    clock: u64,
    weight: usize,
    capacity: usize,
}

struct Slot<V> {
    value: V,
    used: u64,
    weight: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    /// An empty map holding at most `capacity` in total weight.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: BTreeMap::new(),
            clock: 0,
            weight: 0,
            capacity,
        }
    }

    /// The value under `key`, now the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.clock += 1;
        let (stored_key, slot) = self.map.get_key_value(key)?;
        let stored_key = stored_key.clone();
        let previous = slot.used;
        self.order.remove(&previous);
        self.order.insert(self.clock, stored_key);
        let slot = self.map.get_mut(key)?;
        slot.used = self.clock;
        Some(slot.value.clone())
    }

    /// Puts `value` under `key`, then evicts until within capacity. A value
    /// heavier than the whole capacity is not kept. Returns what left: the value
    /// it replaced and those evicted (with `value` itself if it was not kept).
    pub(crate) fn insert(&mut self, key: K, value: V, weight: usize) -> Vec<(K, V)> {
        let mut gone: Vec<(K, V)> = Vec::new();
        if let Some(old) = self.remove(&key) {
            gone.push((key.clone(), old));
        }
        if weight > self.capacity {
            gone.push((key, value));
            return gone;
        }
        self.clock += 1;
        self.order.insert(self.clock, key.clone());
        self.map.insert(
            key,
            Slot {
                value,
                used: self.clock,
                weight,
            },
        );
        self.weight += weight;
        while self.weight > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(slot) = self.map.remove(&oldest) {
                self.weight -= slot.weight;
                gone.push((oldest, slot.value));
            }
        }
        gone
    }

    /// Forgets `key`, returning its value.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.remove(key)?;
        self.order.remove(&slot.used);
        self.weight -= slot.weight;
        Some(slot.value)
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.weight = 0;
    }

    /// How many values are held.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Their total weight.
    pub(crate) fn weight(&self) -> usize {
        self.weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lru_keeps_to_its_weight_and_drops_the_least_recently_used() {
        let mut lru = Lru::new(10);
        lru.insert("a", 1, 4);
        lru.insert("b", 2, 4);
        assert_eq!(lru.get("a"), Some(1));
        lru.insert("c", 3, 4);
        assert_eq!(lru.get("b"), None, "b was the least recently used");
        assert_eq!((lru.get("a"), lru.get("c")), (Some(1), Some(3)));
        assert_eq!((lru.len(), lru.weight()), (2, 8));
        lru.insert("a", 10, 2);
        assert_eq!((lru.get("a"), lru.weight()), (Some(10), 6));
        assert_eq!(lru.insert("huge", 0, 11), vec![("huge", 0)]);
        assert_eq!((lru.get("huge"), lru.len()), (None, 2));
        assert_eq!(lru.insert("d", 4, 6), vec![("c", 3)], "c was the oldest");
        assert_eq!(lru.remove("a"), Some(10));
        assert_eq!((lru.len(), lru.weight()), (1, 6));
    }
}
