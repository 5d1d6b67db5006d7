//===- JITTest.cpp - JIT caches and compilation without a GPU -------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Everything of the JIT that runs without a GPU: cache keys, the in-memory
// and on-disk caches (corrupt entries, threads and processes racing on one
// key), compilation to PTX for a named chip, and compile times. Kernels made
// by a test are trivial gpu.modules written in MLIR, so the cache tests do not
// depend on the kernel generator.
//
//===----------------------------------------------------------------------===//

#include "JITTestUtils.h"

#include "attn/JIT/KernelCache.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace attn::jit;
using namespace attn::jit::testing;

namespace {

/// A fresh directory removed at the end of the test.
class TempDir {
public:
  TempDir() {
    llvm::SmallString<128> path;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("attn-jit-test", path));
    dir = std::string(path);
  }
  ~TempDir() { llvm::sys::fs::remove_directories(dir); }
  const std::string &get() const { return dir; }

private:
  std::string dir;
};

/// Options compiling PTX for sm_90a into `cacheDir`: no GPU, no ptxas.
JITOptions ptxOptions(std::string cacheDir = "", bool inMemory = false) {
  JITOptions options;
  options.chip = "sm_90a";
  options.format = BinaryFormat::PTX;
  options.cacheDir = std::move(cacheDir);
  options.inMemoryCache = inMemory;
  return options;
}

size_t countFiles(llvm::StringRef dir) {
  size_t count = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    ++count;
  return count;
}

//===----------------------------------------------------------------------===//
// Keys and the on-disk format
//===----------------------------------------------------------------------===//

TEST(CacheKeyTest, PartsAreDelimited) {
  std::string a = CacheKeyBuilder().add("x", "ab").add("y", "c").getKey();
  std::string b = CacheKeyBuilder().add("x", "a").add("y", "bc").getKey();
  std::string c = CacheKeyBuilder().add("x", "ab").add("y", "c").getKey();
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(a.size(), 32u);
}

TEST(DiskCacheTest, RoundTripAndCorruption) {
  TempDir dir;
  DiskCache cache(dir.get());
  std::string payload(100000, '\0');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7);
  ASSERT_FALSE(llvm::errorToBool(cache.store("k1", payload)));
  std::optional<std::string> loaded = cache.load("k1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, payload);
  EXPECT_EQ(countFiles(dir.get()), 1u) << "no temporary file left behind";

  // A flipped payload byte: checksum mismatch, entry removed.
  std::string entry = DiskCache::encode("k1", payload);
  entry[entry.size() / 2] ^= 1;
  {
    std::ofstream out(cache.getPath("k1"), std::ios::binary);
    out.write(entry.data(), entry.size());
  }
  std::string why;
  EXPECT_FALSE(cache.load("k1", &why));
  EXPECT_NE(why.find("checksum"), std::string::npos) << why;
  EXPECT_FALSE(llvm::sys::fs::exists(cache.getPath("k1")));

  // Truncated.
  entry = DiskCache::encode("k1", payload);
  {
    std::ofstream out(cache.getPath("k1"), std::ios::binary);
    out.write(entry.data(), entry.size() - 10);
  }
  EXPECT_FALSE(cache.load("k1", &why));
  EXPECT_NE(why.find("size"), std::string::npos) << why;
  EXPECT_FALSE(llvm::sys::fs::exists(cache.getPath("k1")));

  // Another key's entry under this key's name.
  entry = DiskCache::encode("k2", payload);
  {
    std::ofstream out(cache.getPath("k1"), std::ios::binary);
    out.write(entry.data(), entry.size());
  }
  EXPECT_FALSE(cache.load("k1", &why));
  EXPECT_NE(why.find("key"), std::string::npos) << why;

  // Garbage and an empty file.
  {
    std::ofstream out(cache.getPath("k1"), std::ios::binary);
    out << "not a cache entry at all, but long enough to hold a header";
  }
  EXPECT_FALSE(cache.load("k1"));
  { std::ofstream out(cache.getPath("k1"), std::ios::binary); }
  EXPECT_FALSE(cache.load("k1"));
}

TEST(DiskCacheTest, DisabledWhenDirectoryEmpty) {
  DiskCache cache("");
  EXPECT_FALSE(llvm::errorToBool(cache.store("k", "payload")));
  EXPECT_FALSE(cache.load("k"));
}

/// Two processes write the same key over and over while reading it back:
/// every read sees a whole entry (rename is atomic), never a torn one.
TEST(DiskCacheTest, ForkedProcessesWriteOneKey) {
  TempDir dir;
  std::string payloadA(1 << 20, 'a'), payloadB(1 << 20, 'b');
  pid_t children[2];
  for (int child = 0; child < 2; ++child) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      DiskCache cache(dir.get());
      const std::string &mine = child ? payloadB : payloadA;
      int bad = 0;
      for (int i = 0; i < 30; ++i) {
        if (llvm::errorToBool(cache.store("shared", mine)))
          ++bad;
        std::optional<std::string> read = cache.load("shared");
        // A miss is possible (the other process may be between its read
        // of a torn file and... no: files are never torn); a hit must be
        // one of the two whole payloads.
        if (read && *read != payloadA && *read != payloadB)
          ++bad;
      }
      _exit(bad ? 1 : 0);
    }
    children[child] = pid;
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::optional<std::string> final = DiskCache(dir.get()).load("shared");
  ASSERT_TRUE(final);
  EXPECT_TRUE(*final == payloadA || *final == payloadB);
  EXPECT_EQ(countFiles(dir.get()), 1u) << "temporary files left behind";
}

TEST(MemoryCacheTest, ConcurrentCallersComputeOnce) {
  MemoryCache<int> cache;
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  std::atomic<int> hits{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      bool hit = false;
      auto value = cache.getOrCompute(
          "key",
          [&]() -> llvm::Expected<std::shared_ptr<const int>> {
            ++computed;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            return std::make_shared<const int>(42);
          },
          &hit);
      ASSERT_TRUE(bool(value));
      EXPECT_EQ(**value, 42);
      hits += hit;
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(computed.load(), 1);
  EXPECT_EQ(hits.load(), 7);
}

TEST(MemoryCacheTest, FailuresAreNotCached) {
  MemoryCache<int> cache;
  auto fail = [&]() -> llvm::Expected<std::shared_ptr<const int>> {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "boom");
  };
  auto first = cache.getOrCompute("key", fail);
  ASSERT_FALSE(bool(first));
  EXPECT_EQ(llvm::toString(first.takeError()), "boom");
  auto second = cache.getOrCompute(
      "key", []() -> llvm::Expected<std::shared_ptr<const int>> {
        return std::make_shared<const int>(1);
      });
  ASSERT_TRUE(bool(second));
  EXPECT_EQ(**second, 1);
}

/// Looks `key` up in `cache`, computing `value` on a miss; counts the
/// computations in `computed`.
template <typename T>
std::shared_ptr<const T> getOrMake(MemoryCache<T> &cache, llvm::StringRef key,
                                   T value, int &computed) {
  auto result = cache.getOrCompute(
      key, [&]() -> llvm::Expected<std::shared_ptr<const T>> {
        ++computed;
        return std::make_shared<const T>(value);
      });
  EXPECT_TRUE(bool(result));
  if (!result) {
    llvm::consumeError(result.takeError());
    return nullptr;
  }
  return *result;
}

TEST(MemoryCacheTest, EvictsLeastRecentlyUsed) {
  MemoryCache<int> cache(3);
  EXPECT_EQ(cache.getCapacity(), 3u);
  int computed = 0;
  EXPECT_EQ(*getOrMake(cache, "a", 1, computed), 1);
  EXPECT_EQ(*getOrMake(cache, "b", 2, computed), 2);
  EXPECT_EQ(*getOrMake(cache, "c", 3, computed), 3);
  // A hit makes "a" the most recent: "b" is now the oldest.
  EXPECT_EQ(*getOrMake(cache, "a", -1, computed), 1);
  EXPECT_EQ(computed, 3);
  // lookup is not a use: "b" stays the oldest.
  ASSERT_TRUE(cache.lookup("b"));
  EXPECT_EQ(*cache.lookup("b"), 2);

  EXPECT_EQ(*getOrMake(cache, "d", 4, computed), 4);
  EXPECT_EQ(computed, 4);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.lookup("b"), nullptr);
  ASSERT_TRUE(cache.lookup("a") && cache.lookup("c") && cache.lookup("d"));
  EXPECT_EQ(*cache.lookup("a"), 1);
  EXPECT_EQ(*cache.lookup("c"), 3);
  EXPECT_EQ(*cache.lookup("d"), 4);

  // "b" again is computed again (with its new value) and evicts "c", the
  // oldest now (order, newest first: d a c).
  EXPECT_EQ(*getOrMake(cache, "b", 20, computed), 20);
  EXPECT_EQ(computed, 5);
  EXPECT_EQ(cache.lookup("c"), nullptr);
  EXPECT_EQ(*cache.lookup("a"), 1);
  EXPECT_EQ(*cache.lookup("b"), 20);
  EXPECT_EQ(*cache.lookup("d"), 4);
  EXPECT_EQ(cache.size(), 3u);

  // Failures take no room and evict nothing.
  auto failed = cache.getOrCompute(
      "e", []() -> llvm::Expected<std::shared_ptr<const int>> {
        return llvm::createStringError(llvm::inconvertibleErrorCode(), "no");
      });
  ASSERT_FALSE(bool(failed));
  llvm::consumeError(failed.takeError());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(*getOrMake(cache, "a", -1, computed), 1);
  EXPECT_EQ(*getOrMake(cache, "b", -1, computed), 20);
  EXPECT_EQ(*getOrMake(cache, "d", -1, computed), 4);
  EXPECT_EQ(computed, 5);
}

TEST(MemoryCacheTest, CapacityZeroIsUnbounded) {
  MemoryCache<int> cache(0);
  EXPECT_EQ(cache.getCapacity(), 0u);
  EXPECT_EQ(MemoryCache<int>().getCapacity(), 0u);
  int computed = 0;
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(*getOrMake(cache, "key" + std::to_string(i), i, computed), i);
  EXPECT_EQ(cache.size(), 2000u);
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(*getOrMake(cache, "key" + std::to_string(i), -1, computed), i);
  EXPECT_EQ(computed, 2000);
}

TEST(MemoryCacheTest, HeldValueSurvivesEviction) {
  MemoryCache<std::string> cache(1);
  int computed = 0;
  std::shared_ptr<const std::string> held =
      getOrMake(cache, "a", std::string(1000, 'a'), computed);
  ASSERT_TRUE(held);
  EXPECT_EQ(*getOrMake(cache, "b", std::string("b"), computed), "b");
  EXPECT_EQ(cache.lookup("a"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  // The cache let go of it; the caller's copy is the only one, and intact.
  EXPECT_EQ(held.use_count(), 1);
  EXPECT_EQ(*held, std::string(1000, 'a'));
  // Asking again computes a new value.
  std::shared_ptr<const std::string> again =
      getOrMake(cache, "a", std::string("a2"), computed);
  EXPECT_EQ(*again, "a2");
  EXPECT_NE(again.get(), held.get());
  EXPECT_EQ(computed, 3);
  EXPECT_EQ(*held, std::string(1000, 'a'));
}

/// A key being computed is not evicted: callers arriving while it is wait
/// for the one computation, however many other keys come and go.
TEST(MemoryCacheTest, KeyBeingComputedIsNotEvicted) {
  MemoryCache<int> cache(1);
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> slowComputed{0};
  auto slow = [&]() -> llvm::Expected<std::shared_ptr<const int>> {
    if (++slowComputed == 1)
      started.set_value();
    released.wait();
    return std::make_shared<const int>(7);
  };
  int ownerValue = 0, waiterValue = 0;
  bool waiterHit = false;
  std::thread owner([&] {
    auto value = cache.getOrCompute("slow", slow);
    ownerValue = value ? **value : -1;
    if (!value)
      llvm::consumeError(value.takeError());
  });
  started.get_future().wait();

  int computed = 0;
  EXPECT_EQ(*getOrMake(cache, "x", 1, computed), 1);
  EXPECT_EQ(*getOrMake(cache, "y", 2, computed), 2);
  // Over capacity by the key in flight: "x" went, "slow" stays.
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.lookup("x"), nullptr);
  EXPECT_EQ(*cache.lookup("y"), 2);
  EXPECT_EQ(cache.lookup("slow"), nullptr) << "not computed yet";

  std::thread waiter([&] {
    auto value = cache.getOrCompute("slow", slow, &waiterHit);
    waiterValue = value ? **value : -1;
    if (!value)
      llvm::consumeError(value.takeError());
  });
  release.set_value();
  owner.join();
  waiter.join();
  EXPECT_EQ(slowComputed.load(), 1);
  EXPECT_EQ(ownerValue, 7);
  EXPECT_EQ(waiterValue, 7);
  EXPECT_TRUE(waiterHit);
  ASSERT_TRUE(cache.lookup("slow"));
  EXPECT_EQ(*cache.lookup("slow"), 7);

  // The next value stored brings the cache back to its capacity.
  EXPECT_EQ(*getOrMake(cache, "z", 3, computed), 3);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.lookup("z"), 3);
}

/// Threads asking for more keys than fit, all at once: every answer is its
/// key's value, every key is computed, and no key is computed by two threads
/// at the same time.
TEST(MemoryCacheTest, ConcurrentCallersWithSmallCapacity) {
  constexpr int kKeys = 32, kThreads = 8, kCalls = 2000;
  constexpr size_t kCapacity = 4;
  MemoryCache<std::string> cache(kCapacity);
  std::array<std::atomic<int>, kKeys> computed{}, inFlight{};
  std::atomic<int> overlaps{0}, wrong{0}, failures{0};
  auto valueOf = [](int key) { return "value" + std::to_string(key); };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int call = 0; call < kCalls; ++call) {
        // Every key at least once per thread, then random ones.
        int key = call < kKeys ? (call + t) % kKeys : int(random() % kKeys);
        auto value = cache.getOrCompute(
            "key" + std::to_string(key),
            [&]() -> llvm::Expected<std::shared_ptr<const std::string>> {
              if (inFlight[key]++ != 0)
                ++overlaps;
              ++computed[key];
              if (call % 7 == 0)
                std::this_thread::sleep_for(std::chrono::microseconds(50));
              auto result = std::make_shared<const std::string>(valueOf(key));
              --inFlight[key];
              return result;
            });
        if (!value) {
          llvm::consumeError(value.takeError());
          ++failures;
        } else if (**value != valueOf(key)) {
          ++wrong;
        }
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  int total = 0;
  for (int key = 0; key < kKeys; ++key) {
    EXPECT_GE(computed[key].load(), 1) << "key " << key;
    total += computed[key].load();
  }
  // Evictions made keys compute again, but never more than once per call.
  EXPECT_GT(total, kKeys);
  EXPECT_LE(total, kThreads * kCalls);
  // Each value stored leaves the capacity, or only keys in flight (one a
  // thread).
  EXPECT_LE(cache.size(), std::max(kCapacity, size_t(kThreads)));
  for (int key = 0; key < kKeys; ++key) {
    if (auto value = cache.lookup("key" + std::to_string(key))) {
      EXPECT_EQ(*value, valueOf(key));
    }
  }
}

TEST(MemoryCacheTest, ParsesEntryCounts) {
  EXPECT_EQ(parseMemoryCacheEntries("0"), std::optional<size_t>(0));
  EXPECT_EQ(parseMemoryCacheEntries("16"), std::optional<size_t>(16));
  EXPECT_EQ(parseMemoryCacheEntries(" 1024\n"), std::optional<size_t>(1024));
  EXPECT_EQ(parseMemoryCacheEntries(""), std::nullopt);
  EXPECT_EQ(parseMemoryCacheEntries("-1"), std::nullopt);
  EXPECT_EQ(parseMemoryCacheEntries("12x"), std::nullopt);
  EXPECT_EQ(parseMemoryCacheEntries("many"), std::nullopt);
  EXPECT_EQ(parseMemoryCacheEntries("99999999999999999999999"), std::nullopt);
}

//===----------------------------------------------------------------------===//
// The JIT on trivial kernels
//===----------------------------------------------------------------------===//

TEST(JITCacheTest, KeyIgnoresFormattingNotTarget) {
  std::string spec = getTrivialKernel("key_format");
  std::string reformatted =
      "// a comment\n\n" + llvm::StringRef(spec).str() + "\n// trailing\n";
  auto a = CompiledKernel::compile(spec, ptxOptions());
  auto b = CompiledKernel::compile(reformatted, ptxOptions());
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ((*a)->getCacheKey(), (*b)->getCacheKey());

  JITOptions other = ptxOptions();
  other.chip = "sm_80";
  auto c = CompiledKernel::compile(spec, other);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_NE((*a)->getCacheKey(), (*c)->getCacheKey());
  EXPECT_NE((*a)->getBinary().find(".target sm_90a"), llvm::StringRef::npos);
  EXPECT_NE((*c)->getBinary().find(".target sm_80"), llvm::StringRef::npos);
  EXPECT_EQ((*a)->getKernelInfo().kernelName, "attn_fwd");
}

TEST(JITCacheTest, DiskEntryReusedAndCorruptEntryRebuilt) {
  TempDir dir;
  std::string spec = getTrivialKernel("disk_reuse");
  uint64_t before = getNumCompilations();
  auto first = CompiledKernel::compile(spec, ptxOptions(dir.get()));
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  EXPECT_FALSE((*first)->isFromCache());
  EXPECT_EQ(getNumCompilations(), before + 1);

  auto second = CompiledKernel::compile(spec, ptxOptions(dir.get()));
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  EXPECT_EQ((*second)->getCacheSource(), "disk");
  EXPECT_EQ(getNumCompilations(), before + 1);
  EXPECT_EQ((*second)->getBinary(), (*first)->getBinary());

  // Corrupt the entry: the next compile notices, rebuilds and rewrites it.
  DiskCache disk(dir.get());
  std::string path = disk.getPath((*first)->getCacheKey());
  {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(bool(buffer));
    std::string bytes = (*buffer)->getBuffer().str();
    bytes[bytes.size() - 3] ^= 0x55;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), bytes.size());
  }
  auto third = CompiledKernel::compile(spec, ptxOptions(dir.get()));
  ASSERT_TRUE(bool(third)) << llvm::toString(third.takeError());
  EXPECT_FALSE((*third)->isFromCache());
  EXPECT_EQ(getNumCompilations(), before + 2);
  EXPECT_TRUE(disk.load((*first)->getCacheKey()));

  // Truncated to nothing: the same.
  { std::ofstream out(path, std::ios::binary | std::ios::trunc); }
  auto fourth = CompiledKernel::compile(spec, ptxOptions(dir.get()));
  ASSERT_TRUE(bool(fourth)) << llvm::toString(fourth.takeError());
  EXPECT_FALSE((*fourth)->isFromCache());
  EXPECT_EQ((*fourth)->getBinary(), (*first)->getBinary());
}

TEST(JITCacheTest, ConcurrentThreadsCompileOnce) {
  std::string spec = getTrivialKernel("threads_once");
  uint64_t before = getNumCompilations();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, cached{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto kernel = CompiledKernel::compile(spec, ptxOptions("", true));
      if (!kernel) {
        llvm::consumeError(kernel.takeError());
        ++failures;
        return;
      }
      cached += (*kernel)->isFromCache();
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(getNumCompilations(), before + 1);
  EXPECT_EQ(cached.load(), 7);
}

TEST(JITCacheTest, ForkedProcessesCompileOneKey) {
  TempDir dir;
  std::string spec = getTrivialKernel("fork_compile");
  pid_t children[2];
  for (pid_t &child : children) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto kernel = CompiledKernel::compile(spec, ptxOptions(dir.get()));
      bool ok = kernel && (*kernel)->getBinary().contains("attn_fwd");
      if (!kernel)
        llvm::consumeError(kernel.takeError());
      _exit(ok ? 0 : 1);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  uint64_t before = getNumCompilations();
  auto kernel = CompiledKernel::compile(spec, ptxOptions(dir.get()));
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  EXPECT_EQ((*kernel)->getCacheSource(), "disk");
  EXPECT_EQ(getNumCompilations(), before);
  EXPECT_EQ(countFiles(dir.get()), 1u);
}

TEST(JITCacheTest, ColdAndCachedCompileTimes) {
  TempDir dir;
  std::string spec = getTrivialKernel("timing");
  JITOptions options = ptxOptions(dir.get(), true);
  auto cold = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(cold)) << llvm::toString(cold.takeError());
  auto warm = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(warm)) << llvm::toString(warm.takeError());
  clearMemoryCache();
  auto disk = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(disk)) << llvm::toString(disk.takeError());
  EXPECT_EQ((*warm)->getCacheSource(), "memory");
  EXPECT_EQ((*disk)->getCacheSource(), "disk");
  std::printf("[ timing ] trivial kernel: cold %.2f ms, in-memory %.3f ms, "
              "on-disk %.3f ms\n",
              (*cold)->getCompileTimeMs(), (*warm)->getCompileTimeMs(),
              (*disk)->getCompileTimeMs());
}

/// The canonical map keeps getMemoryCacheEntries() bundles: past that many
/// newer specs, the oldest compiles again, however it is spelled, while the
/// kernel handed out for it stays usable.
TEST(JITCacheTest, MemoryCacheIsBounded) {
  size_t entries = getMemoryCacheEntries();
  if (entries == 0 || entries > 1024)
    GTEST_SKIP() << "ATTN_JIT_MEMORY_CACHE_ENTRIES=" << entries
                 << ": too many compilations for a test";
  JITOptions options = ptxOptions("", /*inMemory=*/true);
  std::string oldest = getTrivialKernel("bounded_0");
  auto first = CompiledKernel::compile(oldest, options);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  std::string binary = (*first)->getBinary().str();
  uint64_t compilations = getNumCompilations();
  for (size_t i = 1; i <= entries; ++i) {
    auto kernel = CompiledKernel::compile(
        getTrivialKernel("bounded_" + std::to_string(i)), options);
    ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  }
  EXPECT_EQ(getNumCompilations(), compilations + entries);

  auto again = CompiledKernel::compile("// respelled\n" + oldest, options);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_FALSE((*again)->isFromCache());
  EXPECT_EQ(getNumCompilations(), compilations + entries + 1);
  EXPECT_EQ((*again)->getBinary(), binary);
  EXPECT_EQ((*first)->getBinary(), binary);
  EXPECT_EQ((*again)->getCacheKey(), (*first)->getCacheKey());
}

//===----------------------------------------------------------------------===//
// The in-memory fast path (raw text key, no parse)
//===----------------------------------------------------------------------===//

TEST(JITFastPathTest, SameTextCompilesOnceAndHitsWithoutParsing) {
  std::string spec = getTrivialKernel("fast_same");
  JITOptions options = ptxOptions("", /*inMemory=*/true);
  uint64_t compilations = getNumCompilations();
  uint64_t parses = getNumSpecParses();
  auto first = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  EXPECT_FALSE((*first)->isFromCache());
  EXPECT_EQ(getNumCompilations(), compilations + 1);
  EXPECT_EQ(getNumSpecParses(), parses + 1);

  auto second = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  EXPECT_TRUE((*second)->isFromCache());
  EXPECT_EQ((*second)->getCacheSource(), "memory");
  EXPECT_EQ(getNumCompilations(), compilations + 1);
  EXPECT_EQ(getNumSpecParses(), parses + 1) << "the repeat was parsed again";
  // The very same bundle, not a copy.
  EXPECT_EQ((*second)->getBinary().data(), (*first)->getBinary().data());
  EXPECT_EQ((*second)->getCacheKey(), (*first)->getCacheKey());
}

TEST(JITFastPathTest, ReformattedTextReusesBundleThenHitsFastPath) {
  std::string spec = getTrivialKernel("fast_reformatted");
  std::string reformatted = "// a comment\n\n" + spec + "\n\n// trailing\n";
  JITOptions options = ptxOptions("", /*inMemory=*/true);
  auto first = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  uint64_t compilations = getNumCompilations();
  uint64_t parses = getNumSpecParses();

  // A new text: parsed, but found under the canonical key.
  auto second = CompiledKernel::compile(reformatted, options);
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  EXPECT_EQ((*second)->getCacheSource(), "memory");
  EXPECT_EQ(getNumCompilations(), compilations) << "compiled again";
  EXPECT_EQ(getNumSpecParses(), parses + 1);
  EXPECT_EQ((*second)->getBinary().data(), (*first)->getBinary().data());

  // Now known by its own bytes: no parse.
  auto third = CompiledKernel::compile(reformatted, options);
  ASSERT_TRUE(bool(third)) << llvm::toString(third.takeError());
  EXPECT_EQ((*third)->getCacheSource(), "memory");
  EXPECT_EQ(getNumCompilations(), compilations);
  EXPECT_EQ(getNumSpecParses(), parses + 1) << "the fast path missed";
  EXPECT_EQ((*third)->getBinary().data(), (*first)->getBinary().data());

  // One byte more is another text: parsed (then found by canonical key).
  auto fourth = CompiledKernel::compile(reformatted + " ", options);
  ASSERT_TRUE(bool(fourth)) << llvm::toString(fourth.takeError());
  EXPECT_EQ(getNumSpecParses(), parses + 2);
  EXPECT_EQ(getNumCompilations(), compilations);
}

TEST(JITFastPathTest, OptionsDoNotShareEntries) {
  std::string spec = getTrivialKernel("fast_options");
  JITOptions base = ptxOptions("", /*inMemory=*/true);
  auto baseKernel = CompiledKernel::compile(spec, base);
  ASSERT_TRUE(bool(baseKernel)) << llvm::toString(baseKernel.takeError());
  uint64_t compilations = getNumCompilations();

  JITOptions otherChip = base;
  otherChip.chip = "sm_80";
  auto chipKernel = CompiledKernel::compile(spec, otherChip);
  ASSERT_TRUE(bool(chipKernel)) << llvm::toString(chipKernel.takeError());
  EXPECT_FALSE((*chipKernel)->isFromCache());
  EXPECT_EQ(getNumCompilations(), compilations + 1);
  EXPECT_NE((*chipKernel)->getBinary().find(".target sm_80"),
            llvm::StringRef::npos);

  JITOptions otherFeatures = base;
  otherFeatures.features = "+ptx81";
  auto featureKernel = CompiledKernel::compile(spec, otherFeatures);
  ASSERT_TRUE(bool(featureKernel)) << llvm::toString(featureKernel.takeError());
  EXPECT_FALSE((*featureKernel)->isFromCache());
  EXPECT_EQ(getNumCompilations(), compilations + 2);
  EXPECT_NE((*featureKernel)->getBinary().find(".version 8.1"),
            llvm::StringRef::npos);

  // Each still finds its own entry, through the fast path.
  uint64_t parses = getNumSpecParses();
  for (auto [options, expected] :
       {std::pair{&base, &*baseKernel}, std::pair{&otherChip, &*chipKernel},
        std::pair{&otherFeatures, &*featureKernel}}) {
    auto again = CompiledKernel::compile(spec, *options);
    ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
    EXPECT_EQ((*again)->getCacheSource(), "memory");
    EXPECT_EQ((*again)->getBinary().data(), (*expected)->getBinary().data());
  }
  EXPECT_EQ(getNumSpecParses(), parses);
  EXPECT_EQ(getNumCompilations(), compilations + 2);

  // Without the in-memory cache there is no fast path either.
  auto uncached = CompiledKernel::compile(spec, ptxOptions());
  ASSERT_TRUE(bool(uncached)) << llvm::toString(uncached.takeError());
  EXPECT_FALSE((*uncached)->isFromCache());
  EXPECT_EQ(getNumCompilations(), compilations + 3);
  EXPECT_EQ(getNumSpecParses(), parses + 1);
}

TEST(JITFastPathTest, DiskHitIsRecordedAndClearForgetsTexts) {
  TempDir dir;
  std::string spec = getTrivialKernel("fast_disk");
  ASSERT_TRUE(bool(CompiledKernel::compile(spec, ptxOptions(dir.get()))));
  uint64_t compilations = getNumCompilations();
  uint64_t parses = getNumSpecParses();
  JITOptions options = ptxOptions(dir.get(), /*inMemory=*/true);
  auto disk = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(disk)) << llvm::toString(disk.takeError());
  EXPECT_EQ((*disk)->getCacheSource(), "disk");
  auto memory = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(memory)) << llvm::toString(memory.takeError());
  EXPECT_EQ((*memory)->getCacheSource(), "memory");
  EXPECT_EQ(getNumSpecParses(), parses + 1);

  // After clearMemoryCache the text is parsed again and comes from disk.
  clearMemoryCache();
  auto again = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ((*again)->getCacheSource(), "disk");
  EXPECT_EQ(getNumSpecParses(), parses + 2);
  EXPECT_EQ(getNumCompilations(), compilations);
}

/// Threads compiling two spellings of one spec, interleaved: one compilation,
/// and every result is the same bundle.
TEST(JITFastPathTest, ConcurrentSpellingsCompileOnce) {
  std::string spec = getTrivialKernel("fast_threads");
  std::string respelled = "\n\n" + spec + "\n";
  uint64_t compilations = getNumCompilations();
  std::vector<std::thread> threads;
  std::vector<const void *> binaries(16, nullptr);
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      auto kernel = CompiledKernel::compile(i % 2 ? respelled : spec,
                                            ptxOptions("", true));
      if (!kernel) {
        llvm::consumeError(kernel.takeError());
        return;
      }
      binaries[i] = (*kernel)->getBinary().data();
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(getNumCompilations(), compilations + 1);
  for (const void *binary : binaries) {
    EXPECT_NE(binary, nullptr);
    EXPECT_EQ(binary, binaries.front());
  }
}

TEST(JITFastPathTest, InvalidSpecIsNotCached) {
  JITOptions options = ptxOptions("", /*inMemory=*/true);
  for (int i = 0; i < 2; ++i) {
    auto kernel = CompiledKernel::compile("func.func @f( {", options);
    ASSERT_FALSE(bool(kernel));
    std::string message = llvm::toString(kernel.takeError());
    EXPECT_NE(message.find("invalid spec"), std::string::npos) << message;
    EXPECT_NE(message.find("error:"), std::string::npos) << message;
  }
}

/// The raw-text map keeps getMemoryCacheEntries() texts: past that many
/// newer spellings, the oldest text is parsed again, then found under its
/// canonical key (no compilation).
TEST(JITFastPathTest, TextCacheIsBounded) {
  size_t entries = getMemoryCacheEntries();
  if (entries == 0 || entries > 4096)
    GTEST_SKIP() << "ATTN_JIT_MEMORY_CACHE_ENTRIES=" << entries;
  std::string spec = getTrivialKernel("fast_bounded");
  JITOptions options = ptxOptions("", /*inMemory=*/true);
  auto first = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  uint64_t compilations = getNumCompilations();
  uint64_t parses = getNumSpecParses();
  auto spelling = [&](size_t i) {
    return "// " + std::to_string(i) + "\n" + spec;
  };
  for (size_t i = 0; i < entries; ++i) {
    auto kernel = CompiledKernel::compile(spelling(i), options);
    ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
    ASSERT_EQ((*kernel)->getCacheSource(), "memory");
    ASSERT_EQ((*kernel)->getBinary().data(), (*first)->getBinary().data());
  }
  EXPECT_EQ(getNumSpecParses(), parses + entries);

  // The newest spelling is still known by its bytes...
  auto newest = CompiledKernel::compile(spelling(entries - 1), options);
  ASSERT_TRUE(bool(newest)) << llvm::toString(newest.takeError());
  EXPECT_EQ(getNumSpecParses(), parses + entries);
  // ...the first text is not.
  auto again = CompiledKernel::compile(spec, options);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(getNumSpecParses(), parses + entries + 1)
      << "the oldest text was not evicted";
  EXPECT_EQ((*again)->getCacheSource(), "memory");
  EXPECT_EQ((*again)->getBinary().data(), (*first)->getBinary().data());
  EXPECT_EQ(getNumCompilations(), compilations);
}

TEST(JITTest, InvalidSpecGivesDiagnostics) {
  auto kernel = CompiledKernel::compile("func.func @f( {", ptxOptions());
  ASSERT_FALSE(bool(kernel));
  std::string message = llvm::toString(kernel.takeError());
  EXPECT_NE(message.find("invalid spec"), std::string::npos) << message;
  EXPECT_NE(message.find("error:"), std::string::npos) << message;
}

TEST(JITTest, BundleSerialisationRoundTrips) {
  CompiledBundle bundle;
  bundle.key = "k";
  bundle.chip = "sm_90a";
  bundle.format = BinaryFormat::Cubin;
  KernelBinary kernel;
  kernel.info.hasLse = true;
  kernel.info.sideInputs.push_back({"slopes", "f32", {"Hq"}, 3});
  kernel.image = std::string("\x7f" "ELF\0\1\2", 7);
  bundle.kernels.push_back(kernel);
  auto back = CompiledBundle::deserialize(bundle.serialize());
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->kernels.front().image, kernel.image);
  EXPECT_EQ(back->kernels.front().info.sideInputs.front().name, "slopes");
  EXPECT_EQ(back->format, BinaryFormat::Cubin);
}

//===----------------------------------------------------------------------===//
// Specs to PTX (needs the kernel generator, no GPU)
//===----------------------------------------------------------------------===//

class SpecToPTXTest : public ::testing::TestWithParam<const char *> {};

TEST_P(SpecToPTXTest, HasTensorCoreMMA) {
  std::optional<std::string> spec = readExample(GetParam());
  ASSERT_TRUE(spec) << "cannot read example " << GetParam();
  auto kernel = CompiledKernel::compile(*spec, ptxOptions());
  if (!kernel) {
    std::string message = llvm::toString(kernel.takeError());
    if (isKernelGeneratorMissing(message))
      GTEST_SKIP() << "the kernel generator is not in this build's "
                      "pipeline yet: "
                   << message;
    FAIL() << message;
  }
  // sm_90a: warpgroup matrix ops where the head dims allow, else mma.sync.
  llvm::StringRef binary = (*kernel)->getBinary();
  EXPECT_TRUE(binary.contains("wgmma.mma_async") ||
              binary.contains("mma.sync.aligned.m16n8k16"));
  std::printf("[ timing ] %s: cold compile to PTX %.1f ms\n", GetParam(),
              (*kernel)->getCompileTimeMs());
}

INSTANTIATE_TEST_SUITE_P(Examples, SpecToPTXTest,
                         ::testing::Values("softmax_dense", "softmax_causal",
                                           "sliding_window", "softcap",
                                           "alibi", "gqa", "sink_logits"));

TEST(SpecBuilderTest, BuildsACausalWindowSpec) {
  mlir::MLIRContext context;
  auto module = SpecBuilder(context)
                    .setName("causal_window")
                    .setHeadDim(64)
                    .setElementType(SpecElementType::F16)
                    .addCausal()
                    .addWindow(256, 0)
                    .setReturnLse(true)
                    .build();
  ASSERT_TRUE(module);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  EXPECT_NE(text.find("#attn.and<[#attn.causal, #attn.window<256, 0>]>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lse tensor<?x?x?xf32>"), std::string::npos) << text;
}

// A spec of two chains (Based: Taylor-2 linear attention plus a window
// softmax, summed) compiles to one kernel per chain; launch says what to do
// instead, before it touches a device.
// Based compiles to a kernel per chain and a combine kernel; the
// AttentionProblem launch points to the SpecProblem one, which checks the
// spec's arguments before any device call.
TEST(JITLaunchTest, MultiKernelSpecsLaunchBySpecArguments) {
  std::optional<std::string> text = readExample("based");
  ASSERT_TRUE(text) << "cannot read example based";
  auto kernel = CompiledKernel::compile(*text, ptxOptions());
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  const std::vector<KernelBinary> &kernels = (*kernel)->getKernels();
  ASSERT_EQ(kernels.size(), 3u);
  EXPECT_EQ(kernels[0].info.algorithm, "chunked");
  EXPECT_EQ(kernels[1].info.algorithm, "quadratic");
  EXPECT_EQ(kernels[2].info.algorithm, "combine");
  // Based's arguments: q_linear, k_linear, q_window, k_window, v.
  EXPECT_EQ(kernels[0].info.queryArg, 0);
  EXPECT_EQ(kernels[0].info.keyArg, 1);
  EXPECT_EQ(kernels[0].info.valueArg, 4);
  EXPECT_EQ(kernels[1].info.queryArg, 2);
  EXPECT_EQ(kernels[1].info.keyArg, 3);
  EXPECT_EQ(kernels[1].info.valueArg, 4);
  ASSERT_EQ(kernels[2].info.combineOperands.size(), 2u);
  EXPECT_EQ(kernels[2].info.combineOperands[0].module,
            kernels[0].info.moduleName);
  EXPECT_EQ(kernels[2].info.combineOperands[1].module,
            kernels[1].info.moduleName);
  EXPECT_NE(kernels[2].image.find(".entry attn_combine("), std::string::npos);

  llvm::Error err = (*kernel)->launch(attn::runtime::AttentionProblem{});
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "this spec compiled to 3 kernels (one per attn.aggregate chain "
            "and one combining their outputs), and launch(AttentionProblem) "
            "runs single-kernel specs; pass the spec's arguments by number "
            "to launch(runtime::SpecProblem) instead");
  // Validated before any device call: this fails the same without a GPU.
  attn::runtime::SpecProblem problem;
  problem.o = attn::runtime::TensorRef::contiguous(
      reinterpret_cast<void *>(0x100000), attn::runtime::DType::BF16,
      {1, 2, 17, 64});
  err = (*kernel)->launch(problem);
  ASSERT_TRUE(bool(err));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "spec argument 0 (the queries of chain kernel 'attn_kernels' (q = "
            "argument 0, k = argument 1, v = argument 4)) is missing: pass it "
            "as arguments[0] (0 arguments given)");
}

} // namespace
