// The PostgreSQL store alone: what has no SQLite counterpart (its schema
// refusals, concurrent opens and quotas across connections, reconnection,
// its query plans). The cases both stores pass are in store_test.cc.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_support.h"
#include "store/pg_statements.h"
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


// PostgreSQL's twin of ListFacesIndexedBeforeUsesItsIndex: retention's query
// can be served by faces_by_collection_indexed_ms in its order, without a
// sort (sequential scans off: on a table this small the planner would
// rightly prefer one).
TEST(PostgresStoreFileTest, ListFacesIndexedBeforeUsesItsIndex) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  {
    auto store = OpenPostgresStore(db.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
    std::vector<FaceRecord> faces;
    for (int n = 0; n < 20; ++n) faces.push_back(MakeFace(n));
    ASSERT_TRUE((*store)->InsertFaces("c", &faces).ok());
  }
  PGconn* conn = PQconnectdb(db.conninfo().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  std::string plan;
  for (const std::string& sql :
       {std::string("SET enable_seqscan = off"), std::string("ANALYZE faces"),
        "PREPARE retention (text, bigint, bigint) AS " +
            std::string(pg_sql::kListFacesIndexedBefore),
        std::string("EXPLAIN EXECUTE retention ('c', 1700000000005, 100)")}) {
    PGresult* r = PQexec(conn, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
      plan += PQgetvalue(r, i, 0);
      plan += "\n";
    }
    PQclear(r);
  }
  PQfinish(conn);
  EXPECT_NE(plan.find("faces_by_collection_indexed_ms"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Sort"), std::string::npos) << "sorts: " << plan;
}

// Several nodes starting at once on a new database: one creates the
// tables, the others find them.
TEST(PostgresStoreFileTest, ConcurrentOpensOfANewDatabase) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  std::vector<Status> opened(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < opened.size(); ++i) {
    threads.emplace_back([&, i] { opened[i] = OpenPostgresStore(db.conninfo()).status(); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : opened) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(PgRawInt(db.conninfo(), "SELECT version FROM candor_schema_version"),
            kPgSchemaVersion);
}

// A session the server ends while the store is idle (a restart, a
// failover, an administrator): the next call finds it closed before using
// it, connects again and is answered. A session ended during a call fails
// that call with Throttling (retry later), having changed nothing, and the
// next call reconnects.
TEST(PostgresStoreFileTest, ReconnectsAfterTheConnectionIsLost) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  auto store = OpenPostgresStore(db.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
  const std::string others =
      " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
  // (With a timeout, pg_terminate_backend waits until the session is gone.)
  EXPECT_EQ(PgRawInt(db.conninfo(), "SELECT count(pg_terminate_backend(pid, 5000))" + others), 1);
  const Status after_idle = (*store)->CreateCollection(MakeCollection("d"));
  EXPECT_TRUE(after_idle.ok()) << after_idle.ToString();

  // During a call: the store's statement waits for a lock that another
  // session holds when its session is ended.
  PGconn* locker = PQconnectdb(db.conninfo().c_str());
  ASSERT_EQ(PQstatus(locker), CONNECTION_OK);
  PQclear(PQexec(locker, "BEGIN; LOCK TABLE collections IN ACCESS EXCLUSIVE MODE"));
  Status lost;
  std::thread call([&] { lost = (*store)->CreateCollection(MakeCollection("e")); });
  const std::string waiting = others + " AND wait_event_type = 'Lock'";
  for (int i = 0; i < 200 && PgRawInt(db.conninfo(), "SELECT count(*)" + waiting) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(PgRawInt(db.conninfo(), "SELECT count(pg_terminate_backend(pid))" + waiting), 1);
  call.join();
  PQclear(PQexec(locker, "ROLLBACK"));
  PQfinish(locker);
  EXPECT_EQ(lost.code(), StatusCode::kThrottling) << lost.ToString();
  EXPECT_EQ((*store)->GetCollection("e").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*store)->CreateCollection(MakeCollection("e")).ok());
  EXPECT_EQ((*store)->ListCollections("", 10)->size(), 3u);
}

// A server that takes the connection and never answers: opening the store
// (and reconnecting, which reuses the options) gives up after
// connect_timeout (5 s unless the URI says otherwise) with Throttling, as
// for a server that refuses, instead of waiting forever.
TEST(PostgresStoreFileTest, AServerThatNeverAnswersIsUnavailable) {
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), size), 0);
  ASSERT_EQ(::listen(silent, 8), 0);  // the kernel completes connections; no one reads
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string uri =
      "postgresql://candor@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/candor";
  auto store = OpenPostgresStore(uri);
  ::close(silent);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kThrottling) << store.status().ToString();
  EXPECT_NE(store.status().message().find("timeout"), std::string::npos)
      << store.status().ToString();
}

// Two stores (two nodes) on one PostgreSQL database, writing at once: the
// writes are serializable, so a quota checked inside a transaction holds
// across them. Each call succeeds, is refused by the quota, or (when it lost
// to the others more times than the store retries) fails with Throttling,
// having changed nothing.
TEST(PostgresStoreFileTest, ConcurrentStoresKeepAQuota) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 2; ++i) {
    auto store = OpenPostgresStore(db.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    stores.push_back(std::move(store).value());
  }
  ASSERT_TRUE(stores[0]->CreateCollection(MakeCollection("c")).ok());
  constexpr size_t kMaxTags = 10;
  std::atomic<int> ok{0}, refused{0}, throttled{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        // Appended, not "k" + ...: GCC 12's -Wrestrict misfires on that here.
        std::string key = "k";
        key += std::to_string(t);
        key += '_';
        key += std::to_string(i);
        const Status s = stores[t % 2]->UpdateTags("c", {{key, "v"}}, {}, kMaxTags);
        if (s.ok()) {
          ++ok;
        } else if (s.code() == StatusCode::kServiceQuotaExceeded) {
          ++refused;
        } else if (s.code() == StatusCode::kThrottling) {
          ++throttled;
        } else {
          ADD_FAILURE() << s.ToString();
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto tags = stores[1]->GetTags("c");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->size(), static_cast<size_t>(ok.load()));
  EXPECT_EQ(tags->size(), kMaxTags) << ok << " ok, " << refused << " refused, " << throttled
                                    << " throttled";
  EXPECT_EQ(other, 0);
  std::cout << ok << " ok, " << refused << " refused, " << throttled << " throttled\n";
}

// ForEachFace reads a collection in one streamed query: a row it cannot
// decode in the middle of the stream fails the call (Corruption, naming the
// face) after the rows before it were handed over, and the rest of the
// stream is drained, so the same connection answers the next calls. A
// corrupt row can only be made with the length CHECK dropped.
TEST(PostgresStoreFileTest, ForEachFaceStopsAtACorruptRowAndStaysUsable) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  auto store = OpenPostgresStore(db.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
  std::vector<FaceRecord> faces;
  for (int n = 0; n < 3000; ++n) faces.push_back(MakeFace(n));
  ASSERT_TRUE((*store)->InsertFaces("c", &faces).ok());
  PgRawExec(db.conninfo(), "ALTER TABLE faces DROP CONSTRAINT faces_embedding_check");
  PgRawExec(db.conninfo(), "UPDATE faces SET embedding = '\\x00' WHERE face_id = '" +
                               faces[1500].face_id + "'");
  int visited = 0;
  const Status broken = (*store)->ForEachFace("c", [&](const FaceRecord&) { ++visited; });
  EXPECT_EQ(broken.code(), StatusCode::kCorruption) << broken.ToString();
  EXPECT_NE(broken.message().find(faces[1500].face_id), std::string::npos) << broken.ToString();
  EXPECT_EQ(visited, 1500);

  auto listed = (*store)->ListFaces("c", "", 10, true);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->size(), 10u);
  PgRawExec(db.conninfo(), "DELETE FROM faces WHERE face_id = '" + faces[1500].face_id + "'");
  visited = 0;
  const Status whole = (*store)->ForEachFace("c", [&](const FaceRecord&) { ++visited; });
  EXPECT_TRUE(whole.ok()) << whole.ToString();
  EXPECT_EQ(visited, 2999);
}

// A PostgreSQL database of a newer schema version is refused, unchanged; so
// is one with Candor's tables but no version.
TEST(PostgresStoreFileTest, RefusesNewerAndForeignSchemas) {
  PgTestDatabase db;
  std::string error;
  ASSERT_TRUE(db.Create(&error)) << error;
  {
    auto store = OpenPostgresStore(db.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->CreateCollection(MakeCollection("c")).ok());
  }
  PgRawExec(db.conninfo(), "UPDATE candor_schema_version SET version = 99");
  auto newer = OpenPostgresStore(db.conninfo());
  EXPECT_EQ(newer.status().code(), StatusCode::kUnsupported) << newer.status().ToString();
  EXPECT_NE(newer.status().message().find("99"), std::string::npos);
  EXPECT_EQ(PgRawInt(db.conninfo(), "SELECT count(*) FROM collections"), 1);

  PgRawExec(db.conninfo(), "DROP TABLE candor_schema_version");
  auto foreign = OpenPostgresStore(db.conninfo());
  EXPECT_EQ(foreign.status().code(), StatusCode::kCorruption) << foreign.status().ToString();

  // Only UTF-8 databases (a LATIN1 one would convert the store's text).
  PgTestDatabase latin1;
  ASSERT_TRUE(
      latin1.Create(&error, "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"))
      << error;
  auto converting = OpenPostgresStore(latin1.conninfo());
  EXPECT_EQ(converting.status().code(), StatusCode::kUnsupported)
      << converting.status().ToString();

  EXPECT_EQ(OpenPostgresStore("postgresql://[nonsense").status().code(),
            StatusCode::kInvalidArgument);
  // Nothing listens on port 1: a retryable error.
  EXPECT_EQ(OpenPostgresStore("host=127.0.0.1 port=1 connect_timeout=2").status().code(),
            StatusCode::kThrottling);
}

}  // namespace
}  // namespace candor::store
