#include "model/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_checkpoints.h"

namespace r1b::model {
namespace {

using testing::fresh_dir;
using testing::RawTensor;
using testing::write_bytes;
using testing::write_safetensors;

std::string with_header(const std::string& json, const std::string& data = "") {
  std::string bytes(8, '\0');
  const uint64_t length = json.size();
  std::memcpy(bytes.data(), &length, 8);
  return bytes + json + data;
}

std::vector<float> read_all(const SafetensorsFile& file, const std::string& name) {
  const TensorEntry* entry = file.find(name);
  EXPECT_NE(entry, nullptr);
  std::vector<float> values(entry->numel());
  EXPECT_TRUE(convert_to_fp32(*entry, values).is_ok());
  return values;
}

TEST(SafetensorsTest, ReadsEveryFloatDtype) {
  const auto path = fresh_dir() / "all.safetensors";
  write_safetensors(path, {
      testing::f32_tensor("f32", {2}, {1.5f, -3.0f}),
      RawTensor{"bf16", "BF16", {2}, {0x80, 0x3F, 0x00, 0xC0}},       // 1.0, -2.0
      RawTensor{"f16", "F16", {2}, {0x00, 0x3C, 0x00, 0x3E}},         // 1.0, 1.5
      RawTensor{"f8", "F8_E4M3", {3}, {0x38, 0x7E, 0x01}},            // 1.0, 448, 2^-9
      RawTensor{"ids", "I64", {1}, {7, 0, 0, 0, 0, 0, 0, 0}},
  });
  Result<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.status().message();
  EXPECT_EQ(read_all(**file, "f32"), (std::vector<float>{1.5f, -3.0f}));
  EXPECT_EQ(read_all(**file, "bf16"), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(read_all(**file, "f16"), (std::vector<float>{1.0f, 1.5f}));
  EXPECT_EQ(read_all(**file, "f8"), (std::vector<float>{1.0f, 448.0f, 1.0f / 512}));
  const TensorEntry* ids = (*file)->find("ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->dtype, DType::kI64);
  std::vector<float> out(1);
  EXPECT_FALSE(convert_to_fp32(*ids, out).is_ok());  // integers are not weights
}

Status open_error(const std::string& bytes) {
  const auto path = fresh_dir() / "bad.safetensors";
  write_bytes(path, bytes);
  Result<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  EXPECT_FALSE(file.is_ok());
  if (file.is_ok()) return Status::ok();
  EXPECT_NE(file.status().message().find(path.string()), std::string::npos) << file.status().message();
  return file.status();
}

TEST(SafetensorsTest, ShortFileIsOneClearError) {
  EXPECT_NE(open_error("abc").message().find("shorter than the 8-byte header"), std::string::npos);
}

TEST(SafetensorsTest, HeaderLongerThanFileIsReportedAsTruncated) {
  std::string bytes(8, '\0');
  const uint64_t length = 1000;
  std::memcpy(bytes.data(), &length, 8);
  EXPECT_NE(open_error(bytes + "{}").message().find("truncated"), std::string::npos);
}

TEST(SafetensorsTest, CorruptHeaderJsonIsRejected) {
  EXPECT_NE(open_error(with_header("{not json")).message().find("not a JSON object"), std::string::npos);
}

TEST(SafetensorsTest, OffsetsOutsideTheDataBlockAreRejected) {
  const Status status = open_error(with_header(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"));
  EXPECT_NE(status.message().find("outside the 4-byte data block"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("'w'"), std::string::npos);
}

TEST(SafetensorsTest, ShapeThatDisagreesWithTheByteRangeIsRejected) {
  const Status status = open_error(with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"));
  EXPECT_NE(status.message().find("needs 12 bytes"), std::string::npos) << status.message();
}

TEST(SafetensorsTest, UnknownDtypeIsNamed) {
  const Status status = open_error(with_header(R"({"w":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[0,1]}})", "x"));
  EXPECT_NE(status.message().find("unsupported dtype F8_E5M2"), std::string::npos) << status.message();
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  Result<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(fresh_dir() / "absent.safetensors");
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace r1b::model
