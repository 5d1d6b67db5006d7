//===- KernelCache.h - In-memory and on-disk caches of kernels --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The two caches behind the JIT, independent of MLIR so that they are tested
// without compiling anything:
//
// - `MemoryCache`: a thread-safe map from cache key to compiled bundle,
//   bounded by least-recently-used eviction. Threads asking for a key that is
//   being compiled wait for that compilation instead of starting their own,
//   so N threads compiling one spec compile it once.
//
// - `DiskCache`: one file per key under a directory. An entry is written to a
//   temporary file in the same directory and renamed into place, so readers
//   never see a partial entry and processes racing on one key each publish a
//   whole one (the last rename wins; all are equal). Each entry starts with a
//   header (magic, format version, key, payload size, payload checksum);
//   a reader that finds a truncated, corrupt or foreign entry removes it and
//   reports a miss, so the caller rebuilds it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_KERNELCACHE_H
#define ATTN_JIT_KERNELCACHE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cassert>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace attn::jit {

//===----------------------------------------------------------------------===//
// Cache keys
//===----------------------------------------------------------------------===//

/// Accumulates the parts of a cache key and hashes them (SHA-256, hex). Each
/// part is length-prefixed, so ("ab", "c") and ("a", "bc") differ.
class CacheKeyBuilder {
public:
  CacheKeyBuilder &add(llvm::StringRef name, llvm::StringRef value);
  CacheKeyBuilder &add(llvm::StringRef name, int64_t value);
  /// 32 hex digits (the first 128 bits of the SHA-256 of the parts).
  std::string getKey() const;
  /// The parts themselves, unhashed: an exact key for an in-memory map,
  /// where no two different sets of parts can collide.
  llvm::StringRef getParts() const { return parts; }

private:
  std::string parts;
};

//===----------------------------------------------------------------------===//
// In-memory cache
//===----------------------------------------------------------------------===//

/// A thread-safe map from key to an immutable value of type `T`, computing
/// each key at most once at a time: concurrent callers of one key wait for
/// the first one's result. Failures are not cached (a later call retries),
/// but the callers waiting on a failing computation all get its message.
///
/// The cache keeps at most `capacity` values (0: no bound): storing a newly
/// computed value forgets the least recently used ones beyond that. A key's
/// use is a `getOrCompute` of it, hit or not, and the end of its computation.
/// Values are shared pointers, so an evicted value stays alive for every
/// caller still holding it; the cache only stops handing it out. A key being
/// computed is never evicted (its waiters, and callers arriving meanwhile,
/// get the one computation) but takes room, so the cache may hold more than
/// `capacity` keys while computations are under way. A failed computation
/// evicts nothing.
template <typename T> class MemoryCache {
public:
  using ValuePtr = std::shared_ptr<const T>;

  explicit MemoryCache(size_t capacity = 0) : capacity(capacity) {}

  /// Returns the value of `key`, calling `compute` if it is neither cached
  /// nor being computed. `hit` says whether this call computed nothing.
  llvm::Expected<ValuePtr>
  getOrCompute(llvm::StringRef key,
               const std::function<llvm::Expected<ValuePtr>()> &compute,
               bool *hit = nullptr) {
    std::shared_ptr<Slot> slot;
    bool owner = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto [it, inserted] = entries.try_emplace(key);
      Entry &entry = it->second;
      if (inserted) {
        entry.slot = std::make_shared<Slot>();
        recency.push_front(it->getKey());
        entry.use = recency.begin();
        owner = true;
      } else {
        recency.splice(recency.begin(), recency, entry.use);
      }
      slot = entry.slot;
    }
    if (hit)
      *hit = !owner;

    if (!owner) {
      std::unique_lock<std::mutex> lock(slot->mutex);
      slot->ready.wait(lock, [&] { return slot->done; });
      if (slot->value)
        return slot->value;
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     slot->error);
    }

    llvm::Expected<ValuePtr> value = compute();
    std::string error;
    if (value) {
      // Make room for the value, its key the most recent (and, still being
      // computed, no candidate itself). A key cleared meanwhile stores
      // nothing and evicts nothing.
      std::lock_guard<std::mutex> lock(mutex);
      auto it = entries.find(key);
      if (it != entries.end() && it->second.slot == slot) {
        recency.splice(recency.begin(), recency, it->second.use);
        evictLocked();
      }
    } else {
      error = llvm::toString(value.takeError());
      // Forget the failed slot so that a later call tries again.
      std::lock_guard<std::mutex> lock(mutex);
      auto it = entries.find(key);
      if (it != entries.end() && it->second.slot == slot) {
        recency.erase(it->second.use);
        entries.erase(it);
      }
    }
    {
      std::lock_guard<std::mutex> lock(slot->mutex);
      slot->done = true;
      if (value)
        slot->value = *value;
      else
        slot->error = error;
    }
    slot->ready.notify_all();
    if (!slot->value)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
    return slot->value;
  }

  /// The cached value of `key`, if computed. Not a use: the key's place in
  /// the eviction order does not change.
  ValuePtr lookup(llvm::StringRef key) const {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = entries.find(key);
      if (it == entries.end())
        return nullptr;
      slot = it->second.slot;
    }
    std::lock_guard<std::mutex> lock(slot->mutex);
    return slot->done ? slot->value : nullptr;
  }

  /// Forgets every value (computations under way finish for their callers).
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    entries.clear();
    recency.clear();
  }

  /// The number of keys held, computed or being computed.
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex);
    return entries.size();
  }

  /// The most values kept (0: no bound).
  size_t getCapacity() const { return capacity; }

private:
  struct Slot {
    std::mutex mutex;
    std::condition_variable ready;
    bool done = false;
    ValuePtr value;
    std::string error;
  };
  struct Entry {
    std::shared_ptr<Slot> slot;
    /// The key's place in `recency`.
    typename std::list<llvm::StringRef>::iterator use;
  };

  /// Forgets computed values, least recently used first, until at most
  /// `capacity` keys are left or only keys being computed are. Called with
  /// `mutex` held; takes each candidate's slot mutex inside it (the only
  /// place both are held, always in this order).
  void evictLocked() {
    if (capacity == 0)
      return;
    auto use = recency.end();
    while (entries.size() > capacity && use != recency.begin()) {
      --use;
      auto it = entries.find(*use);
      assert(it != entries.end() && "recency names a key not in the map");
      bool done;
      {
        std::lock_guard<std::mutex> lock(it->second.slot->mutex);
        done = it->second.slot->done;
      }
      if (!done)
        continue;
      use = recency.erase(use);
      entries.erase(it);
    }
  }

  const size_t capacity;
  mutable std::mutex mutex;
  llvm::StringMap<Entry> entries;
  /// The keys of `entries` (referring to the map's own copies), most
  /// recently used first.
  std::list<llvm::StringRef> recency;
};

/// The entry count that `text` (an environment variable's value) asks an
/// in-memory cache for: a decimal number, surrounding blanks allowed; 0 means
/// no bound. std::nullopt if `text` is not one.
std::optional<size_t> parseMemoryCacheEntries(llvm::StringRef text);

//===----------------------------------------------------------------------===//
// On-disk cache
//===----------------------------------------------------------------------===//

/// One file per key, `<dir>/<key>.attnk`, holding a header and a payload:
///
///   magic "ATTNKC\r\n" (8 bytes) | format version u32 | key length u32 |
///   payload length u64 | payload xxh3-64 u64 | key | payload
///
/// (integers little-endian).
class DiskCache {
public:
  /// The on-disk format version; entries of another version are misses.
  static constexpr uint32_t kFormatVersion = 1;

  explicit DiskCache(std::string directory) : directory(std::move(directory)) {}

  /// The default directory: $XDG_CACHE_HOME/attn, else ~/.cache/attn; empty
  /// if neither variable is set.
  static std::string getDefaultDirectory();

  llvm::StringRef getDirectory() const { return directory; }
  /// The entry's path for `key`.
  std::string getPath(llvm::StringRef key) const;

  /// The payload stored for `key`, or std::nullopt on a miss. An entry that
  /// is unreadable, truncated, of another format version or key, or whose
  /// checksum does not match is removed (and reported in `*why`, if given)
  /// so the caller rebuilds it.
  std::optional<std::string> load(llvm::StringRef key,
                                  std::string *why = nullptr) const;

  /// Writes `payload` for `key` atomically (temporary file in the same
  /// directory, then rename), creating the directory if needed.
  llvm::Error store(llvm::StringRef key, llvm::StringRef payload) const;

  /// Removes the entry of `key` if any.
  void remove(llvm::StringRef key) const;

  /// Serialises an entry (header + payload) as `store` writes it.
  static std::string encode(llvm::StringRef key, llvm::StringRef payload);
  /// Checks an entry read from disk; returns its payload or an error saying
  /// what is wrong with it.
  static llvm::Expected<std::string> decode(llvm::StringRef key,
                                            llvm::StringRef entry);

private:
  std::string directory;
};

} // namespace attn::jit

#endif // ATTN_JIT_KERNELCACHE_H
