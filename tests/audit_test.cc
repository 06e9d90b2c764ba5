// Tests of the audit log (src/audit/audit_log.h): the hash chain and what
// Append assigns, queries with filters and pagination, reopening, checkpoints
// by count, by time and on close, group commit from many threads, refusal of
// foreign files and wrong keys, and tampering: each test closes the log,
// changes its file directly with SQLite (as someone with access to the disk
// would), and checks that Verify reports it at the right seq.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "store/store.h"
#include "test_support.h"

namespace candor::audit {
namespace {

using candor::testing::TempDir;
namespace fs = std::filesystem;

AuditOptions OptionsIn(const TempDir& dir, int checkpoint_every = 1000) {
  AuditOptions options;
  options.path = dir.path() + "/audit.db";
  options.key_path = dir.path() + "/audit-signing.key";
  options.checkpoint_every = checkpoint_every;
  options.checkpoint_seconds = 3600;
  return options;
}

AuditOptions ReadOnly(AuditOptions options) {
  options.read_only = true;
  return options;
}

// A search as the server records it; i varies principal, collection,
// operation and time.
AuditEvent MakeEvent(int i) {
  AuditEvent e;
  e.time_ms = 1'700'000'000'000 + i * 10;
  e.principal = "analyst-" + std::to_string(i % 3);
  e.source = "10.0.0." + std::to_string(i % 250);
  e.request_id = "req-" + std::to_string(i);
  e.operation = i % 2 == 0 ? "SearchFacesByImage" : "IndexFaces";
  e.collection_id = "collection-" + std::to_string(i % 2 == 0 ? 0 : i % 4);
  e.purpose = "border control";
  e.reason = "case 2026-" + std::to_string(i);
  e.threshold_requested = 80.0;
  e.threshold_applied = 90.5;
  e.max_faces = 10;
  e.faces_searched = 1000 + i;
  e.results = {{"FaceMatches", {{{"FaceId", "f-" + std::to_string(i)}, {"Similarity", 99.25}}}}};
  e.outcome = "ok";
  return e;
}

std::unique_ptr<AuditLog> OpenOrDie(const AuditOptions& options) {
  StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(*log) : nullptr;
}

void AppendEvents(AuditLog& log, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    AuditEvent e = MakeEvent(i);
    ASSERT_TRUE(log.Append(e).ok());
  }
}

// Changes the closed log's file directly; `params` are bound to ?1, ?2, ...
void Tamper(const std::string& path, const std::string& sql,
            const std::vector<std::string>& params = {}) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  if (params.empty()) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  } else {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    for (size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
}

std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

std::string Problems(const VerifyReport& report) {
  std::string all;
  for (const std::string& p : report.problems) all += "  " + p + "\n";
  return all;
}

// Whether a problem starts with `prefix` and contains `text`.
bool HasProblem(const VerifyReport& report, const std::string& prefix,
                const std::string& text = "") {
  return std::any_of(report.problems.begin(), report.problems.end(), [&](const std::string& p) {
    return p.rfind(prefix, 0) == 0 && p.find(text) != std::string::npos;
  });
}

TEST(AuditLogTest, AppendAssignsSeqTimeAndChain) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  ASSERT_NE(log, nullptr);
  std::vector<AuditEvent> events;
  for (int i = 0; i < 3; ++i) {
    AuditEvent e = MakeEvent(i);
    if (i == 1) e.time_ms = 0;
    const int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    ASSERT_TRUE(log->Append(e).ok());
    if (i == 1) {
      EXPECT_GE(e.time_ms, before);
    }
    events.push_back(e);
  }
  EXPECT_EQ(events[0].time_ms, MakeEvent(0).time_ms);  // a given time is kept
  EXPECT_EQ(events[0].prev_hash, kGenesisHash);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].hash, ChainHash(events[i].prev_hash, CanonicalJson(events[i])));
    EXPECT_EQ(events[i].hash.size(), 64u);
    if (i > 0) {
      EXPECT_EQ(events[i].prev_hash, events[i - 1].hash);
    }
  }
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->records, 3);
  EXPECT_EQ(report->last_seq, 3);
  EXPECT_NE(log->public_key_pem().find("BEGIN PUBLIC KEY"), std::string::npos);
}

TEST(AuditLogTest, CanonicalJsonIsSortedWithoutHash) {
  AuditEvent e = MakeEvent(1);
  e.seq = 7;
  e.prev_hash = std::string(kGenesisHash);
  e.hash = "not part of it";
  e.max_faces.reset();
  const std::string json = CanonicalJson(e);
  EXPECT_EQ(json.find("\"hash\""), std::string::npos);
  EXPECT_NE(json.find("\"max_faces\":null"), std::string::npos);
  EXPECT_NE(json.find("\"seq\":7"), std::string::npos);
  EXPECT_EQ(json.find(' '), json.find("border control") + 6);  // no whitespace of its own
  EXPECT_LT(json.find("\"collection_id\""), json.find("\"faces_searched\""));
  EXPECT_LT(json.find("\"faces_searched\""), json.find("\"time_ms\""));
  EXPECT_EQ(ToJson(e)["hash"], "not part of it");
  EXPECT_EQ(ToJson(e).dump(), [&] {
    nlohmann::json j = nlohmann::json::parse(json);
    j["hash"] = e.hash;
    return j.dump();
  }());
}

TEST(AuditLogTest, QueryFiltersAndPaginates) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  ASSERT_NE(log, nullptr);
  std::vector<AuditEvent> appended;
  for (int i = 0; i < 25; ++i) {
    AuditEvent e = MakeEvent(i);
    ASSERT_TRUE(log->Append(e).ok());
    appended.push_back(e);
  }

  // Every record, 10 per page, in seq order and as appended.
  std::vector<AuditEvent> all;
  AuditQuery query;
  query.max_results = 10;
  int pages = 0;
  do {
    StatusOr<AuditPage> page = log->Query(query);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    all.insert(all.end(), page->events.begin(), page->events.end());
    query.next_token = page->next_token;
  } while (!query.next_token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), appended.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(ToJson(all[i]), ToJson(appended[i])) << "record " << i + 1;
  }

  auto seqs = [&](AuditQuery q) {
    std::vector<int64_t> out;
    StatusOr<AuditPage> page = log->Query(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const AuditEvent& e : page->events) out.push_back(e.seq);
    }
    return out;
  };
  AuditQuery by_principal;
  by_principal.principal = "analyst-1";
  EXPECT_EQ(seqs(by_principal), (std::vector<int64_t>{2, 5, 8, 11, 14, 17, 20, 23}));
  AuditQuery by_operation;
  by_operation.operation = "IndexFaces";
  EXPECT_EQ(seqs(by_operation).size(), 12u);
  AuditQuery by_collection;
  by_collection.collection_id = "collection-3";
  EXPECT_EQ(seqs(by_collection), (std::vector<int64_t>{4, 8, 12, 16, 20, 24}));
  AuditQuery by_time;  // times 1.7e12 + 10 * (seq - 1)
  by_time.from_ms = 1'700'000'000'050;
  by_time.to_ms = 1'700'000'000'100;
  EXPECT_EQ(seqs(by_time), (std::vector<int64_t>{6, 7, 8, 9, 10}));
  AuditQuery window = by_time;  // a window with a filter, paged
  window.principal = "analyst-2";
  window.max_results = 1;
  std::vector<int64_t> in_window;
  do {
    StatusOr<AuditPage> page = log->Query(window);
    ASSERT_TRUE(page.ok());
    for (const AuditEvent& e : page->events) in_window.push_back(e.seq);
    window.next_token = page->next_token;
  } while (!window.next_token.empty());
  EXPECT_EQ(in_window, (std::vector<int64_t>{6, 9}));
  AuditQuery future;
  future.from_ms = 1'800'000'000'000;
  EXPECT_TRUE(seqs(future).empty());
  AuditQuery combined = by_collection;
  combined.principal = "analyst-1";
  combined.operation = "IndexFaces";
  EXPECT_EQ(seqs(combined), (std::vector<int64_t>{8, 20}));
  AuditQuery nothing;
  nothing.principal = "nobody";
  StatusOr<AuditPage> empty = log->Query(nothing);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->events.empty());
  EXPECT_TRUE(empty->next_token.empty());

  // A filtered query pages too; its token is refused with other filters.
  AuditQuery filtered = by_principal;
  filtered.max_results = 3;
  StatusOr<AuditPage> first = log->Query(filtered);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_token.empty());
  filtered.next_token = first->next_token;
  EXPECT_EQ(seqs(filtered), (std::vector<int64_t>{11, 14, 17}));
  AuditQuery other = by_operation;
  other.next_token = first->next_token;
  EXPECT_EQ(log->Query(other).status().code(), StatusCode::kInvalidPaginationToken);

  for (const std::string token : {"garbage!", "bm90IGEgdG9rZW4=", "MTIz", "", "=", "AAAA"}) {
    if (token.empty()) continue;
    AuditQuery bad;
    bad.next_token = token;
    EXPECT_EQ(log->Query(bad).status().code(), StatusCode::kInvalidPaginationToken) << token;
  }
  for (const int max : {0, -1, 1001}) {
    AuditQuery bad;
    bad.max_results = max;
    EXPECT_EQ(log->Query(bad).status().code(), StatusCode::kInvalidArgument) << max;
  }
  AuditQuery backwards;
  backwards.from_ms = 10;
  backwards.to_ms = 5;
  EXPECT_EQ(log->Query(backwards).status().code(), StatusCode::kInvalidArgument);
}

TEST(AuditLogTest, ReopenContinuesTheChain) {
  TempDir dir;
  std::string last_hash;
  {
    auto log = OpenOrDie(OptionsIn(dir));
    ASSERT_NE(log, nullptr);
    AppendEvents(*log, 0, 5);
    StatusOr<AuditPage> page = log->Query({});
    ASSERT_TRUE(page.ok());
    last_hash = page->events.back().hash;
  }
  struct stat st;
  ASSERT_EQ(::stat(OptionsIn(dir).key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    auto log = OpenOrDie(OptionsIn(dir));
    ASSERT_NE(log, nullptr);
    AuditEvent e = MakeEvent(5);
    ASSERT_TRUE(log->Append(e).ok());
    EXPECT_EQ(e.seq, 6);
    EXPECT_EQ(e.prev_hash, last_hash);
    AppendEvents(*log, 6, 4);
  }
  auto log = OpenOrDie(ReadOnly(OptionsIn(dir)));
  ASSERT_NE(log, nullptr);
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->records, 10);
  EXPECT_EQ(report->checkpoints, 2);  // one on each close
  EXPECT_EQ(report->last_checkpoint_seq, 10);
}

TEST(AuditLogTest, CheckpointsByCountAndOnClose) {
  TempDir dir;
  {
    auto log = OpenOrDie(OptionsIn(dir, 10));
    ASSERT_NE(log, nullptr);
    AppendEvents(*log, 0, 25);
    StatusOr<VerifyReport> report = log->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << Problems(*report);
    EXPECT_EQ(report->checkpoints, 2);
    EXPECT_EQ(report->last_checkpoint_seq, 20);
    ASSERT_TRUE(log->Checkpoint().ok());
    ASSERT_TRUE(log->Checkpoint().ok());  // nothing new: no second one
    report = log->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->checkpoints, 3);
    EXPECT_EQ(report->last_checkpoint_seq, 25);
    AppendEvents(*log, 25, 2);
  }
  auto log = OpenOrDie(ReadOnly(OptionsIn(dir)));
  ASSERT_NE(log, nullptr);
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->checkpoints, 4);
  EXPECT_EQ(report->last_checkpoint_seq, 27);
}

TEST(AuditLogTest, CheckpointBySeconds) {
  TempDir dir;
  AuditOptions options = OptionsIn(dir);
  options.checkpoint_seconds = 1;
  auto log = OpenOrDie(options);
  ASSERT_NE(log, nullptr);
  AppendEvents(*log, 0, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  AppendEvents(*log, 1, 1);
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->checkpoints, 1);
  EXPECT_EQ(report->last_checkpoint_seq, 2);
  AppendEvents(*log, 2, 1);  // not yet a second later
  report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->last_checkpoint_seq, 2);
}

TEST(AuditLogTest, ConcurrentAppendsAreGroupCommittedInOrder) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir, 100));
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEvent e = MakeEvent(t * kPerThread + i);
        e.principal = "thread-" + std::to_string(t);
        if (log->Append(e).ok()) {
          seqs[t].push_back(e.seq);
        } else {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    // One thread's appends are committed in the order it made them.
    EXPECT_TRUE(std::is_sorted(seqs[t].begin(), seqs[t].end()));
    all.insert(all.end(), seqs[t].begin(), seqs[t].end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int64_t>(i + 1));
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->records, kThreads * kPerThread);
  EXPECT_EQ(report->last_checkpoint_seq, 1600);
  AuditQuery mine;
  mine.principal = "thread-3";
  mine.max_results = 1000;
  StatusOr<AuditPage> page = log->Query(mine);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), static_cast<size_t>(kPerThread));
}

TEST(AuditLogTest, ReadOnlyBesideAWriter) {
  TempDir dir;
  auto writer = OpenOrDie(OptionsIn(dir));
  ASSERT_NE(writer, nullptr);
  AppendEvents(*writer, 0, 3);
  auto reader = OpenOrDie(ReadOnly(OptionsIn(dir)));
  ASSERT_NE(reader, nullptr);
  AppendEvents(*writer, 3, 2);
  StatusOr<VerifyReport> report = reader->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->records, 5);
  StatusOr<AuditPage> page = reader->Query({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 5u);
  AuditEvent e = MakeEvent(9);
  EXPECT_EQ(reader->Append(e).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(reader->Checkpoint().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(reader->public_key_pem(), writer->public_key_pem());

  // Without a key file, checked against the key in the log itself.
  AuditOptions no_key = ReadOnly(OptionsIn(dir));
  no_key.key_path.clear();
  auto own = OpenOrDie(no_key);
  ASSERT_NE(own, nullptr);
  report = own->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
}

TEST(AuditLogTest, RefusesForeignFilesAndWrongKeys) {
  TempDir dir;
  AuditOptions options = OptionsIn(dir);
  EXPECT_EQ(AuditLog::Open(ReadOnly(options)).status().code(), StatusCode::kNotFound);
  {
    std::ofstream(options.path) << "this is not a database, and it is long enough to have a"
                                   " header of a hundred bytes if it were one of SQLite's files";
  }
  EXPECT_EQ(AuditLog::Open(options).status().code(), StatusCode::kCorruption);
  fs::remove(options.path);

  // The store's database is not an audit log.
  {
    StatusOr<std::unique_ptr<store::Store>> store = store::Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  AuditOptions store_file = options;
  store_file.path = dir.path() + "/candor.db";
  EXPECT_EQ(AuditLog::Open(store_file).status().code(), StatusCode::kCorruption);

  for (const auto& [every, seconds] : {std::pair{0, 60}, std::pair{10, 0}}) {
    AuditOptions bad = options;
    bad.checkpoint_every = every;
    bad.checkpoint_seconds = seconds;
    EXPECT_EQ(AuditLog::Open(bad).status().code(), StatusCode::kInvalidArgument);
  }

  { ASSERT_NE(OpenOrDie(options), nullptr); }
  // An existing log never gets a new key.
  const std::string key = candor::testing::ReadFile(options.key_path);
  fs::remove(options.key_path);
  EXPECT_EQ(AuditLog::Open(options).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(options.key_path));
  // Another log's key.
  TempDir other;
  { ASSERT_NE(OpenOrDie(OptionsIn(other)), nullptr); }
  fs::copy_file(OptionsIn(other).key_path, options.key_path);
  EXPECT_EQ(AuditLog::Open(options).status().code(), StatusCode::kPermissionDenied);
  // Not a key at all.
  { std::ofstream(options.key_path, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nxx\n"; }
  EXPECT_EQ(AuditLog::Open(options).status().code(), StatusCode::kInvalidArgument);
  { std::ofstream(options.key_path, std::ios::trunc) << key; }
  EXPECT_NE(OpenOrDie(options), nullptr);
}

TEST(AuditLogTest, InvalidEventFailsAloneAndLeavesTheChain) {
  TempDir dir;
  auto log = OpenOrDie(OptionsIn(dir));
  ASSERT_NE(log, nullptr);
  AppendEvents(*log, 0, 2);
  AuditEvent bad = MakeEvent(2);
  bad.principal = "\xff\xfe not UTF-8";
  EXPECT_EQ(log->Append(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.seq, 0);
  AuditEvent nan = MakeEvent(2);
  nan.threshold_applied = std::nan("");
  EXPECT_EQ(log->Append(nan).code(), StatusCode::kInvalidArgument);
  AuditEvent good = MakeEvent(3);
  ASSERT_TRUE(log->Append(good).ok());
  EXPECT_EQ(good.seq, 3);
  StatusOr<VerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
}

// A closed log of 25 records with checkpoints at 10, 20 and 25 (on close).
class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = OpenOrDie(OptionsIn(dir_, 10));
    ASSERT_NE(log, nullptr);
    AppendEvents(*log, 0, 25);
  }

  const std::string& path() const { return options_.path; }

  VerifyReport Verify() {
    StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(ReadOnly(options_));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (!log.ok()) return {};
    StatusOr<VerifyReport> report = (*log)->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return {};
    EXPECT_FALSE(report->ok);
    EXPECT_EQ(report->ok, report->problems.empty());
    return *report;
  }

  TempDir dir_;
  AuditOptions options_ = OptionsIn(dir_, 10);
};

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(ReadOnly(options_));
  ASSERT_TRUE(log.ok());
  StatusOr<VerifyReport> report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << Problems(*report);
  EXPECT_EQ(report->records, 25);
  EXPECT_EQ(report->checkpoints, 3);
  EXPECT_EQ(report->last_checkpoint_seq, 25);
}

TEST_F(AuditTamperTest, EditedIndexColumn) {
  Tamper(path(), "UPDATE events SET principal = 'someone-else' WHERE seq = 7");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 7:", "column principal 'someone-else'"))
      << Problems(report);
  EXPECT_EQ(report.problems.size(), 1u) << Problems(report);
}

TEST_F(AuditTamperTest, EditedJson) {
  Tamper(path(),
         "UPDATE events SET event_json = replace(event_json, '\"ok\"', '\"denied\"')"
         " WHERE seq = 8");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 8:", "hash does not match its contents"))
      << Problems(report);
  EXPECT_EQ(report.problems.size(), 1u) << Problems(report);
}

TEST_F(AuditTamperTest, EditedJsonWithItsHashRecomputed) {
  const std::string prev = QueryText(path(), "SELECT prev_hash FROM events WHERE seq = 9");
  std::string json = QueryText(path(), "SELECT event_json FROM events WHERE seq = 9");
  const size_t at = json.find("\"ok\"");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 4, "\"no\"");
  Tamper(path(), "UPDATE events SET event_json = ?1, hash = ?2 WHERE seq = 9",
         {json, ChainHash(prev, json)});
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 10:", "prev_hash is not the hash of record 9"))
      << Problems(report);
  EXPECT_FALSE(HasProblem(report, "record 9:")) << Problems(report);
}

// Someone who knows the format edits record 9 and rewrites the chain from
// there on: every record is consistent again, and only the signed
// checkpoints tell.
TEST_F(AuditTamperTest, RewrittenChainIsCaughtByCheckpoints) {
  std::string prev = QueryText(path(), "SELECT hash FROM events WHERE seq = 8");
  for (int seq = 9; seq <= 25; ++seq) {
    const std::string where = " WHERE seq = " + std::to_string(seq);
    nlohmann::json body =
        nlohmann::json::parse(QueryText(path(), "SELECT event_json FROM events" + where));
    if (seq == 9) body["outcome"] = "no";
    body["prev_hash"] = prev;
    const std::string json = body.dump();  // sorted keys, no whitespace: canonical
    const std::string hash = ChainHash(prev, json);
    Tamper(path(), "UPDATE events SET event_json = ?1, prev_hash = ?2, hash = ?3" + where,
           {json, prev, hash});
    prev = hash;
  }
  const VerifyReport report = Verify();
  for (const char* at : {"checkpoint at 10:", "checkpoint at 20:", "checkpoint at 25:"}) {
    EXPECT_TRUE(HasProblem(report, at, "records rewritten")) << Problems(report);
  }
  EXPECT_FALSE(HasProblem(report, "record ")) << Problems(report);
}

TEST_F(AuditTamperTest, DeletedRecord) {
  Tamper(path(), "DELETE FROM events WHERE seq = 12");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 13:", "follows record 11 (record 12 deleted"))
      << Problems(report);
}

TEST_F(AuditTamperTest, InsertedRecord) {
  // Records 15.. move up one place and a forged record, chained correctly to
  // record 14, takes seq 15.
  Tamper(path(),
         "UPDATE events SET seq = seq + 1000 WHERE seq >= 15;"
         " UPDATE events SET seq = seq - 999 WHERE seq >= 1000");
  AuditEvent forged = MakeEvent(100);
  forged.seq = 15;
  forged.prev_hash = QueryText(path(), "SELECT hash FROM events WHERE seq = 14");
  const std::string json = CanonicalJson(forged);
  Tamper(path(),
         "INSERT INTO events (seq, time_ms, principal, operation, collection_id, event_json,"
         " prev_hash, hash) VALUES (15, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
         {std::to_string(forged.time_ms), forged.principal, forged.operation, forged.collection_id,
          json, forged.prev_hash, ChainHash(forged.prev_hash, json)});
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 16:", "prev_hash is not the hash of record 15"))
      << Problems(report);
  EXPECT_TRUE(HasProblem(report, "record 16:", "its JSON says seq 15")) << Problems(report);
  EXPECT_FALSE(HasProblem(report, "record 15:")) << Problems(report);
}

TEST_F(AuditTamperTest, SwappedRecords) {
  Tamper(path(),
         "UPDATE events SET seq = -5 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 6;"
         " UPDATE events SET seq = 6 WHERE seq = -5");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 5:", "its JSON says seq 6")) << Problems(report);
  EXPECT_TRUE(HasProblem(report, "record 6:", "its JSON says seq 5")) << Problems(report);
}

TEST_F(AuditTamperTest, DeletedTailCoveredByACheckpoint) {
  Tamper(path(), "DELETE FROM events WHERE seq > 15");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "records end at 15 but checkpoint 25 covers more"))
      << Problems(report);
  EXPECT_EQ(report.last_seq, 15);
}

TEST_F(AuditTamperTest, ForgedCheckpointSignature) {
  Tamper(path(),
         "UPDATE checkpoints SET signature = CASE WHEN substr(signature, 1, 1) = '0' THEN '1'"
         " ELSE '0' END || substr(signature, 2) WHERE seq = 20");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "checkpoint at 20:", "bad signature")) << Problems(report);
  EXPECT_EQ(report.problems.size(), 1u) << Problems(report);
}

TEST_F(AuditTamperTest, ReplacedKeyFile) {
  TempDir other;
  { ASSERT_NE(OpenOrDie(OptionsIn(other)), nullptr); }
  fs::copy_file(OptionsIn(other).key_path, options_.key_path, fs::copy_options::overwrite_existing);
  EXPECT_EQ(AuditLog::Open(options_).status().code(), StatusCode::kPermissionDenied);
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "the log's public key is not the key of")) << Problems(report);
  for (const char* at : {"checkpoint at 10:", "checkpoint at 20:", "checkpoint at 25:"}) {
    EXPECT_TRUE(HasProblem(report, at, "bad signature")) << Problems(report);
  }
}

TEST_F(AuditTamperTest, RewrittenPublicKeyInTheLog) {
  TempDir other;
  std::string other_pem;
  {
    auto log = OpenOrDie(OptionsIn(other));
    ASSERT_NE(log, nullptr);
    other_pem = log->public_key_pem();
  }
  Tamper(path(), "UPDATE meta SET public_key_pem = ?1", {other_pem});
  EXPECT_EQ(AuditLog::Open(options_).status().code(), StatusCode::kPermissionDenied);
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "the log's public key is not the key of")) << Problems(report);
}

TEST_F(AuditTamperTest, UnreadableJson) {
  Tamper(path(), "UPDATE events SET event_json = 'not json' WHERE seq = 3");
  const VerifyReport report = Verify();
  EXPECT_TRUE(HasProblem(report, "record 3:", "cannot be parsed")) << Problems(report);
  // A query that meets it says so instead of returning a made-up record.
  StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(ReadOnly(options_));
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->Query({}).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace candor::audit
