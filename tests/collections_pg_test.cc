// Collections on the PostgreSQL store (CollectionsOptions::store_uri, `candor
// serve --store`): what is indexed is searchable, after a reopen too (the
// in-memory index is built from the database at start), and what is deleted
// is gone from both.
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include "candor/collections.h"
#include "pg_test_support.h"
#include "test_support.h"

namespace candor {
namespace {

using testing::Lfw;
using testing::ReadFile;
using testing::TempDir;

TEST(CollectionsPostgresTest, IndexSearchReopenDelete) {
  store::test_support::PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  auto engine = Engine::Create({.workers = 1});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  TempDir dir;  // the data directory stays unused by the store
  const CollectionsOptions options{.data_dir = dir.path(), .store_uri = db.conninfo()};
  std::string colin;
  {
    auto c = Collections::Open(engine->get(), options);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->CreateCollection("pg").ok());
    for (const auto& [name, n] : {std::pair{"Colin_Powell", 0}, std::pair{"George_W_Bush", 0}}) {
      auto r = (*c)->IndexFaces({.collection_id = "pg",
                                 .image_bytes = ReadFile(Lfw(name, n)),
                                 .external_image_id = name,
                                 .max_faces = 1});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->face_records.size(), 1u);
      if (std::string(name) == "Colin_Powell") colin = r->face_records[0].face.face_id;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/candor.db"));
  {
    auto c = Collections::Open(engine->get(), options);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto found =
        (*c)->SearchFacesByImage({.collection_id = "pg"}, ReadFile(Lfw("Colin_Powell", 1)));
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_EQ(found->matches.size(), 1u);
    EXPECT_EQ(found->matches[0].face.face_id, colin);
    EXPECT_EQ(found->faces_searched, 2);
    auto deleted = (*c)->DeleteFaces("pg", {colin});
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  }
  auto c = Collections::Open(engine->get(), options);
  ASSERT_TRUE(c.ok());
  auto after = (*c)->SearchFacesByImage({.collection_id = "pg"}, ReadFile(Lfw("Colin_Powell", 1)));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->matches.empty());
  EXPECT_EQ(after->faces_searched, 1);
}

}  // namespace
}  // namespace candor
