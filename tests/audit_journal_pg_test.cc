// The store's audit journal (server/audit_journal.h) when both the store and
// the audit log are in PostgreSQL (`candor serve --store`): the store's
// commit and the audit append are still two transactions, so a node stopped
// between them (here: its append fails, as a kill -9 would leave it) must
// get the record at its next start, from its own journal rows, into the one
// chain every node appends to; another node's rows are left to that node.
#include <gtest/gtest.h>

#include <string>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "pg_test_support.h"
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

// An audit log whose appends fail while `fail` is set.
class FailingAudit : public audit::AuditLog {
 public:
  explicit FailingAudit(audit::AuditLog* inner) : inner_(inner) {}
  Status Append(audit::AuditEvent& event) override {
    if (fail) return Status::Throttling("PostgreSQL went away (test)");
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

// One node: its collections and its audit log on the shared database, its
// own key and journal name.
struct Node {
  std::string name;
  std::unique_ptr<Collections> collections;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<FailingAudit> failing;
  server::ServiceContext service;
};

class AuditJournalPgTest : public ::testing::Test {
 protected:
  static Engine* SharedEngine() {
    static Engine* engine = [] {
      auto e = Engine::Create({.workers = 1});
      if (!e.ok()) std::abort();
      return std::move(e).value().release();
    }();
    return engine;
  }

  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
  }

  audit::AuditOptions AuditOptionsOf(const std::string& name) const {
    audit::AuditOptions options;
    options.store_uri = db_.conninfo();
    options.key_path = dir_.path() + "/" + name + ".key";
    return options;
  }

  void Start(Node& node, const std::string& name) {
    node.name = "host:" + dir_.path() + "/" + name + "/audit.db";
    auto c = Collections::Open(SharedEngine(),
                               {.data_dir = dir_.path() + "/" + name, .store_uri = db_.conninfo()});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    node.collections = std::move(c).value();
    auto a = audit::AuditLog::Open(AuditOptionsOf(name));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    node.audit = std::move(a).value();
    node.failing = std::make_unique<FailingAudit>(node.audit.get());
    node.service.engine = SharedEngine();
    node.service.collections = node.collections.get();
    node.service.audit = node.failing.get();
  }

  static void Stop(Node& node) {
    node.failing.reset();
    node.audit.reset();
    node.collections.reset();
  }

  // `op` on `node`, its journal rows named after it.
  static StatusOr<json> Run(Node& node, const std::string& op, const json& body) {
    store::SetJournalNode(node.name);
    server::CallContext call;
    call.principal = "alice";
    call.roles = policy::AllRoles();
    call.source = "test";
    call.request_id = server::NewRequestId();
    auto result = server::RunOperation(op, body, node.service, call);
    store::SetJournalNode("");
    return result;
  }

  static json IndexBody(const std::string& path) {
    return {{"CollectionId", "c"},
            {"Image", {{"Bytes", protocol::EncodeBase64(ReadFile(path))}}},
            {"MaxFaces", 1},
            {"QualityFilter", "NONE"}};
  }

  TempDir dir_;
  store::test_support::PgTestDatabase db_;
};

TEST_F(AuditJournalPgTest, EachNodeRecoversItsOwnCallsIntoTheOneChain) {
  Node a, b;
  Start(a, "a");
  Start(b, "b");
  ASSERT_TRUE(Run(a, "CreateCollection", {{"CollectionId", "c"}}).ok());
  // Each node's store commit succeeds and its audit append fails.
  a.failing->fail = b.failing->fail = true;
  // The call fails as retryable, as the log's failure was (PostgreSQL away).
  auto on_a = Run(a, "IndexFaces", IndexBody(Lfw("George_W_Bush", 0)));
  ASSERT_FALSE(on_a.ok());
  EXPECT_EQ(on_a.status().code(), StatusCode::kThrottling) << on_a.status().ToString();
  ASSERT_FALSE(Run(b, "IndexFaces", IndexBody(Lfw("Colin_Powell", 0))).ok());
  Stop(a);
  Stop(b);

  // a starts again: only its own call is recovered.
  Start(a, "a");
  auto by_a = server::RecoverAuditJournal(*a.collections, *a.audit, a.name);
  ASSERT_TRUE(by_a.ok()) << by_a.status().ToString();
  EXPECT_EQ(by_a->recovered, 1);
  EXPECT_EQ(by_a->other_nodes, 1);
  // A second start of a finds nothing more to do.
  auto again = server::RecoverAuditJournal(*a.collections, *a.audit, a.name);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->calls, 0);
  EXPECT_EQ(again->other_nodes, 1);

  Start(b, "b");
  auto by_b = server::RecoverAuditJournal(*b.collections, *b.audit, b.name);
  ASSERT_TRUE(by_b.ok()) << by_b.status().ToString();
  EXPECT_EQ(by_b->recovered, 1);
  EXPECT_EQ(by_b->other_nodes, 0);

  // One chain holds both recovered records, and verifies with both keys.
  audit::AuditQuery q;
  q.operation = "IndexFaces";
  auto records = a.audit->Query(q);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->events.size(), 2u);
  for (const audit::AuditEvent& e : records->events) {
    EXPECT_TRUE(e.results.contains("Recovered")) << e.results.dump();
    EXPECT_EQ(e.results["Changes"][0]["FaceIds"].size(), 1u);
  }
  Stop(a);
  Stop(b);
  audit::AuditOptions verifier;
  verifier.store_uri = db_.conninfo();
  verifier.read_only = true;
  verifier.trusted_key_paths = {AuditOptionsOf("a").key_path, AuditOptionsOf("b").key_path};
  auto log = audit::AuditLog::Open(verifier);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->records, 3);  // CreateCollection and the two recovered
  EXPECT_EQ(report->last_checkpoint_seq, 3);
}

}  // namespace
}  // namespace candor
