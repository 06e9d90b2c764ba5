// Erasure at the level of bytes: after DeleteFaces, DeleteUser followed by
// DeleteFaces, DeleteCollection and EraseFacesIndexedBefore, the stored
// vector of an erased face is in no file of the data directory (candor.db,
// its -wal and -shm, anything else there), while the store is open, after it
// is closed, and after it is opened again; and it does not come back.
//
// Each check has its positive control: before the erasure the exact stored
// bytes of the vector (read from the store, in its on-disk encoding,
// store/face_codec.h) are found whole in the files, and a face that is kept
// stays found whole throughout, so a scan that cannot see vectors fails the
// test instead of passing it. The erased face is looked for by every aligned
// 32-byte piece of its vector, so a remnant of a partly overwritten row
// counts as found.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "candor/collections.h"
#include "byte_search.h"
#include "collections_fixture.h"
#include "eval/lfw.h"
#include "store/face_codec.h"
#include "store/store.h"
#include "test_support.h"

namespace candor {
namespace {

namespace fs = std::filesystem;
using testing::DataDir;
using testing::ReadFile;

// The first image of each of the first `count` LFW people with at least two
// images, and their second image to search with.
struct Person {
  std::string enrol;
  std::string probe;
};
std::vector<Person> People(size_t count) {
  std::vector<int> identity;
  auto paths = eval::ListLfwImages(DataDir() + "/lfw", &identity);
  EXPECT_TRUE(paths.ok()) << paths.status().ToString();
  std::vector<Person> people;
  if (!paths.ok()) return people;
  for (size_t i = 0; i + 1 < paths->size() && people.size() < count; ++i) {
    if (identity[i] != identity[i + 1] || (i > 0 && identity[i - 1] == identity[i])) continue;
    people.push_back({(*paths)[i], (*paths)[i + 1]});
  }
  EXPECT_EQ(people.size(), count);
  return people;
}

// Every regular file of the data directory, read whole.
std::map<std::string, std::string> DataFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[entry.path().filename().string()] = ReadFile(entry.path().string());
    }
  }
  return files;
}

// Where the whole vector is (file names).
std::set<std::string> FilesWithWhole(const std::string& dir, const std::string& vector_bytes) {
  std::set<std::string> where;
  for (const auto& [name, bytes] : DataFiles(dir)) {
    if (bytes.find(vector_bytes) != std::string::npos) where.insert(name);
  }
  return where;
}

// Where any aligned piece of the vector is ("file@offset").
std::set<std::string> FilesWithAnyPiece(const std::string& dir, const std::string& vector_bytes) {
  return testing::FilesWithAnyPiece(DataFiles(dir), vector_bytes);
}

class ErasureTest : public testing::CollectionsFixture {
 protected:
  void SetUp() override {
    CollectionsFixture::SetUp();
    people_ = People(3);
    ASSERT_EQ(people_.size(), 3u);
  }

  StoredFace Index(const std::string& collection, const std::string& path) {
    auto r = collections_->IndexFaces(
        {.collection_id = collection, .image_bytes = ReadFile(path), .max_faces = 1});
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    if (!r.ok() || r->face_records.size() != 1) {
      ADD_FAILURE() << "no face indexed in " << path;
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // distinct indexed_ms
    return r->face_records[0].face;
  }

  // The exact stored bytes of each face's vector, read from the store with
  // Collections closed (then opened again, as a restart).
  std::map<std::string, std::string> StoredVectors(
      const std::vector<std::pair<std::string, std::string>>& collection_and_face) {
    collections_.reset();
    std::map<std::string, std::string> vectors;
    {
      auto store = store::Store::OpenSqlite(dir_);
      EXPECT_TRUE(store.ok()) << store.status().ToString();
      if (store.ok()) {
        for (const auto& [collection, face_id] : collection_and_face) {
          auto faces = (*store)->GetFaces(collection, {face_id}, true);
          EXPECT_TRUE(faces.ok() && faces->size() == 1) << face_id;
          if (faces.ok() && faces->size() == 1) {
            vectors[face_id] = store::EncodeEmbedding((*faces)[0].embedding);
          }
        }
      }
    }
    Reopen();
    return vectors;
  }

  void ExpectPresent(const std::string& vector_bytes, const std::string& what) {
    EXPECT_FALSE(FilesWithWhole(dir_, vector_bytes).empty())
        << "positive control: the vector of " << what << " is not found whole in any file of "
        << dir_;
  }

  void ExpectAbsent(const std::string& vector_bytes, const std::string& what) {
    const std::set<std::string> where = FilesWithAnyPiece(dir_, vector_bytes);
    EXPECT_TRUE(where.empty()) << "bytes of the erased vector of " << what
                               << " remain in: " << testing::JoinPlaces(where);
  }

  // The erased face is absent and the kept one present: with the store open,
  // closed, and opened again; and the collection agrees after the restart.
  void ExpectErasedAndKept(const std::string& erased_bytes, const std::string& kept_bytes,
                           const std::string& collection, int64_t kept_count,
                           const std::string& erased_face_id) {
    {
      SCOPED_TRACE("store open");
      ExpectAbsent(erased_bytes, "the erased face");
      ExpectPresent(kept_bytes, "the kept face");
    }
    collections_.reset();
    {
      SCOPED_TRACE("store closed");
      ExpectAbsent(erased_bytes, "the erased face");
      ExpectPresent(kept_bytes, "the kept face");
    }
    Reopen();
    {
      SCOPED_TRACE("store reopened");
      auto d = collections_->DescribeCollection(collection);
      if (kept_count < 0) {
        EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
      } else {
        ASSERT_TRUE(d.ok()) << d.status().ToString();
        EXPECT_EQ(d->face_count, kept_count);
        EXPECT_EQ(collections_->SearchFaces({.collection_id = collection}, erased_face_id)
                      .status()
                      .code(),
                  StatusCode::kNotFound);
        auto found = collections_->SearchFacesByImage(
            {.collection_id = collection, .face_match_threshold = 0, .max_faces = 4096},
            ReadFile(people_[0].probe));
        ASSERT_TRUE(found.ok()) << found.status().ToString();
        EXPECT_EQ(found->faces_searched, kept_count);
        for (const SearchMatch& m : found->matches) EXPECT_NE(m.face.face_id, erased_face_id);
      }
      ExpectAbsent(erased_bytes, "the erased face");
      ExpectPresent(kept_bytes, "the kept face");
    }
  }

  std::vector<Person> people_;
};

TEST_F(ErasureTest, DeleteFacesErasesTheVectorFromEveryFile) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const StoredFace erased = Index("c", people_[0].enrol);
  const StoredFace kept = Index("c", people_[1].enrol);
  auto vectors = StoredVectors({{"c", erased.face_id}, {"c", kept.face_id}});
  ASSERT_EQ(vectors.size(), 2u);
  ASSERT_EQ(vectors[erased.face_id].size(), 2048u);
  ExpectPresent(vectors[erased.face_id], "the face to erase");
  ExpectPresent(vectors[kept.face_id], "the kept face");

  auto r = collections_->DeleteFaces("c", {erased.face_id});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted_faces, std::vector<std::string>{erased.face_id});
  ExpectErasedAndKept(vectors[erased.face_id], vectors[kept.face_id], "c", 1, erased.face_id);
}

TEST_F(ErasureTest, DeleteUserThenDeleteFacesErasesTheVector) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const StoredFace erased = Index("c", people_[0].enrol);
  const StoredFace kept = Index("c", people_[1].enrol);
  ASSERT_TRUE(collections_->CreateUser({.collection_id = "c", .user_id = "u"}).ok());
  auto associated = collections_->AssociateFaces(
      {.collection_id = "c", .user_id = "u", .face_ids = {erased.face_id}});
  ASSERT_TRUE(associated.ok()) << associated.status().ToString();
  ASSERT_EQ(associated->associated_faces.size(), 1u);
  auto vectors = StoredVectors({{"c", erased.face_id}, {"c", kept.face_id}});
  ASSERT_EQ(vectors.size(), 2u);

  // A user's face is not deleted, and DeleteUser only disassociates it
  // (Rekognition's semantics): the vector is still there after both.
  auto refused = collections_->DeleteFaces("c", {erased.face_id});
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_TRUE(refused->deleted_faces.empty());
  ExpectPresent(vectors[erased.face_id], "a face of a user after DeleteFaces");
  ASSERT_TRUE(collections_->DeleteUser({.collection_id = "c", .user_id = "u"}).ok());
  ExpectPresent(vectors[erased.face_id], "a face after DeleteUser");
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 2);

  auto r = collections_->DeleteFaces("c", {erased.face_id});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted_faces, std::vector<std::string>{erased.face_id});
  ExpectErasedAndKept(vectors[erased.face_id], vectors[kept.face_id], "c", 1, erased.face_id);
}

TEST_F(ErasureTest, DeleteCollectionErasesItsVectors) {
  ASSERT_TRUE(collections_->CreateCollection("gone").ok());
  ASSERT_TRUE(collections_->CreateCollection("keep").ok());
  const StoredFace erased = Index("gone", people_[0].enrol);
  const StoredFace erased_too = Index("gone", people_[2].enrol);
  const StoredFace kept = Index("keep", people_[1].enrol);
  ASSERT_TRUE(collections_->CreateUser({.collection_id = "gone", .user_id = "u"}).ok());
  ASSERT_TRUE(
      collections_
          ->AssociateFaces({.collection_id = "gone", .user_id = "u", .face_ids = {erased.face_id}})
          .ok());
  ASSERT_TRUE(collections_->PutCollectionPolicy("gone", CollectionPolicy{}).ok());
  auto vectors = StoredVectors(
      {{"gone", erased.face_id}, {"gone", erased_too.face_id}, {"keep", kept.face_id}});
  ASSERT_EQ(vectors.size(), 3u);
  ExpectPresent(vectors[erased.face_id], "a face of the collection to delete");
  ExpectPresent(vectors[erased_too.face_id], "a face of the collection to delete");

  ASSERT_TRUE(collections_->DeleteCollection("gone").ok());
  ExpectAbsent(vectors[erased_too.face_id], "the second face of the deleted collection");
  ExpectErasedAndKept(vectors[erased.face_id], vectors[kept.face_id], "gone", -1, erased.face_id);
  ExpectAbsent(vectors[erased_too.face_id], "the second face of the deleted collection");
  EXPECT_EQ(collections_->DescribeCollection("keep")->face_count, 1);
}

TEST_F(ErasureTest, EraseFacesIndexedBeforeErasesAssociatedFacesToo) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const StoredFace erased = Index("c", people_[0].enrol);
  const StoredFace kept = Index("c", people_[1].enrol);
  ASSERT_LT(erased.indexed_ms, kept.indexed_ms);
  ASSERT_TRUE(collections_->CreateUser({.collection_id = "c", .user_id = "u"}).ok());
  ASSERT_TRUE(
      collections_
          ->AssociateFaces({.collection_id = "c", .user_id = "u", .face_ids = {erased.face_id}})
          .ok());
  auto vectors = StoredVectors({{"c", erased.face_id}, {"c", kept.face_id}});
  ASSERT_EQ(vectors.size(), 2u);
  ExpectPresent(vectors[erased.face_id], "the face to erase");

  auto r = collections_->EraseFacesIndexedBefore("c", kept.indexed_ms);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(*r, std::vector<std::string>{erased.face_id});
  ExpectErasedAndKept(vectors[erased.face_id], vectors[kept.face_id], "c", 1, erased.face_id);
}

}  // namespace
}  // namespace candor
