//===- KernelCache.cpp - In-memory and on-disk caches of kernels ----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/KernelCache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <limits>

using namespace attn::jit;
using llvm::Error;
using llvm::SmallString;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// CacheKeyBuilder
//===----------------------------------------------------------------------===//

CacheKeyBuilder &CacheKeyBuilder::add(StringRef name, StringRef value) {
  llvm::raw_string_ostream os(parts);
  os << name.size() << ':' << name << '=' << value.size() << ':' << value
     << ';';
  return *this;
}

CacheKeyBuilder &CacheKeyBuilder::add(StringRef name, int64_t value) {
  return add(name, std::to_string(value));
}

std::string CacheKeyBuilder::getKey() const {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(parts.data()),
                              parts.size()));
  return llvm::toHex(llvm::ArrayRef<uint8_t>(digest).take_front(16),
                     /*LowerCase=*/true);
}

//===----------------------------------------------------------------------===//
// MemoryCache
//===----------------------------------------------------------------------===//

std::optional<size_t> attn::jit::parseMemoryCacheEntries(StringRef text) {
  unsigned long long entries;
  // getAsInteger refuses signs, other characters and overflow.
  if (text.trim().getAsInteger(10, entries) ||
      entries > std::numeric_limits<size_t>::max())
    return std::nullopt;
  return static_cast<size_t>(entries);
}

//===----------------------------------------------------------------------===//
// DiskCache
//===----------------------------------------------------------------------===//

static constexpr char kMagic[8] = {'A', 'T', 'T', 'N', 'K', 'C', '\r', '\n'};
/// magic, version, key length, payload length, checksum.
static constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;

std::string DiskCache::getDefaultDirectory() {
  SmallString<128> path;
  if (std::optional<std::string> xdg = llvm::sys::Process::GetEnv(
          "XDG_CACHE_HOME");
      xdg && !xdg->empty()) {
    path = *xdg;
  } else if (std::optional<std::string> home =
                 llvm::sys::Process::GetEnv("HOME");
             home && !home->empty()) {
    path = *home;
    llvm::sys::path::append(path, ".cache");
  } else {
    return std::string();
  }
  llvm::sys::path::append(path, "attn");
  return std::string(path);
}

std::string DiskCache::getPath(StringRef key) const {
  SmallString<128> path(directory);
  llvm::sys::path::append(path, key + ".attnk");
  return std::string(path);
}

std::string DiskCache::encode(StringRef key, StringRef payload) {
  std::string entry;
  entry.reserve(kHeaderSize + key.size() + payload.size());
  llvm::raw_string_ostream os(entry);
  os.write(kMagic, sizeof(kMagic));
  llvm::support::endian::Writer writer(os, llvm::endianness::little);
  writer.write<uint32_t>(kFormatVersion);
  writer.write<uint32_t>(key.size());
  writer.write<uint64_t>(payload.size());
  writer.write<uint64_t>(llvm::xxh3_64bits(payload));
  os << key << payload;
  return entry;
}

llvm::Expected<std::string> DiskCache::decode(StringRef key, StringRef entry) {
  auto fail = [](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), why);
  };
  if (entry.size() < kHeaderSize)
    return fail("truncated header (" + llvm::Twine(entry.size()) + " bytes)");
  if (!entry.starts_with(StringRef(kMagic, sizeof(kMagic))))
    return fail("bad magic");
  const char *p = entry.data() + sizeof(kMagic);
  using llvm::support::endian::read;
  auto version = read<uint32_t>(p, llvm::endianness::little);
  auto keySize = read<uint32_t>(p + 4, llvm::endianness::little);
  auto payloadSize = read<uint64_t>(p + 8, llvm::endianness::little);
  auto checksum = read<uint64_t>(p + 16, llvm::endianness::little);
  if (version != kFormatVersion)
    return fail("format version " + llvm::Twine(version) + ", expected " +
                llvm::Twine(kFormatVersion));
  if (entry.size() - kHeaderSize < keySize ||
      entry.size() - kHeaderSize - keySize != payloadSize)
    return fail("size mismatch (truncated or extended)");
  StringRef storedKey = entry.substr(kHeaderSize, keySize);
  if (storedKey != key)
    return fail("key mismatch");
  StringRef payload = entry.substr(kHeaderSize + keySize);
  if (llvm::xxh3_64bits(payload) != checksum)
    return fail("checksum mismatch");
  return payload.str();
}

std::optional<std::string> DiskCache::load(StringRef key,
                                           std::string *why) const {
  if (directory.empty())
    return std::nullopt;
  std::string path = getPath(key);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    if (why)
      *why = "no entry";
    return std::nullopt;
  }
  llvm::Expected<std::string> payload =
      decode(key, (*buffer)->getBuffer());
  if (payload)
    return std::move(*payload);
  if (why)
    *why = llvm::toString(payload.takeError());
  else
    llvm::consumeError(payload.takeError());
  // A bad entry is removed so that the rebuilt one replaces it. Another
  // process may have renamed a good entry in place since we read; removing
  // that costs it a recompile, never a wrong kernel.
  (void)llvm::sys::fs::remove(path);
  return std::nullopt;
}

Error DiskCache::store(StringRef key, StringRef payload) const {
  if (directory.empty())
    return Error::success();
  if (std::error_code error = llvm::sys::fs::create_directories(directory))
    return llvm::createStringError(error, "cannot create cache directory '" +
                                              directory +
                                              "': " + error.message());

  // The temporary file lives in the same directory, so the rename is atomic.
  SmallString<128> model(directory);
  llvm::sys::path::append(model, key + ".tmp-%%%%%%%%");
  int fd = -1;
  SmallString<128> tempPath;
  if (std::error_code error =
          llvm::sys::fs::createUniqueFile(model, fd, tempPath))
    return llvm::createStringError(error, "cannot create a file in '" +
                                              directory +
                                              "': " + error.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    std::string entry = encode(key, payload);
    os.write(entry.data(), entry.size());
    os.close();
    if (os.has_error()) {
      std::error_code error = os.error();
      os.clear_error();
      (void)llvm::sys::fs::remove(tempPath);
      return llvm::createStringError(error, "cannot write '" + tempPath +
                                                "': " + error.message());
    }
  }
  if (std::error_code error = llvm::sys::fs::rename(tempPath, getPath(key))) {
    (void)llvm::sys::fs::remove(tempPath);
    return llvm::createStringError(error, "cannot rename '" + tempPath +
                                              "' into place: " +
                                              error.message());
  }
  return Error::success();
}

void DiskCache::remove(StringRef key) const {
  if (!directory.empty())
    (void)llvm::sys::fs::remove(getPath(key));
}
