// The audit and the data it describes commit together (issue 18, finding
// 5): a write made for an audited call leaves a journal row in the store's
// own transaction; if the process stops before the audit record is written,
// the next start writes it from the row; `candor audit verify`'s
// cross-check finds any row of the store that no record accounts for.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "eval/lfw.h"
#include "policy/roles.h"
#include "protocol/requests.h"
#include "server/audit_journal.h"
#include "server/operations.h"
#include "server/wire.h"
#include "store/write_journal.h"
#include "test_support.h"

namespace candor {
namespace {

using nlohmann::json;
using testing::Lfw;
using testing::ReadFile;
using testing::TempDir;

json IndexBody(const std::string& path) {
  return {{"CollectionId", "c"},
          {"Image", {{"Bytes", protocol::EncodeBase64(ReadFile(path))}}},
          {"MaxFaces", 1},
          {"QualityFilter", "NONE"}};
}

// An audit log whose appends fail while `fail` is set: the process "stops"
// between the store's commit and the audit append.
class FailingAudit : public audit::AuditLog {
 public:
  explicit FailingAudit(audit::AuditLog* inner) : inner_(inner) {}
  Status Append(audit::AuditEvent& event) override {
    if (fail) return Status::IOError("the disk of the audit log is gone (test)");
    return inner_->Append(event);
  }
  StatusOr<audit::AuditPage> Query(const audit::AuditQuery& q) override { return inner_->Query(q); }
  StatusOr<audit::VerifyReport> Verify() override { return inner_->Verify(); }
  Status Checkpoint() override { return inner_->Checkpoint(); }
  std::string public_key_pem() const override { return inner_->public_key_pem(); }
  bool fail = false;

 private:
  audit::AuditLog* inner_;
};

server::CallContext Caller(const std::string& principal = "alice") {
  server::CallContext call;
  call.principal = principal;
  call.roles = policy::AllRoles();
  call.source = "test";
  call.request_id = server::NewRequestId();
  return call;
}

class AuditJournalTest : public ::testing::Test {
 protected:
  static Engine* SharedEngine() {
    static Engine* engine = [] {
      auto e = Engine::Create({.workers = 1});
      if (!e.ok()) std::abort();
      return std::move(e).value().release();
    }();
    return engine;
  }
  void Open() {
    auto c = Collections::Open(SharedEngine(), {.data_dir = dir_.path() + "/data"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
    auto a = audit::AuditLog::Open({.path = dir_.path() + "/data/audit.db",
                                    .key_path = dir_.path() + "/audit.key"});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    audit_ = std::move(a).value();
    failing_ = std::make_unique<FailingAudit>(audit_.get());
    service_.engine = SharedEngine();
    service_.collections = collections_.get();
    service_.audit = failing_.get();
  }
  void Close() {
    failing_.reset();
    audit_.reset();
    collections_.reset();
  }
  StatusOr<json> Run(const std::string& op, const json& body) {
    return server::RunOperation(op, body, service_, Caller());
  }
  server::StoreCheck Check() {
    auto check = server::CrossCheckStore(dir_.path() + "/data", *audit_);
    EXPECT_TRUE(check.ok()) << check.status().ToString();
    return check.ok() ? *check : server::StoreCheck{};
  }

  TempDir dir_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<FailingAudit> failing_;
  server::ServiceContext service_;
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST_F(AuditJournalTest, AuditedWritesLeaveNothingPending) {
  Open();
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "c"}}).ok());
  auto indexed = Run("IndexFaces", IndexBody(Lfw("Colin_Powell", 0)));
  ASSERT_TRUE(indexed.ok()) << indexed.status().ToString();
  ASSERT_TRUE(Run("CreateUser", {{"CollectionId", "c"}, {"UserId", "colin"}}).ok());
  const std::string face = (*indexed)["FaceRecords"][0]["Face"]["FaceId"];
  ASSERT_TRUE(Run("AssociateFaces",
                  {{"CollectionId", "c"}, {"UserId", "colin"}, {"FaceIds", {face}}})
                  .ok());
  ASSERT_TRUE(Run("Candor.PutCollectionPolicy",
                  {{"CollectionId", "c"}, {"Policy", {{"Purpose", "test"}}}})
                  .ok());
  auto pending = collections_->PendingAuditJournal();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  const server::StoreCheck check = Check();
  EXPECT_TRUE(check.problems.empty()) << Joined(check.problems);
  EXPECT_EQ(check.faces, 1);
  EXPECT_EQ(check.users, 1);
  EXPECT_EQ(check.policies, 1);
}

TEST_F(AuditJournalTest, AWriteWhoseRecordWasNeverWrittenIsRecoveredAtTheNextStart) {
  Open();
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "c"}}).ok());
  // The store commits; the audit append fails (as a kill -9 between the
  // two would leave it): the caller gets an error, the face is stored.
  failing_->fail = true;
  auto indexed = Run("IndexFaces", IndexBody(Lfw("George_W_Bush", 0)));
  ASSERT_FALSE(indexed.ok());
  EXPECT_EQ(indexed.status().code(), StatusCode::kInternal);
  failing_->fail = false;
  auto page = collections_->ListFaces("c", FaceListFilter{}, "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->faces.size(), 1u);
  const std::string face_id = page->faces[0].face_id;

  // verify says so, and names the call; the face itself is accounted for
  // by the journal.
  server::StoreCheck before = Check();
  EXPECT_EQ(before.pending_calls, 1);
  ASSERT_EQ(before.problems.size(), 1u) << Joined(before.problems);
  EXPECT_NE(before.problems[0].find("IndexFaces by alice"), std::string::npos);
  EXPECT_NE(before.problems[0].find("not written yet"), std::string::npos);

  // The next start writes the record.
  Close();
  Open();
  auto recovery = server::RecoverAuditJournal(*collections_, *audit_);
  ASSERT_TRUE(recovery.ok()) << recovery.status().ToString();
  EXPECT_EQ(recovery->calls, 1);
  EXPECT_EQ(recovery->recovered, 1);
  audit::AuditQuery q;
  q.operation = "IndexFaces";
  auto records = audit_->Query(q);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->events.size(), 1u);  // the failed call left no record of its own
  const audit::AuditEvent& e = records->events[0];
  EXPECT_EQ(e.principal, "alice");
  EXPECT_EQ(e.collection_id, "c");
  EXPECT_TRUE(e.results.contains("Recovered"));
  EXPECT_EQ(e.results["Changes"][0]["FaceIds"], json::array({face_id}));
  EXPECT_TRUE(Check().problems.empty()) << Joined(Check().problems);
  auto verified = audit_->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
  // A second start finds nothing to do.
  auto again = server::RecoverAuditJournal(*collections_, *audit_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->calls, 0);
}

// On a store several nodes share, a node's start recovers only its own
// calls: another node's row may be a call it is answering right now, whose
// record it is about to write to its own log.
TEST_F(AuditJournalTest, ANodeRecoversOnlyItsOwnCalls) {
  Open();
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "c"}}).ok());
  store::SetJournalNode("host-b:/data/b/audit.db");
  failing_->fail = true;
  ASSERT_FALSE(Run("IndexFaces", IndexBody(Lfw("George_W_Bush", 0))).ok());
  failing_->fail = false;
  store::SetJournalNode("");
  Close();
  Open();
  auto by_a = server::RecoverAuditJournal(*collections_, *audit_, "host-a:/data/a/audit.db");
  ASSERT_TRUE(by_a.ok()) << by_a.status().ToString();
  EXPECT_EQ(by_a->other_nodes, 1);
  EXPECT_EQ(by_a->recovered, 0);
  audit::AuditQuery q;
  q.operation = "IndexFaces";
  EXPECT_TRUE(audit_->Query(q)->events.empty());
  EXPECT_EQ(Check().pending_calls, 1);  // still pending: node b's to write
  auto by_b = server::RecoverAuditJournal(*collections_, *audit_, "host-b:/data/b/audit.db");
  ASSERT_TRUE(by_b.ok()) << by_b.status().ToString();
  EXPECT_EQ(by_b->recovered, 1);
  EXPECT_EQ(by_b->other_nodes, 0);
  EXPECT_EQ(audit_->Query(q)->events.size(), 1u);
  EXPECT_TRUE(Check().problems.empty()) << Joined(Check().problems);
  // The name of a node: its host and its audit log's path.
  const std::string node = server::JournalNode("/tmp/x/../audit.db");
  EXPECT_NE(node.find(":/tmp/audit.db"), std::string::npos) << node;
}

TEST_F(AuditJournalTest, RowsNoRecordAccountsForAreReported) {
  Open();
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "c"}}).ok());
  // A face written past the operations layer (as a rogue tool with the
  // store file would): no journal row, no record.
  auto direct = collections_->IndexFaces({.collection_id = "c",
                                          .image_bytes = ReadFile(Lfw("Colin_Powell", 1)),
                                          .max_faces = 1,
                                          .quality_filter = QualityFilter::kNone});
  ASSERT_TRUE(direct.ok());
  ASSERT_TRUE(collections_->CreateCollection("rogue").ok());
  const server::StoreCheck check = Check();
  ASSERT_EQ(check.problems.size(), 2u) << Joined(check.problems);
  const std::string all = Joined(check.problems);
  EXPECT_NE(all.find("face " + direct->face_records[0].face.face_id +
                     " in collection c: in the store with no audit record"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("collection rogue: in the store with no audit record"), std::string::npos);
}

// The child: IndexFaces through the operations layer, with the audit log,
// forever; "ready\n" once loaded.
[[noreturn]] void IndexForever(const std::string& dir, const std::vector<std::string>& images,
                               int fd) {
  auto engine = Engine::Create({.workers = 1});
  if (!engine.ok()) _exit(2);
  auto collections = Collections::Open(engine->get(), {.data_dir = dir});
  if (!collections.ok()) _exit(3);
  auto audit = audit::AuditLog::Open({.path = dir + "/audit.db", .key_path = dir + "/audit.key"});
  if (!audit.ok()) _exit(4);
  server::ServiceContext service;
  service.engine = engine->get();
  service.collections = collections->get();
  service.audit = audit->get();
  (void)!write(fd, "ready\n", 6);
  for (size_t i = 0;; ++i) {
    auto r = server::RunOperation("IndexFaces", IndexBody(images[i % images.size()]), service,
                                  Caller("writer"));
    if (!r.ok()) _exit(5);
  }
}

TEST(AuditJournalKillTest, KilledDuringIndexingLeavesNoFaceWithoutItsRecord) {
  TempDir temp;
  const std::string dir = temp.path();
  auto paths = eval::ListLfwImages(testing::DataDir() + "/lfw", nullptr);
  ASSERT_TRUE(paths.ok());
  std::vector<std::string> images;
  for (size_t i = 0; i < paths->size() && images.size() < 40; i += 53) images.push_back((*paths)[i]);
  std::mt19937 rng(20261207);
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    if (round == 0) {
      // The collection, made by a child too: the parent starts no engine
      // threads before it forks.
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        auto engine = Engine::Create({.workers = 1});
        auto c = Collections::Open(engine->get(), {.data_dir = dir});
        auto a = audit::AuditLog::Open({.path = dir + "/audit.db", .key_path = dir + "/audit.key"});
        if (!c.ok() || !a.ok()) _exit(1);
        server::ServiceContext service;
        service.engine = engine->get();
        service.collections = c->get();
        service.audit = a->get();
        _exit(server::RunOperation("CreateCollection", {{"CollectionId", "c"}}, service,
                                   Caller("writer"))
                      .ok()
                  ? 0
                  : 1);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      IndexForever(dir, images, fds[1]);
    }
    close(fds[1]);
    char ready[8] = {};
    ASSERT_EQ(read(fds[0], ready, 6), 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 900));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself in round " << round;
    close(fds[0]);
  }
  // Before the next start: every face is accounted for by a record or by a
  // journal row (a pending call is the only kind of problem allowed).
  auto engine = Engine::Create({.workers = 1});
  ASSERT_TRUE(engine.ok());
  auto collections = Collections::Open(engine->get(), {.data_dir = dir});
  ASSERT_TRUE(collections.ok()) << collections.status().ToString();
  auto audit = audit::AuditLog::Open({.path = dir + "/audit.db", .key_path = dir + "/audit.key"});
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  auto before = server::CrossCheckStore(dir, **audit);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_GT(before->faces, 5) << "too few faces were indexed to test anything";
  for (const std::string& p : before->problems) {
    EXPECT_NE(p.find("not written yet"), std::string::npos) << p;
  }
  // The start: afterwards nothing is unaccounted for and the chain holds.
  auto recovery = server::RecoverAuditJournal(**collections, **audit);
  ASSERT_TRUE(recovery.ok()) << recovery.status().ToString();
  auto after = server::CrossCheckStore(dir, **audit);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->problems.empty()) << Joined(after->problems);
  auto verified = (*audit)->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << Joined(verified->problems);
  std::printf("%lld faces stored over %d kills; %lld calls recovered from the journal\n",
              static_cast<long long>(after->faces), kRounds,
              static_cast<long long>(recovery->recovered));
}

}  // namespace
}  // namespace candor
