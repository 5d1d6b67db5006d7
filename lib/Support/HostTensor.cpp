//===- HostTensor.cpp - Dense host tensors and .npy files -----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Rounding to the narrow float formats is done directly from fp64, never
// through an fp32 intermediate, so that there is no double rounding. The
// `.npy` reader accepts what NumPy writes (format 1.0-3.0, the header a
// Python dict literal) and refuses, by name, what the project cannot hold.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/HostTensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

using namespace attn;
using llvm::StringRef;

StringRef attn::getElementKindName(ElementKind kind) {
  switch (kind) {
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::F32:
    return "f32";
  case ElementKind::F64:
    return "f64";
  case ElementKind::I1:
    return "i1";
  case ElementKind::I8:
    return "i8";
  case ElementKind::I32:
    return "i32";
  case ElementKind::I64:
    return "i64";
  case ElementKind::U8:
    return "ui8";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

HostTensor::HostTensor(ElementKind kind, std::vector<int64_t> shape)
    : kind(kind), shape(std::move(shape)) {
  data.assign(getNumElements(), 0.0);
}

int64_t HostTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t HostTensor::linearIndex(llvm::ArrayRef<int64_t> indices) const {
  assert(indices.size() == shape.size() && "rank mismatch");
  int64_t linear = 0;
  for (auto [index, extent] : llvm::zip_equal(indices, shape))
    linear = linear * extent + index;
  return linear;
}

std::string HostTensor::shapeString() const {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os);
  os << "]";
  return s;
}

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

/// Rounds `value` to the nearest binary float with `precision` significant
/// bits and exponents in [minExp, maxExp] (IEEE 754 semantics: gradual
/// underflow, round to nearest even, overflow to infinity).
static double roundToFormat(double value, int precision, int minExp,
                            int maxExp) {
  if (!std::isfinite(value) || value == 0.0)
    return value;
  // Values far below the smallest subnormal's half round to a signed zero;
  // ilogb below is fine for them too, but skip the arithmetic.
  int exp = std::max(std::ilogb(value), minExp);
  // The spacing of representable values around `value` (subnormals share
  // the quantum of the smallest normal binade). Scaling by a power of two is
  // exact, and nearbyint rounds to nearest even in the default mode.
  double quantum = std::ldexp(1.0, exp - (precision - 1));
  double rounded = std::nearbyint(value / quantum) * quantum;
  if (std::fabs(rounded) >= std::ldexp(1.0, maxExp + 1))
    return std::copysign(std::numeric_limits<double>::infinity(), value);
  if (rounded == 0.0)
    return std::copysign(0.0, value);
  return rounded;
}

double attn::roundToBF16(double value) {
  return roundToFormat(value, /*precision=*/8, /*minExp=*/-126,
                       /*maxExp=*/127);
}

double attn::roundToF16(double value) {
  return roundToFormat(value, /*precision=*/11, /*minExp=*/-14,
                       /*maxExp=*/15);
}

void attn::roundTo(HostTensor &tensor, ElementKind kind) {
  tensor.kind = kind;
  for (double &x : tensor.data) {
    switch (kind) {
    case ElementKind::F16:
      x = roundToF16(x);
      break;
    case ElementKind::BF16:
      x = roundToBF16(x);
      break;
    case ElementKind::F32:
      x = static_cast<double>(static_cast<float>(x));
      break;
    case ElementKind::F64:
      break;
    case ElementKind::I1:
      x = x != 0.0 ? 1.0 : 0.0;
      break;
    case ElementKind::I8:
    case ElementKind::I32:
    case ElementKind::I64:
    case ElementKind::U8:
      x = std::isfinite(x) ? std::trunc(x) : 0.0;
      break;
    }
  }
}

//===----------------------------------------------------------------------===//
// .npy files
//===----------------------------------------------------------------------===//

static constexpr char kNpyMagic[] = "\x93NUMPY";
static constexpr size_t kNpyMagicSize = 6;

namespace {
/// A `.npy` dtype this project can read or write.
struct NpyDtype {
  StringRef descr;
  ElementKind kind;
  unsigned size;
};
} // namespace

static const NpyDtype kNpyDtypes[] = {
    {"<f2", ElementKind::F16, 2}, {"<f4", ElementKind::F32, 4},
    {"<f8", ElementKind::F64, 8}, {"|b1", ElementKind::I1, 1},
    {"|i1", ElementKind::I8, 1},  {"|u1", ElementKind::U8, 1},
    {"<i4", ElementKind::I32, 4}, {"<i8", ElementKind::I64, 8},
};

static llvm::Error npyError(StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + message);
}

/// Finds `'key':` in a header dict and returns the text after the colon.
static std::optional<StringRef> findHeaderValue(StringRef header,
                                                StringRef key) {
  for (char quote : {'\'', '"'}) {
    std::string pattern = (llvm::Twine(quote) + key + llvm::Twine(quote)).str();
    size_t pos = header.find(pattern);
    if (pos == StringRef::npos)
      continue;
    StringRef rest = header.drop_front(pos + pattern.size()).ltrim();
    if (!rest.consume_front(":"))
      return std::nullopt;
    return rest.ltrim();
  }
  return std::nullopt;
}

/// IEEE half to double.
static double halfToDouble(uint16_t bits) {
  int sign = bits >> 15, exp = (bits >> 10) & 0x1f, mant = bits & 0x3ff;
  double value;
  if (exp == 0)
    value = std::ldexp(static_cast<double>(mant), -24);
  else if (exp == 31)
    value = mant ? std::numeric_limits<double>::quiet_NaN()
                 : std::numeric_limits<double>::infinity();
  else
    value = std::ldexp(static_cast<double>(mant | 0x400), exp - 25);
  return sign ? -value : value;
}

/// Double to IEEE half bits, rounding to nearest even.
static uint16_t doubleToHalf(double value) {
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isnan(value))
    return sign | 0x7e00;
  double r = std::fabs(roundToF16(value));
  if (std::isinf(r))
    return sign | 0x7c00;
  if (r == 0.0)
    return sign;
  int exp = std::ilogb(r);
  if (exp < -14) // Subnormal: a multiple of 2^-24.
    return sign | static_cast<uint16_t>(std::ldexp(r, 24));
  auto mant = static_cast<uint16_t>(std::ldexp(r, 10 - exp) - 1024.0);
  return sign | static_cast<uint16_t>((exp + 15) << 10) | mant;
}

llvm::Expected<HostTensor> attn::readNpy(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bufferOr =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!bufferOr)
    return npyError(path, "cannot read file: " + bufferOr.getError().message());
  StringRef bytes = (*bufferOr)->getBuffer();

  if (bytes.size() < kNpyMagicSize + 4 ||
      bytes.substr(0, kNpyMagicSize) != StringRef(kNpyMagic, kNpyMagicSize))
    return npyError(path, "not a .npy file (bad magic string)");
  auto major = static_cast<uint8_t>(bytes[6]);
  auto minor = static_cast<uint8_t>(bytes[7]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = llvm::support::endian::read16le(bytes.data() + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return npyError(path, "truncated .npy header");
    headerLen = llvm::support::endian::read32le(bytes.data() + 8);
    headerStart = 12;
  } else {
    return npyError(path, "unsupported .npy format version " +
                              llvm::Twine(major) + "." + llvm::Twine(minor) +
                              " (1.0 to 3.0 are supported)");
  }
  if (bytes.size() < headerStart + headerLen)
    return npyError(path, "truncated .npy header");
  StringRef header = bytes.substr(headerStart, headerLen);

  // descr
  std::optional<StringRef> descrText = findHeaderValue(header, "descr");
  if (!descrText || descrText->empty() ||
      (descrText->front() != '\'' && descrText->front() != '"'))
    return npyError(path, "malformed .npy header (no 'descr'): " + header);
  char quote = descrText->front();
  StringRef descr =
      descrText->drop_front().take_until([&](char c) { return c == quote; });
  const NpyDtype *dtype = llvm::find_if(
      kNpyDtypes, [&](const NpyDtype &d) { return d.descr == descr; });
  if (dtype == std::end(kNpyDtypes)) {
    // Byte order means nothing for single-byte types; accept any prefix.
    if (descr.size() == 3 && StringRef("<=>").contains(descr[0]) &&
        descr.ends_with("1"))
      dtype = llvm::find_if(kNpyDtypes, [&](const NpyDtype &d) {
        return d.descr.drop_front() == descr.drop_front();
      });
  }
  if (dtype == std::end(kNpyDtypes)) {
    if (descr.starts_with(">"))
      return npyError(path, "dtype '" + descr +
                                "' is big-endian; only little-endian .npy "
                                "files are supported (use "
                                "array.astype(array.dtype.newbyteorder('<')))");
    return npyError(path, "unsupported dtype '" + descr +
                              "'; supported: <f2 <f4 <f8 |b1 |i1 |u1 <i4 <i8");
  }

  // fortran_order
  std::optional<StringRef> fortran = findHeaderValue(header, "fortran_order");
  if (!fortran)
    return npyError(path, "malformed .npy header (no 'fortran_order')");
  if (fortran->starts_with("True"))
    return npyError(path, "array is in Fortran order; only C-order .npy "
                          "files are supported (save np.ascontiguousarray(a))");
  if (!fortran->starts_with("False"))
    return npyError(path, "malformed .npy header ('fortran_order' is neither "
                          "True nor False)");

  // shape
  std::optional<StringRef> shapeText = findHeaderValue(header, "shape");
  if (!shapeText || !shapeText->starts_with("("))
    return npyError(path, "malformed .npy header (no 'shape' tuple)");
  StringRef tuple =
      shapeText->drop_front().take_until([](char c) { return c == ')'; });
  if (tuple.size() == shapeText->size() - 1)
    return npyError(path, "malformed .npy header (unterminated 'shape')");
  std::vector<int64_t> shape;
  llvm::SmallVector<StringRef> parts;
  tuple.split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    // NumPy on some platforms writes `3L`.
    part.consume_back("L");
    int64_t extent;
    if (part.getAsInteger(10, extent) || extent < 0)
      return npyError(path, "malformed .npy shape '(" + tuple + ")'");
    shape.push_back(extent);
  }

  HostTensor tensor(dtype->kind, shape);
  size_t dataStart = headerStart + headerLen;
  size_t needed = static_cast<size_t>(tensor.getNumElements()) * dtype->size;
  if (bytes.size() - dataStart < needed)
    return npyError(path, "holds " + llvm::Twine(bytes.size() - dataStart) +
                              " data bytes but shape " + tensor.shapeString() +
                              " of dtype " + descr + " needs " +
                              llvm::Twine(needed));
  const char *p = bytes.data() + dataStart;
  using namespace llvm::support::endian;
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i) {
    const char *elt = p + i * dtype->size;
    double &x = tensor.data[i];
    switch (dtype->kind) {
    case ElementKind::F16:
      x = halfToDouble(read16le(elt));
      break;
    case ElementKind::F32: {
      uint32_t bits = read32le(elt);
      float f;
      std::memcpy(&f, &bits, 4);
      x = f;
      break;
    }
    case ElementKind::F64: {
      uint64_t bits = read64le(elt);
      std::memcpy(&x, &bits, 8);
      break;
    }
    case ElementKind::I1:
      x = *elt != 0 ? 1.0 : 0.0;
      break;
    case ElementKind::I8:
      x = static_cast<int8_t>(*elt);
      break;
    case ElementKind::U8:
      x = static_cast<uint8_t>(*elt);
      break;
    case ElementKind::I32:
      x = static_cast<int32_t>(read32le(elt));
      break;
    case ElementKind::I64:
      x = static_cast<double>(static_cast<int64_t>(read64le(elt)));
      break;
    case ElementKind::BF16:
      llvm_unreachable("no .npy dtype maps to bf16");
    }
  }
  return tensor;
}

llvm::Error attn::writeNpy(StringRef path, const HostTensor &tensor,
                           ElementKind storeAs) {
  if (storeAs == ElementKind::BF16)
    storeAs = ElementKind::F32; // NumPy has no bf16.
  const NpyDtype *dtype = llvm::find_if(
      kNpyDtypes, [&](const NpyDtype &d) { return d.kind == storeAs; });
  assert(dtype != std::end(kNpyDtypes) && "every other kind has a dtype");
  if (static_cast<int64_t>(tensor.data.size()) != tensor.getNumElements())
    return npyError(path, "tensor holds " + llvm::Twine(tensor.data.size()) +
                              " values but its shape " + tensor.shapeString() +
                              " needs " + llvm::Twine(tensor.getNumElements()));

  std::string dict;
  llvm::raw_string_ostream os(dict);
  os << "{'descr': '" << dtype->descr << "', 'fortran_order': False, "
     << "'shape': (";
  for (int64_t extent : tensor.shape)
    os << extent << (tensor.shape.size() == 1 ? "," : ", ");
  if (tensor.shape.size() > 1)
    dict.resize(dict.size() - 2);
  os << "), }";
  // Pad with spaces so that the data starts 64-byte aligned, ending in '\n'.
  size_t prefix = kNpyMagicSize + 2 + 2;
  auto paddedTotal = [&] { return (prefix + dict.size() + 1 + 63) / 64 * 64; };
  size_t total = paddedTotal();
  // Format 1.0 stores the header length in 16 bits; 2.0 in 32.
  bool v2 = total - prefix > 65535;
  if (v2) {
    prefix = kNpyMagicSize + 2 + 4;
    total = paddedTotal();
  }
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict.push_back('\n');

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return npyError(path, "cannot open for writing: " + ec.message());
  out.write(kNpyMagic, kNpyMagicSize);
  out << static_cast<char>(v2 ? 2 : 1) << static_cast<char>(0);
  // The header length, little-endian, in 2 (1.0) or 4 (2.0) bytes.
  for (unsigned byte = 0, e = v2 ? 4 : 2; byte < e; ++byte)
    out << static_cast<char>((dict.size() >> (8 * byte)) & 0xff);
  out << dict;

  using namespace llvm::support::endian;
  for (double x : tensor.data) {
    char buf[8];
    switch (storeAs) {
    case ElementKind::F16:
      write16le(buf, doubleToHalf(x));
      break;
    case ElementKind::F32: {
      float f = static_cast<float>(x);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      write32le(buf, bits);
      break;
    }
    case ElementKind::F64: {
      uint64_t bits;
      std::memcpy(&bits, &x, 8);
      write64le(buf, bits);
      break;
    }
    case ElementKind::I1:
      buf[0] = x != 0.0 ? 1 : 0;
      break;
    case ElementKind::I8:
      buf[0] = static_cast<char>(static_cast<int8_t>(x));
      break;
    case ElementKind::U8:
      buf[0] = static_cast<char>(static_cast<uint8_t>(static_cast<int64_t>(x)));
      break;
    case ElementKind::I32:
      write32le(buf, static_cast<uint32_t>(static_cast<int32_t>(x)));
      break;
    case ElementKind::I64:
      write64le(buf, static_cast<uint64_t>(static_cast<int64_t>(x)));
      break;
    case ElementKind::BF16:
      llvm_unreachable("stored as f32");
    }
    out.write(buf, dtype->size);
  }
  out.close();
  if (out.has_error()) {
    std::error_code writeError = out.error();
    out.clear_error();
    return npyError(path, "write failed: " + writeError.message());
  }
  return llvm::Error::success();
}
