//===- KernelCache.h - In-memory and on-disk caches of kernels --*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The two caches behind the JIT, independent of MLIR so that they are tested
// without compiling anything:
//
// - `MemoryCache`: a thread-safe map from cache key to compiled bundle. Threads
//   asking for a key that is being compiled wait for that compilation instead
//   of starting their own, so N threads compiling one spec compile it once.
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

#include <condition_variable>
#include <cstdint>
#include <functional>
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
template <typename T> class MemoryCache {
public:
  using ValuePtr = std::shared_ptr<const T>;

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
      std::shared_ptr<Slot> &entry = slots[key];
      if (!entry) {
        entry = std::make_shared<Slot>();
        owner = true;
      }
      slot = entry;
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
    if (!value) {
      error = llvm::toString(value.takeError());
      // Forget the failed slot so that a later call tries again.
      std::lock_guard<std::mutex> lock(mutex);
      auto it = slots.find(key);
      if (it != slots.end() && it->second == slot)
        slots.erase(it);
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

  /// The cached value of `key`, if computed.
  ValuePtr lookup(llvm::StringRef key) const {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = slots.find(key);
      if (it == slots.end())
        return nullptr;
      slot = it->second;
    }
    std::lock_guard<std::mutex> lock(slot->mutex);
    return slot->done ? slot->value : nullptr;
  }

  /// Forgets every value (computations under way finish for their callers).
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    slots.clear();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex);
    return slots.size();
  }

private:
  struct Slot {
    std::mutex mutex;
    std::condition_variable ready;
    bool done = false;
    ValuePtr value;
    std::string error;
  };
  mutable std::mutex mutex;
  llvm::StringMap<std::shared_ptr<Slot>> slots;
};

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
