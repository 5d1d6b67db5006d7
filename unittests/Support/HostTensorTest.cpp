//===- HostTensorTest.cpp - Tests for host tensors and .npy files ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Support/HostTensor.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace attn;

namespace {

/// A temporary file path removed when the test ends.
class TempPath {
public:
  TempPath() {
    llvm::SmallString<128> path;
    std::error_code ec =
        llvm::sys::fs::createTemporaryFile("attn-host-tensor", "npy", path);
    EXPECT_FALSE(ec) << ec.message();
    this->path = std::string(path);
  }
  ~TempPath() { llvm::sys::fs::remove(path); }
  const std::string &get() const { return path; }

private:
  std::string path;
};

/// Writes raw bytes to `path`.
void writeBytes(const std::string &path, const std::string &bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec);
  os << bytes;
}

/// A hand-made .npy file: `major`.0 header holding `dict`, then `data`.
std::string makeNpy(int major, const std::string &dict,
                    const std::string &data) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0)
    header.push_back(' ');
  header.push_back('\n');
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  size_t len = header.size();
  bytes.push_back(static_cast<char>(len & 0xff));
  bytes.push_back(static_cast<char>((len >> 8) & 0xff));
  if (major != 1) {
    bytes.push_back(0);
    bytes.push_back(0);
  }
  return bytes + header + data;
}

std::string errorText(llvm::Error error) {
  return llvm::toString(std::move(error));
}

TEST(HostTensorTest, ShapeAndIndex) {
  HostTensor t(ElementKind::F32, {2, 3, 4});
  EXPECT_EQ(t.getNumElements(), 24);
  EXPECT_EQ(t.linearIndex({1, 2, 3}), 1 * 12 + 2 * 4 + 3);
  EXPECT_EQ(t.shapeString(), "[2, 3, 4]");
  t.at({1, 0, 2}) = 5.0;
  EXPECT_EQ(t.data[14], 5.0);
  EXPECT_EQ(getElementKindName(ElementKind::BF16), "bf16");
}

TEST(HostTensorTest, RoundToBF16) {
  // bf16 keeps 8 significant bits: 1 + 2^-7 is exact, 1 + 2^-8 is a tie
  // between 1 and 1 + 2^-7 and goes to the even one (1); 1 + 3*2^-8 is a tie
  // that goes up to 1 + 2^-6.
  EXPECT_EQ(roundToBF16(1.0 + std::ldexp(1, -7)), 1.0 + std::ldexp(1, -7));
  EXPECT_EQ(roundToBF16(1.0 + std::ldexp(1, -8)), 1.0);
  EXPECT_EQ(roundToBF16(1.0 + 3 * std::ldexp(1, -8)), 1.0 + std::ldexp(1, -6));
  EXPECT_EQ(roundToBF16(1.0 + std::ldexp(1, -8) + std::ldexp(1, -20)),
            1.0 + std::ldexp(1, -7));
  EXPECT_EQ(roundToBF16(-3.14159265), -3.140625);
  // No double rounding through f32: this value is just above a bf16 tie
  // but an f32 intermediate would round it onto the tie, then to even.
  double justAbove = 1.0 + std::ldexp(1, -8) + std::ldexp(1, -40);
  EXPECT_EQ(roundToBF16(justAbove), 1.0 + std::ldexp(1, -7));
  // Largest finite bf16 is (2 - 2^-7) * 2^127; halfway above it overflows.
  double maxBF16 = (2.0 - std::ldexp(1, -7)) * std::ldexp(1, 127);
  EXPECT_EQ(roundToBF16(maxBF16), maxBF16);
  EXPECT_TRUE(
      std::isinf(roundToBF16((2.0 - std::ldexp(1, -8)) * std::ldexp(1, 127))));
  // Subnormals: the smallest bf16 subnormal is 2^-133.
  EXPECT_EQ(roundToBF16(std::ldexp(1, -133)), std::ldexp(1, -133));
  EXPECT_EQ(roundToBF16(std::ldexp(1.4, -133)), std::ldexp(1, -133));
  EXPECT_EQ(roundToBF16(std::ldexp(1, -135)), 0.0);
  EXPECT_TRUE(std::signbit(roundToBF16(-std::ldexp(1, -135))));
  EXPECT_TRUE(std::isnan(roundToBF16(std::nan(""))));
  EXPECT_EQ(roundToBF16(-INFINITY), -INFINITY);
}

TEST(HostTensorTest, RoundToF16) {
  // f16 keeps 11 significant bits.
  EXPECT_EQ(roundToF16(1.0 + std::ldexp(1, -11)), 1.0);
  EXPECT_EQ(roundToF16(1.0 + 3 * std::ldexp(1, -11)), 1.0 + std::ldexp(1, -9));
  EXPECT_EQ(roundToF16(0.1), 0.0999755859375);
  EXPECT_EQ(roundToF16(65504.0), 65504.0);
  EXPECT_EQ(roundToF16(65519.0), 65504.0);
  EXPECT_TRUE(std::isinf(roundToF16(65520.0)));
  // Smallest subnormal 2^-24; half of it ties to even (zero).
  EXPECT_EQ(roundToF16(std::ldexp(1, -24)), std::ldexp(1, -24));
  EXPECT_EQ(roundToF16(std::ldexp(1, -25)), 0.0);
  EXPECT_EQ(roundToF16(std::ldexp(3, -25)), std::ldexp(2, -24));
  EXPECT_EQ(roundToF16(std::ldexp(1.5, -20)), std::ldexp(1.5, -20));
  EXPECT_TRUE(std::isnan(roundToF16(std::nan(""))));
}

TEST(HostTensorTest, RoundTensor) {
  HostTensor t(ElementKind::F64, {4});
  t.data = {0.1, -2.7, 1.0 + std::ldexp(1, -9), 3.0};
  HostTensor ints = t;
  roundTo(ints, ElementKind::I32);
  EXPECT_EQ(ints.kind, ElementKind::I32);
  EXPECT_EQ(ints.data, (std::vector<double>{0.0, -2.0, 1.0, 3.0}));
  roundTo(t, ElementKind::BF16);
  EXPECT_EQ(t.data[2], 1.0);
  EXPECT_EQ(t.data[0], roundToBF16(0.1));
}

/// Writes `tensor` as `kind` and reads it back.
HostTensor roundTrip(const HostTensor &tensor, ElementKind kind) {
  TempPath path;
  llvm::Error error = writeNpy(path.get(), tensor, kind);
  EXPECT_FALSE(error) << errorText(std::move(error));
  llvm::Expected<HostTensor> read = readNpy(path.get());
  if (!read) {
    ADD_FAILURE() << errorText(read.takeError());
    return {};
  }
  return *read;
}

TEST(HostTensorTest, NpyRoundTripEveryDtype) {
  HostTensor t(ElementKind::F64, {2, 3});
  t.data = {0.0, 1.0, -2.0, 3.0, 100.0, 1.0};
  for (ElementKind kind :
       {ElementKind::F16, ElementKind::F32, ElementKind::F64, ElementKind::I8,
        ElementKind::I32, ElementKind::I64}) {
    HostTensor read = roundTrip(t, kind);
    EXPECT_EQ(read.kind, kind) << getElementKindName(kind).str();
    EXPECT_EQ(read.shape, t.shape);
    EXPECT_EQ(read.data, t.data) << getElementKindName(kind).str();
  }
  HostTensor bytes = t;
  bytes.data[2] = 254.0;
  HostTensor u8 = roundTrip(bytes, ElementKind::U8);
  EXPECT_EQ(u8.kind, ElementKind::U8);
  EXPECT_EQ(u8.data, bytes.data);
  HostTensor bools = roundTrip(t, ElementKind::I1);
  EXPECT_EQ(bools.kind, ElementKind::I1);
  EXPECT_EQ(bools.data, (std::vector<double>{0, 1, 1, 1, 1, 1}));
  // bf16 is stored as f32.
  HostTensor bf = roundTrip(t, ElementKind::BF16);
  EXPECT_EQ(bf.kind, ElementKind::F32);
  EXPECT_EQ(bf.data, t.data);
}

TEST(HostTensorTest, NpyRoundTripValues) {
  HostTensor t(ElementKind::F64, {5});
  t.data = {0.1, -1e-7, 65504.0, std::ldexp(1, -24), -INFINITY};
  HostTensor f64 = roundTrip(t, ElementKind::F64);
  EXPECT_EQ(f64.data[0], 0.1);
  HostTensor f32 = roundTrip(t, ElementKind::F32);
  EXPECT_EQ(f32.data[0], static_cast<double>(0.1f));
  HostTensor f16 = roundTrip(t, ElementKind::F16);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(f16.data[i], roundToF16(t.data[i])) << i;
  HostTensor big(ElementKind::I64, {1});
  big.data = {-123456789012.0};
  EXPECT_EQ(roundTrip(big, ElementKind::I64).data[0], -123456789012.0);
}

TEST(HostTensorTest, NpyScalarAndVector) {
  HostTensor scalar(ElementKind::F32, {});
  scalar.data = {2.5};
  HostTensor read = roundTrip(scalar, ElementKind::F32);
  EXPECT_TRUE(read.shape.empty());
  EXPECT_EQ(read.data, std::vector<double>{2.5});
  HostTensor vec(ElementKind::F32, {3});
  vec.data = {1, 2, 3};
  EXPECT_EQ(roundTrip(vec, ElementKind::F32).shape, std::vector<int64_t>{3});
}

TEST(HostTensorTest, NpyReadsVersion1And2Headers) {
  std::string data;
  for (int32_t v : {7, -1, 42}) {
    for (int byte = 0; byte < 4; ++byte)
      data.push_back(
          static_cast<char>((static_cast<uint32_t>(v) >> (8 * byte)) & 0xff));
  }
  for (int major : {1, 2, 3}) {
    TempPath path;
    writeBytes(path.get(),
               makeNpy(major,
                       "{'descr': '<i4', 'fortran_order': False, 'shape': "
                       "(3,), }",
                       data));
    llvm::Expected<HostTensor> read = readNpy(path.get());
    ASSERT_TRUE(static_cast<bool>(read)) << errorText(read.takeError());
    EXPECT_EQ(read->kind, ElementKind::I32);
    EXPECT_EQ(read->data, (std::vector<double>{7, -1, 42})) << major;
  }
}

TEST(HostTensorTest, NpyErrors) {
  auto readError = [](const std::string &bytes) {
    TempPath path;
    writeBytes(path.get(), bytes);
    llvm::Expected<HostTensor> read = readNpy(path.get());
    EXPECT_FALSE(static_cast<bool>(read));
    std::string text = read ? "" : errorText(read.takeError());
    // Every error names the file.
    EXPECT_NE(text.find(path.get()), std::string::npos) << text;
    return text;
  };
  std::string eightBytes(8, '\0');
  EXPECT_NE(readError("PK\x03\x04 not numpy at all").find("bad magic"),
            std::string::npos);
  EXPECT_NE(readError(makeNpy(1,
                              "{'descr': '<f8', 'fortran_order': True, "
                              "'shape': (1,), }",
                              eightBytes))
                .find("Fortran order"),
            std::string::npos);
  std::string bigEndian = readError(
      makeNpy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
              eightBytes));
  EXPECT_NE(bigEndian.find("'>f4'"), std::string::npos) << bigEndian;
  EXPECT_NE(bigEndian.find("big-endian"), std::string::npos) << bigEndian;
  std::string complex = readError(
      makeNpy(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
              eightBytes));
  EXPECT_NE(complex.find("unsupported dtype '<c8'"), std::string::npos)
      << complex;
  std::string truncated = readError(
      makeNpy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
              eightBytes));
  EXPECT_NE(truncated.find("needs 32"), std::string::npos) << truncated;
  llvm::Expected<HostTensor> missing = readNpy("/nonexistent/attn.npy");
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_NE(errorText(missing.takeError()).find("/nonexistent/attn.npy"),
            std::string::npos);
}

} // namespace
