// The PostgreSQL store's change log (store/change_feed.h): each write that
// changes what nodes hold in memory leaves one row, in its own transaction,
// with the right kind and FaceIds; rows become visible in the order of their
// numbers even with writers on several connections; pruning says how far;
// the notifier wakes on a commit and comes back after its connection is
// killed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_support.h"
#include "store/change_feed.h"
#include "store/pg_store.h"
#include "store/store.h"
#include "store_test_support.h"

namespace candor::store {
namespace {

using test_support::MakeCollection;
using test_support::MakeFace;
using test_support::PgRawExec;
using test_support::PgRawInt;
using test_support::PgTestDatabase;

std::unique_ptr<Store> Open(const PgTestDatabase& db) {
  auto store = OpenPostgresStore(db.conninfo());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// A database of its own and a store on it.
class PostgresChangeLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db.Create(&error)) << error;
    store = Open(db);
    ASSERT_NE(store, nullptr);
  }
  PgTestDatabase db;
  std::unique_ptr<Store> store;
};

TEST_F(PostgresChangeLogTest, EachWriteLeavesOneRowInItsTransaction) {
  EXPECT_EQ(*store->LatestChangeSeq(), 0);
  ASSERT_TRUE(store->CreateCollection(MakeCollection("c")).ok());
  const int64_t created = LastCommittedChangeSeq();
  EXPECT_GT(created, 0);
  std::vector<FaceRecord> faces = {MakeFace(1), MakeFace(2)};
  for (FaceRecord& f : faces) f.user_id.clear();
  ASSERT_TRUE(store->InsertFaces("c", &faces).ok());
  const int64_t inserted = LastCommittedChangeSeq();
  EXPECT_GT(inserted, created);
  ASSERT_TRUE(store->CreateUser("c", {"u", 1, 0}, nullptr).ok());
  ASSERT_TRUE(store->UpdateUserFaces("c", "u", {faces[0].face_id}, {}, 100, nullptr).ok());
  ASSERT_TRUE(store->DeleteFaces("c", {faces[1].face_id, "absent"}).ok());
  // A write that fails leaves no row, and no number for its caller.
  std::vector<FaceRecord> again = {MakeFace(1)};
  EXPECT_FALSE(store->InsertFaces("c", &again).ok());
  EXPECT_EQ(LastCommittedChangeSeq(), 0);
  // Reads leave none either.
  ASSERT_TRUE(store->GetFaces("c", {faces[0].face_id}, true).ok());
  ASSERT_TRUE(store->DeleteCollection("c").ok());

  auto batch = store->ReadChanges(0, 0, "", 100);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->pruned_through, 0);
  std::vector<ChangeKind> kinds;
  for (const ChangeRecord& c : batch->changes) {
    kinds.push_back(c.kind);
    EXPECT_EQ(c.collection_id, "c");
  }
  const std::vector<ChangeKind> expected = {
      ChangeKind::kCollectionCreated, ChangeKind::kFacesAdded,   ChangeKind::kUsersChanged,
      ChangeKind::kUsersChanged,      ChangeKind::kFacesDeleted, ChangeKind::kCollectionDeleted};
  EXPECT_EQ(kinds, expected);
  ASSERT_EQ(batch->changes.size(), expected.size());
  EXPECT_EQ(batch->changes[1].seq, inserted);
  EXPECT_EQ(batch->changes[1].face_ids,
            (std::vector<std::string>{faces[0].face_id, faces[1].face_id}));
  EXPECT_EQ(batch->changes[3].face_ids, std::vector<std::string>{faces[0].face_id});
  EXPECT_EQ(batch->changes[4].face_ids, std::vector<std::string>{faces[1].face_id});
  EXPECT_EQ(*store->LatestChangeSeq(), batch->changes.back().seq);

  // Bounded and per collection.
  auto some = store->ReadChanges(created, inserted, "c", 100);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->changes.size(), 1u);
  EXPECT_EQ(some->changes[0].seq, inserted);
  EXPECT_TRUE(store->ReadChanges(0, 0, "other", 100)->changes.empty());

  // Pruning everything written before now: the readers learn how far.
  const int64_t latest = *store->LatestChangeSeq();
  auto pruned = store->PruneChanges(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, static_cast<int64_t>(expected.size()));
  auto after = store->ReadChanges(0, 0, "", 100);
  EXPECT_TRUE(after->changes.empty());
  EXPECT_EQ(after->pruned_through, latest);
  EXPECT_EQ(*store->LatestChangeSeq(), latest);  // still known with no row left
}

// Writers on four connections at once, a reader that always asks for the
// rows after the last one it saw (as a node does): it must see every row
// that was committed. Without the change log's lock a row numbered before
// one already seen would commit later, and be skipped.
TEST_F(PostgresChangeLogTest, RowsBecomeVisibleInTheOrderOfTheirNumbers) {
  ASSERT_TRUE(store->CreateCollection(MakeCollection("c")).ok());
  const int64_t start = *store->LatestChangeSeq();
  constexpr int kWriters = 4, kWrites = 60;
  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto writer = Open(db);  // a connection of its own
      for (int i = 0; writer != nullptr && i < kWrites; ++i) {
        std::vector<FaceRecord> face = {MakeFace(1000 * (w + 1) + i)};
        const Status s = writer->InsertFaces("c", &face);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
      --writers_left;
    });
  }
  Store* reader = store.get();
  std::set<int64_t> seen;
  int64_t last = start;
  for (bool done = false; !done;) {
    done = writers_left.load() == 0;  // one more read after the last write
    auto batch = reader->ReadChanges(last, 0, "", 1000);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    for (const ChangeRecord& c : batch->changes) {
      EXPECT_GT(c.seq, last);
      seen.insert(c.seq);
      last = c.seq;
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(static_cast<int64_t>(seen.size()), kWriters * kWrites);
  EXPECT_EQ(PgRawInt(db.conninfo(), "SELECT count(*) FROM change_log WHERE seq > " +
                                        std::to_string(start)),
            kWriters * kWrites);
}

TEST_F(PostgresChangeLogTest, NotifierWakesOnACommitAndReconnects) {
  auto notifier = OpenPostgresChangeNotifier(db.conninfo());
  ASSERT_TRUE(notifier.ok()) << notifier.status().ToString();
  const auto waited_ms = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    (*notifier)->Wait(10'000);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
        .count();
  };
  std::thread write([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(store->CreateCollection(MakeCollection("c")).ok());
  });
  EXPECT_LT(waited_ms(), 5'000);  // woken by the commit, not the 10 s timeout
  write.join();

  PgRawExec(db.conninfo(),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'candor-listener' AND datname = current_database()");
  // The goodbye wakes it (the error, then the end of the stream, may come
  // apart); it connects again.
  double ms = 0;
  for (int i = 0; i < 10 && (*notifier)->reconnects() == 0; ++i) ms += waited_ms();
  EXPECT_LT(ms, 5'000);
  EXPECT_EQ((*notifier)->reconnects(), 1);
  EXPECT_EQ(PgRawInt(db.conninfo(),
                     "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                     " 'candor-listener' AND datname = current_database()"),
            1);
  std::thread again([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(store->CreateCollection(MakeCollection("d")).ok());
  });
  EXPECT_LT(waited_ms(), 5'000);  // listening again
  again.join();
}

}  // namespace
}  // namespace candor::store
