"""A small least-recently-used cache with hit/miss statistics.

    cache = LRUCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")      # "a" is now the most recently used entry
    cache.put("c", 3)   # evicts "b", the least recently used one
"""

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["LRUCache", "CacheStats"]

_MISSING = object()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0

    @property
    def hit_rate(self):
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class LRUCache:
    """Maps keys to values, holding at most `capacity` entries.

    When a new key would exceed the capacity, the least recently used entry is
    evicted. `get` and `put` count as uses; `peek` and `in` do not.
    """

    def __init__(self, capacity, on_evict=None):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.stats = CacheStats()
        self._on_evict = on_evict
        self._data = OrderedDict()  # least recently used first

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return self._lookup(key) is not _MISSING

    def _lookup(self, key):
        return self._data.get(key, _MISSING)

    def get(self, key, default=None):
        """Return the value for `key` (marking it most recently used), or `default`."""
        value = self._lookup(key)
        if value is _MISSING:
            self.stats.misses += 1
            return default
        self.stats.hits += 1
        return value

    def peek(self, key, default=None):
        """Return the value for `key` without changing its recency or the stats."""
        value = self._lookup(key)
        return default if value is _MISSING else value

    def put(self, key, value):
        """Insert or replace `key`, marking it most recently used."""
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        while len(self._data) > self.capacity:
            old_key, old_value = self._data.popitem(last=False)
            self.stats.evictions += 1
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)

    def pop(self, key, default=None):
        """Remove `key` and return its value, or `default` when absent."""
        return self._data.pop(key, default)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)

    def clear(self):
        self._data.clear()
