// Helpers of the store tests: temporary directories, fixture files written
// with SQLite directly, and faces with every field distinctive.
#ifndef CANDOR_TESTS_STORE_TEST_SUPPORT_H_
#define CANDOR_TESTS_STORE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "store/schema.h"
#include "test_support.h"
#include "store/store.h"

namespace candor::store::test_support {

namespace fs = std::filesystem;

using TempDir = ::candor::testing::TempDir;

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs SQL on the file through a connection of its own (fixtures only).
inline void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

inline int64_t RawInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* stmt = nullptr;
  int64_t value = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

inline std::vector<float> EmbeddingFor(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(kEmbeddingDimension);
  double norm = 0;
  for (float& x : v) {
    x = normal(rng);
    norm += double{x} * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

// A face with every field set to something distinctive for `n`.
inline FaceRecord MakeFace(int n) {
  FaceRecord face;
  char id[40];
  std::snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012d", 0x5eed0000 + n, n);
  face.face_id = id;
  face.image_id = "image-" + std::to_string(n / 2);
  face.external_image_id = n % 3 == 0 ? "" : "photo_" + std::to_string(n) + ".jpg";
  face.user_id = n % 4 == 0 ? "" : "user-" + std::to_string(n % 5);
  face.box = {0.1f + 0.001f * n, 0.2f, 0.3f, 0.4f + 1e-7f * n};
  face.confidence = 99.9f - 0.01f * n;
  face.face_model_version = "faceplugin-0.0.1";
  face.indexed_ms = 1700000000000 + n;
  face.embedding = EmbeddingFor(static_cast<uint32_t>(n) + 1);
  return face;
}

inline std::string EmbeddingBytes(const std::vector<float>& embedding) {
  return std::string(reinterpret_cast<const char*>(embedding.data()), embedding.size() * 4);
}

inline void ExpectSameFace(const FaceRecord& actual, const FaceRecord& expected,
                           bool with_embedding) {
  EXPECT_EQ(actual.row_id, expected.row_id);
  EXPECT_EQ(actual.face_id, expected.face_id);
  EXPECT_EQ(actual.image_id, expected.image_id);
  EXPECT_EQ(actual.external_image_id, expected.external_image_id);
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.box.left, expected.box.left);
  EXPECT_EQ(actual.box.top, expected.box.top);
  EXPECT_EQ(actual.box.width, expected.box.width);
  EXPECT_EQ(actual.box.height, expected.box.height);
  EXPECT_EQ(actual.confidence, expected.confidence);
  EXPECT_EQ(actual.face_model_version, expected.face_model_version);
  EXPECT_EQ(actual.indexed_ms, expected.indexed_ms);
  if (with_embedding) {
    EXPECT_EQ(EmbeddingBytes(actual.embedding), EmbeddingBytes(expected.embedding))
        << "embedding of " << expected.face_id << " differs";
  } else {
    EXPECT_TRUE(actual.embedding.empty());
  }
}

inline CollectionRecord MakeCollection(const std::string& id) {
  return {id, "faceplugin-0.0.1", 1700000000000, 0, 0};
}

}  // namespace candor::store::test_support

#endif  // CANDOR_TESTS_STORE_TEST_SUPPORT_H_
