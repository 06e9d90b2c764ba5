// Tests of the audit log in PostgreSQL (AuditOptions::store_uri,
// src/audit/pg_audit_log.cc): three logs, as three nodes would hold (in one
// process, then in three), append from several threads each to one database
// and form one chain (no fork, no gap); each checkpoint is signed by its node's key and checked against
// trusted keys; tampering with the tables directly (as someone with write
// access to the database would) is reported with the seq; bad queries are
// typed errors; a lost connection fails an append with a retryable status
// and the next append reconnects; a foreign or newer schema is refused.
// Each test has a database of its own on the test server
// (tests/pg_test_support.h).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "pg_test_support.h"
#include "test_support.h"

namespace candor::audit {
namespace {

using candor::testing::TempDir;
using store::test_support::PgRawExec;
using store::test_support::PgRawInt;
using store::test_support::PgTestDatabase;

AuditEvent MakeEvent(int node, int i) {
  AuditEvent e;
  e.principal = "node-" + std::to_string(node);
  e.source = "10.0.0." + std::to_string(node);
  e.request_id = "req-" + std::to_string(node) + "-" + std::to_string(i);
  e.operation = i % 2 == 0 ? "SearchFacesByImage" : "IndexFaces";
  e.collection_id = "people";
  e.threshold_requested = 80.0;
  e.faces_searched = i;
  e.results = {{"FaceIds", {"f-" + std::to_string(i)}}};
  e.outcome = "ok";
  return e;
}

std::string Problems(const VerifyReport& report) {
  std::string all;
  for (const std::string& p : report.problems) all += "  " + p + "\n";
  return all;
}

bool HasProblem(const VerifyReport& report, const std::string& prefix,
                const std::string& text = "") {
  return std::any_of(report.problems.begin(), report.problems.end(), [&](const std::string& p) {
    return p.rfind(prefix, 0) == 0 && p.find(text) != std::string::npos;
  });
}

class AuditPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
  }

  // Node `node`'s options: the database and a key file of its own.
  AuditOptions NodeOptions(int node, int checkpoint_every = 1000) const {
    AuditOptions options;
    options.store_uri = db_.conninfo();
    options.key_path = dir_.path() + "/node-" + std::to_string(node) + ".key";
    options.checkpoint_every = checkpoint_every;
    options.checkpoint_seconds = 3600;
    return options;
  }

  AuditOptions Verifier(std::vector<std::string> trusted = {}) const {
    AuditOptions options;
    options.store_uri = db_.conninfo();
    options.read_only = true;
    options.trusted_key_paths = std::move(trusted);
    return options;
  }

  static std::unique_ptr<AuditLog> OpenOrDie(const AuditOptions& options) {
    StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  VerifyReport VerifyNow(const AuditOptions& options) {
    std::unique_ptr<AuditLog> log = OpenOrDie(options);
    if (log == nullptr) return {};
    StatusOr<VerifyReport> report = log->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }

  // A log of `count` records by node 0, checkpointed every `every`, closed.
  void WriteLog(int count, int every) {
    std::unique_ptr<AuditLog> log = OpenOrDie(NodeOptions(0, every));
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < count; ++i) {
      AuditEvent e = MakeEvent(0, i);
      ASSERT_TRUE(log->Append(e).ok());
    }
  }

  void Tamper(const std::string& sql) { PgRawExec(db_.conninfo(), sql); }

  TempDir dir_;
  PgTestDatabase db_;
};

TEST_F(AuditPgTest, ThreeNodesAppendingConcurrentlyFormOneChain) {
  constexpr int kNodes = 3, kThreads = 4, kPerThread = 50;  // 3 x 200 records
  std::vector<std::unique_ptr<AuditLog>> nodes;
  for (int n = 0; n < kNodes; ++n) {
    nodes.push_back(OpenOrDie(NodeOptions(n, /*checkpoint_every=*/50)));
    ASSERT_NE(nodes.back(), nullptr);
  }
  std::vector<std::thread> threads;
  std::vector<std::vector<AuditEvent>> appended(kNodes * kThreads);
  for (int n = 0; n < kNodes; ++n) {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, n, t] {
        for (int i = 0; i < kPerThread; ++i) {
          AuditEvent e = MakeEvent(n, t * kPerThread + i);
          const Status s = nodes[n]->Append(e);
          EXPECT_TRUE(s.ok()) << s.ToString();
          appended[n * kThreads + t].push_back(e);
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();

  // What Append assigned: every seq once, 1..600.
  std::set<int64_t> seqs;
  for (const auto& list : appended) {
    for (const AuditEvent& e : list) seqs.insert(e.seq);
  }
  ASSERT_EQ(seqs.size(), 600u);
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 600);

  nodes.clear();  // each closes with a checkpoint (nothing left to sign after the first)
  const VerifyReport report = VerifyNow(Verifier({NodeOptions(0).key_path,
                                                  NodeOptions(1).key_path,
                                                  NodeOptions(2).key_path}));
  EXPECT_TRUE(report.ok) << Problems(report);
  EXPECT_EQ(report.records, 600);
  EXPECT_EQ(report.last_seq, 600);
  EXPECT_EQ(report.last_checkpoint_seq, 600);
  EXPECT_EQ(report.checkpoints, 12);  // every 50 records of the chain
  EXPECT_GE(report.signers.size(), 1u);

  // The stored chain, read back page by page: dense and linked, 200 per node.
  std::unique_ptr<AuditLog> reader = OpenOrDie(Verifier());
  ASSERT_NE(reader, nullptr);
  AuditQuery q;
  q.max_results = 70;
  std::vector<AuditEvent> all;
  for (;;) {
    StatusOr<AuditPage> page = reader->Query(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    all.insert(all.end(), page->events.begin(), page->events.end());
    if (page->next_token.empty()) break;
    q.next_token = page->next_token;
  }
  ASSERT_EQ(all.size(), 600u);
  std::string prev(kGenesisHash);
  int per_node[kNodes] = {};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, prev) << "seq " << all[i].seq;
    EXPECT_EQ(all[i].hash, ChainHash(prev, CanonicalJson(all[i])));
    prev = all[i].hash;
    ++per_node[all[i].principal.back() - '0'];
  }
  EXPECT_EQ(per_node[0], 200);
  EXPECT_EQ(per_node[1], 200);
  EXPECT_EQ(per_node[2], 200);

  // A verifier that trusts only nodes 0 and 1 names every checkpoint node 2
  // signed (there is at least one: node 2 appended a third of the records).
  const VerifyReport partial =
      VerifyNow(Verifier({NodeOptions(0).key_path, NodeOptions(1).key_path}));
  const int64_t by_node2 = PgRawInt(
      db_.conninfo(), "SELECT count(*) FROM audit_checkpoints WHERE signer_public_key_pem = '" +
                          OpenOrDie(NodeOptions(2))->public_key_pem() + "'");
  if (by_node2 > 0) {
    EXPECT_FALSE(partial.ok);
    EXPECT_TRUE(HasProblem(partial, "checkpoint at ", "not among the trusted keys"))
        << Problems(partial);
  } else {
    EXPECT_TRUE(partial.ok) << Problems(partial);
  }
}

// The same across processes, as `candor serve` nodes are: three children,
// each with its own log and two threads, 3 x 100 records.
TEST_F(AuditPgTest, ThreeProcessesAppendingFormOneChain) {
  constexpr int kNodes = 3, kThreads = 2, kPerThread = 50;
  std::vector<pid_t> children;
  for (int n = 0; n < kNodes; ++n) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(NodeOptions(n, 25));
      if (!log.ok()) ::_exit(2);
      std::atomic<int> failed{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPerThread; ++i) {
            AuditEvent e = MakeEvent(n, t * kPerThread + i);
            if (!(*log)->Append(e).ok()) ++failed;
          }
        });
      }
      for (std::thread& t : threads) t.join();
      log->reset();
      ::_exit(failed == 0 ? 0 : 3);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  const VerifyReport report = VerifyNow(Verifier({NodeOptions(0).key_path,
                                                  NodeOptions(1).key_path,
                                                  NodeOptions(2).key_path}));
  EXPECT_TRUE(report.ok) << Problems(report);  // no gap, no fork: each record follows the last
  EXPECT_EQ(report.records, 300);
  EXPECT_EQ(report.last_seq, 300);
  EXPECT_EQ(report.last_checkpoint_seq, 300);
  for (int n = 0; n < kNodes; ++n) {
    EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM audit_events WHERE principal = 'node-" +
                                           std::to_string(n) + "'"),
              kThreads * kPerThread);
  }
}

TEST_F(AuditPgTest, UntouchedLogVerifiesWithoutTrustedKeys) {
  WriteLog(30, 10);
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_TRUE(report.ok) << Problems(report);
  EXPECT_EQ(report.records, 30);
  EXPECT_EQ(report.checkpoints, 3);
  EXPECT_EQ(report.signers.size(), 1u);
}

TEST_F(AuditPgTest, EditedJsonIsReportedAtItsSeq) {
  WriteLog(30, 10);
  Tamper("UPDATE audit_events SET event_json = replace(event_json, 'node-0', 'node-9')"
         " WHERE seq = 17");
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(HasProblem(report, "record 17: ", "does not match its contents")) << Problems(report);
}

TEST_F(AuditPgTest, DeletedMiddleRecordIsReported) {
  WriteLog(30, 10);
  Tamper("DELETE FROM audit_events WHERE seq = 12");
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(HasProblem(report, "record 13: ", "follows record 11 (record 12 deleted"))
      << Problems(report);
}

TEST_F(AuditPgTest, DeletedTailAfterACheckpointIsReported) {
  WriteLog(30, 10);
  Tamper("DELETE FROM audit_events WHERE seq > 24");
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(HasProblem(report, "records end at 24 but checkpoint 30", "tail deleted"))
      << Problems(report);
}

TEST_F(AuditPgTest, SwappedRecordsAreReported) {
  WriteLog(30, 10);
  // Rows 8 and 9 change places (their seqs swapped, through a free seq).
  Tamper("BEGIN; UPDATE audit_events SET seq = 1000 WHERE seq = 8;"
         " UPDATE audit_events SET seq = 8 WHERE seq = 9;"
         " UPDATE audit_events SET seq = 9 WHERE seq = 1000; COMMIT");
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(HasProblem(report, "record 8: ")) << Problems(report);
  EXPECT_TRUE(HasProblem(report, "record 9: ")) << Problems(report);
}

TEST_F(AuditPgTest, ForgedSignatureAndUnreadableSignerAreReported) {
  WriteLog(30, 10);
  Tamper("UPDATE audit_checkpoints SET time_ms = time_ms + 1 WHERE seq = 20;"
         " UPDATE audit_checkpoints SET signer_public_key_pem = 'not a key' WHERE seq = 30");
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_TRUE(HasProblem(report, "checkpoint at 20: bad signature")) << Problems(report);
  EXPECT_TRUE(HasProblem(report, "checkpoint at 30: ", "cannot be read")) << Problems(report);
  EXPECT_FALSE(HasProblem(report, "checkpoint at 10")) << Problems(report);
}

// Someone with write access rewrites a record, recomputes the chain from it
// and signs new checkpoints with a key of theirs: without trusted keys the
// log verifies (what the README says such a check proves), with the node's
// key as trusted the forged checkpoints are named.
TEST_F(AuditPgTest, RewrittenChainResignedWithAnotherKeyNeedsTrustedKeys) {
  WriteLog(20, 10);
  {
    std::unique_ptr<AuditLog> reader = OpenOrDie(Verifier());
    AuditQuery q;
    q.max_results = 100;
    StatusOr<AuditPage> page = reader->Query(q);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->events.size(), 20u);
    Tamper("DELETE FROM audit_events; DELETE FROM audit_checkpoints");
    // The forger's log: the same records, record 5 changed, chained and
    // signed with a key of theirs.
    AuditOptions forger = NodeOptions(9, 10);
    std::unique_ptr<AuditLog> log = OpenOrDie(forger);
    for (AuditEvent e : page->events) {
      if (e.seq == 5) e.results = {{"FaceIds", nlohmann::json::array()}};
      e.seq = 0;
      ASSERT_TRUE(log->Append(e).ok());
    }
  }
  EXPECT_TRUE(VerifyNow(Verifier()).ok);
  const VerifyReport trusted = VerifyNow(Verifier({NodeOptions(0).key_path}));
  EXPECT_FALSE(trusted.ok);
  EXPECT_TRUE(HasProblem(trusted, "checkpoint at 10: ", "not among the trusted keys"))
      << Problems(trusted);
  EXPECT_TRUE(HasProblem(trusted, "checkpoint at 20: ", "not among the trusted keys"))
      << Problems(trusted);
}

TEST_F(AuditPgTest, QueriesFilterAndRefuseBadInput) {
  WriteLog(10, 100);
  std::unique_ptr<AuditLog> reader = OpenOrDie(Verifier());
  ASSERT_NE(reader, nullptr);
  AuditQuery q;
  q.operation = "IndexFaces";
  q.max_results = 3;
  StatusOr<AuditPage> page = reader->Query(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[0].seq, 2);
  EXPECT_EQ(page->events[2].seq, 6);
  ASSERT_FALSE(page->next_token.empty());

  AuditQuery other = q;  // the token with other filters
  other.operation = "SearchFacesByImage";
  other.next_token = page->next_token;
  EXPECT_EQ(reader->Query(other).status().code(), StatusCode::kInvalidPaginationToken);
  for (const std::string token : {"!!!", "MTIz", "LTEuMA==", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OS4="}) {
    AuditQuery bad = q;
    bad.next_token = token;
    EXPECT_EQ(reader->Query(bad).status().code(), StatusCode::kInvalidPaginationToken) << token;
  }
  AuditQuery too_many = q;
  too_many.max_results = 1001;
  EXPECT_EQ(reader->Query(too_many).status().code(), StatusCode::kInvalidArgument);
  AuditQuery backwards;
  backwards.from_ms = 10;
  backwards.to_ms = 5;
  EXPECT_EQ(reader->Query(backwards).status().code(), StatusCode::kInvalidArgument);
  AuditQuery nul;
  nul.principal = std::string("node-0\0x", 8);
  StatusOr<AuditPage> none = reader->Query(nul);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->events.empty());

  // A read-only log refuses writes; a NaN threshold and a NUL in a column
  // are refused for that event alone, and nothing is written.
  AuditEvent e = MakeEvent(0, 99);
  EXPECT_EQ(reader->Append(e).code(), StatusCode::kPermissionDenied);
  std::unique_ptr<AuditLog> writer = OpenOrDie(NodeOptions(0, 100));
  e.threshold_applied = std::nan("");
  EXPECT_EQ(writer->Append(e).code(), StatusCode::kInvalidArgument);
  AuditEvent with_nul = MakeEvent(0, 98);
  with_nul.collection_id = std::string("a\0b", 3);
  EXPECT_EQ(writer->Append(with_nul).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM audit_events"), 10);
  AuditEvent fine = MakeEvent(0, 97);
  ASSERT_TRUE(writer->Append(fine).ok());
  EXPECT_EQ(fine.seq, 11);

  // A time range: records 12..16 at 1..5 s after the epoch (older than the
  // rest, as a node with a slow clock would write them), pages of one.
  for (int i = 1; i <= 5; ++i) {
    AuditEvent old = MakeEvent(1, i);
    old.time_ms = i * 1000;
    ASSERT_TRUE(writer->Append(old).ok());
  }
  AuditQuery window;
  window.from_ms = 2000;
  window.to_ms = 4001;
  window.max_results = 1;
  std::vector<int64_t> seqs;
  for (;;) {
    StatusOr<AuditPage> p = reader->Query(window);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    for (const AuditEvent& event : p->events) seqs.push_back(event.seq);
    if (p->next_token.empty()) break;
    window.next_token = p->next_token;
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{13, 14, 15}));
}

// PostgreSQL restarting under a node: a connection lost while idle is made
// again at the next append, which succeeds; while the database cannot be
// reached an append fails with Throttling (retryable) and leaves nothing;
// once it can, the next append continues the chain without a gap.
TEST_F(AuditPgTest, LostConnectionFailsRetryablyAndTheNextAppendReconnects) {
  std::unique_ptr<AuditLog> log = OpenOrDie(NodeOptions(0, 1000));
  ASSERT_NE(log, nullptr);
  AuditEvent first = MakeEvent(0, 1);
  ASSERT_TRUE(log->Append(first).ok());
  // (Waiting up to 5 s for each session to end: a restarted server's
  // goodbye has long arrived when the next call comes.)
  const std::string kill_others =
      "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()";
  Tamper(kill_others);
  AuditEvent after_restart = MakeEvent(0, 2);
  const Status reconnected = log->Append(after_restart);
  ASSERT_TRUE(reconnected.ok()) << reconnected.ToString();
  EXPECT_EQ(after_restart.seq, 2);

  // Down: no new session is let in and the sessions end (from the server's
  // own database: a database cannot refuse connections from inside).
  const std::string& conninfo = db_.conninfo();
  const size_t at = conninfo.find("dbname='") + 8;
  const std::string name = conninfo.substr(at, conninfo.find('\'', at) - at);
  const std::string admin = store::test_support::PgTestServer::Get().WithDatabase("postgres");
  PgRawExec(admin, "ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
  PgRawExec(admin, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                   " WHERE datname = '" + name + "'");
  AuditEvent lost = MakeEvent(0, 3);
  const Status failed = log->Append(lost);
  EXPECT_EQ(failed.code(), StatusCode::kThrottling) << failed.ToString();
  EXPECT_EQ(lost.seq, 0);
  AuditEvent still_down = MakeEvent(0, 4);
  EXPECT_EQ(log->Append(still_down).code(), StatusCode::kThrottling);

  // Up again.
  PgRawExec(admin, "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
  AuditEvent again = MakeEvent(0, 5);
  const Status back = log->Append(again);
  ASSERT_TRUE(back.ok()) << back.ToString();
  EXPECT_EQ(again.seq, 3);  // no gap: the failed appends left nothing
  log.reset();
  const VerifyReport report = VerifyNow(Verifier());
  EXPECT_TRUE(report.ok) << Problems(report);
  EXPECT_EQ(report.records, 3);
}

TEST_F(AuditPgTest, ForeignOrNewerSchemaIsRefusedAndLeftUnchanged) {
  // No audit log yet: a verifier finds none (and creates nothing).
  EXPECT_EQ(AuditLog::Open(Verifier()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(PgRawInt(db_.conninfo(),
                     "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%audit%'"),
            0);
  // A table of the log's names that Candor did not make.
  Tamper("CREATE TABLE audit_events (x INT)");
  EXPECT_EQ(AuditLog::Open(NodeOptions(0)).status().code(), StatusCode::kCorruption);
  Tamper("DROP TABLE audit_events");
  // A newer schema.
  WriteLog(1, 10);
  Tamper("UPDATE candor_audit_schema_version SET version = 99");
  EXPECT_EQ(AuditLog::Open(NodeOptions(0)).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(AuditLog::Open(Verifier()).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM audit_events"), 1);
}

}  // namespace
}  // namespace candor::audit
