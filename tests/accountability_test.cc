// Accountability at the operations layer (server/operations.h), for every
// caller of the service: each role against each operation, collection
// policies (floors, refusals, reasons, MaxFaces caps), the audit record each
// call leaves, and retention with a controllable clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "audit/audit_log.h"
#include "candor/collections.h"
#include "policy/roles.h"
#include "protocol/requests.h"
#include "server/operations.h"
#include "server/retention.h"
#include "test_support.h"

// GCC 12's -Wrestrict misfires (GCC bug 105329) on the string assignments of
// AccountabilityTest::Run once CollectionsOptions grew a member; the code is
// plain std::string assignment.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace candor {
namespace {

using nlohmann::json;
using policy::Role;
using testing::DataDir;
using testing::Lfw;
using testing::ReadFile;
using testing::TempDir;

Engine* SharedEngine() {
  static Engine* engine = [] {
    auto e = Engine::Create({});
    if (!e.ok()) std::abort();
    return std::move(e).value().release();
  }();
  return engine;
}

json Image(const std::string& path) {
  return {{"Bytes", protocol::EncodeBase64(ReadFile(path))}};
}

class AccountabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Collections::Open(SharedEngine(), {.data_dir = dir_.path() + "/data"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
    auto a = audit::AuditLog::Open(
        {.path = dir_.path() + "/audit.db", .key_path = dir_.path() + "/audit.key"});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    audit_ = std::move(a).value();
    service_.engine = SharedEngine();
    service_.collections = collections_.get();
    service_.audit = audit_.get();
  }
  void TearDown() override {
    audit_.reset();
    collections_.reset();
  }

  StatusOr<json> Run(const std::string& op, const json& body, std::vector<Role> roles,
                     const std::string& reason = "") {
    server::CallContext call;
    call.principal = "p-" + policy::RolesText(roles);
    call.roles = std::move(roles);
    call.source = "test";
    call.request_id = "r";
    call.reason = reason;
    return server::RunOperation(op, body, service_, call);
  }

  std::vector<audit::AuditEvent> Events(const std::string& operation = "") {
    audit::AuditQuery q;
    q.operation = operation;
    q.max_results = 1000;
    auto page = audit_->Query(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->events : std::vector<audit::AuditEvent>{};
  }

  // A collection "c" with Colin Powell (two photos) and George W Bush.
  void Enrol() {
    ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "c"}}, {Role::kAdmin}).ok());
    for (const auto& [name, n] :
         std::vector<std::pair<std::string, int>>{{"Colin_Powell", 0}, {"George_W_Bush", 0}}) {
      auto r = Run("IndexFaces",
                   {{"CollectionId", "c"}, {"Image", Image(Lfw(name, n))}, {"ExternalImageId", name}},
                   {Role::kEnroller});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ((*r)["FaceRecords"].size(), 1u);
    }
  }

  TempDir dir_;
  std::unique_ptr<Collections> collections_;
  std::unique_ptr<audit::AuditLog> audit_;
  server::ServiceContext service_;
};

// Every operation against every role: refused exactly where the table in
// policy/roles.h says, with AccessDeniedException, before the body is even
// looked at, and each refusal is in the audit log.
TEST_F(AccountabilityTest, EveryRoleAgainstEveryOperation) {
  const std::map<std::string, std::set<Role>> allowed = {
      {"CreateCollection", {Role::kAdmin}},
      {"DeleteCollection", {Role::kAdmin}},
      {"IndexFaces", {Role::kEnroller}},
      {"DeleteFaces", {Role::kEnroller}},
      {"ListFaces", {Role::kEnroller}},
      {"CreateUser", {Role::kEnroller}},
      {"DeleteUser", {Role::kEnroller}},
      {"ListUsers", {Role::kEnroller}},
      {"AssociateFaces", {Role::kEnroller}},
      {"DisassociateFaces", {Role::kEnroller}},
      {"SearchFaces", {Role::kSearcher}},
      {"SearchFacesByImage", {Role::kSearcher}},
      {"SearchUsers", {Role::kSearcher}},
      {"SearchUsersByImage", {Role::kSearcher}},
      {"CompareFaces", {Role::kSearcher}},
      {"DetectFaces", {Role::kAnalyst}},
      {"Candor.PutCollectionPolicy", {Role::kAdmin}},
      {"Candor.CreateAccessKey", {Role::kAdmin}},
      {"Candor.ListAccessKeys", {Role::kAdmin}},
      {"Candor.DeleteAccessKey", {Role::kAdmin}},
      {"Candor.ListAuditEvents", {Role::kAuditor}},
      {"Candor.VerifyAuditLog", {Role::kAuditor}},
      {"Candor.GetTransparencyReport", {Role::kAuditor}},
      {"CreateStreamProcessor", {Role::kAdmin}},
      {"DeleteStreamProcessor", {Role::kAdmin}},
      {"StartStreamProcessor", {Role::kSearcher}},
      {"StopStreamProcessor", {Role::kAdmin, Role::kSearcher}},
      {"DescribeStreamProcessor", {Role::kAdmin, Role::kSearcher, Role::kAuditor}},
      {"ListStreamProcessors", {Role::kAdmin, Role::kSearcher, Role::kAuditor}},
      {"StartFaceSearch", {Role::kSearcher}},
      {"GetFaceSearch", {Role::kSearcher}},
      {"StartFaceDetection", {Role::kAnalyst}},
      {"GetFaceDetection", {Role::kAnalyst}},
      {"Candor.ListVideoJobs", {Role::kSearcher, Role::kAnalyst}},
      {"TagResource", {Role::kAdmin}},
      {"UntagResource", {Role::kAdmin}},
  };
  const std::set<std::string> everyone = {"DescribeCollection", "ListCollections",
                                          "Candor.GetCollectionPolicy", "ListTagsForResource",
                                          "Candor.GetCallerIdentity"};
  // Every operation the service knows is in one of the two lists.
  for (std::string_view op : server::OperationNames()) {
    EXPECT_TRUE(allowed.count(std::string(op)) || everyone.count(std::string(op)))
        << op << " has no expectation in this test";
  }
  int refusals = 0;
  for (Role role : policy::AllRoles()) {
    for (std::string_view op_view : server::OperationNames()) {
      const std::string op(op_view);
      const bool may = everyone.count(op) > 0 || allowed.at(op).count(role) > 0;
      // An empty body: an allowed call fails on its parameters (or succeeds),
      // never with AccessDenied.
      auto r = Run(op, json::object(), {role});
      const bool denied = !r.ok() && r.status().code() == StatusCode::kPermissionDenied;
      EXPECT_EQ(denied, !may) << policy::RoleName(role) << " " << op << ": "
                              << (r.ok() ? "ok" : r.status().ToString());
      if (!may) ++refusals;
    }
  }
  // No role at all: everything refused.
  EXPECT_EQ(Run("ListCollections", json::object(), {}).status().code(),
            StatusCode::kPermissionDenied);
  const auto denied = Events();
  const int64_t audited_refusals =
      std::count_if(denied.begin(), denied.end(),
                    [](const audit::AuditEvent& e) { return e.outcome == "AccessDeniedException"; });
  EXPECT_GE(audited_refusals, refusals);
}

TEST_F(AccountabilityTest, FloorRaisesTheThresholdAndTheResponseSaysSo) {
  Enrol();
  const json search = {{"CollectionId", "c"},
                       {"Image", Image(Lfw("Colin_Powell", 1))},
                       {"FaceMatchThreshold", 50},
                       {"MaxFaces", 500}};
  auto r = Run("SearchFacesByImage", search, {Role::kSearcher}, "CASE-1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["CandorThresholdRequested"], 50);
  EXPECT_EQ((*r)["CandorThresholdApplied"], 99);  // the default floor
  EXPECT_EQ((*r)["CandorThresholdRaised"], true);
  EXPECT_EQ((*r)["CandorMaxResultsApplied"], 100);  // the default cap
  for (const auto& m : (*r)["FaceMatches"]) EXPECT_GE(m["Similarity"].get<double>(), 99.0);
  ASSERT_GE((*r)["FaceMatches"].size(), 1u);
  EXPECT_EQ((*r)["FaceMatches"][0]["Face"]["ExternalImageId"], "Colin_Powell");
  EXPECT_TRUE((*r)["FaceMatches"][0].contains("CandorFalseMatchRate"));
  EXPECT_TRUE(r->contains("CandorExpectedFalseMatches"));
  // The audit record: who, why, asked and applied, how many searched, what came back.
  auto events = Events("SearchFacesByImage");
  ASSERT_EQ(events.size(), 1u);
  const audit::AuditEvent& e = events[0];
  EXPECT_EQ(e.principal, "p-searcher");
  EXPECT_EQ(e.reason, "CASE-1");
  EXPECT_EQ(e.collection_id, "c");
  EXPECT_EQ(e.purpose, "unspecified");
  EXPECT_EQ(e.threshold_requested, 50);
  EXPECT_EQ(e.threshold_applied, 99);
  EXPECT_EQ(e.max_faces, 100);
  EXPECT_EQ(e.faces_searched, 2);
  EXPECT_EQ(e.outcome, "ok");
  ASSERT_EQ(e.results["FaceMatches"].size(), (*r)["FaceMatches"].size());
  EXPECT_EQ(e.results["FaceMatches"][0]["FaceId"], (*r)["FaceMatches"][0]["Face"]["FaceId"]);
  // A search at or above the floor is not changed.
  json above = search;
  above["FaceMatchThreshold"] = 99.5;
  auto r2 = Run("SearchFacesByImage", above, {Role::kSearcher});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)["CandorThresholdRaised"], false);
  EXPECT_FLOAT_EQ((*r2)["CandorThresholdApplied"].get<float>(), 99.5f);
}

// Every search and comparison names, in its response and in its audit
// record, the calibration that made its similarities, and a search the
// false-match rate measured on the collection's own gallery; the chain
// still verifies with these records in it.
TEST_F(AccountabilityTest, EverySimilarityIsAuditedWithItsCalibration) {
  Enrol();
  const std::string version = SharedEngine()->calibration().version();
  ASSERT_FALSE(version.empty());
  ASSERT_TRUE(Run("CreateUser", {{"CollectionId", "c"}, {"UserId", "colin"}}, {Role::kEnroller})
                  .ok());
  auto listed = Run("ListFaces", {{"CollectionId", "c"}}, {Role::kEnroller});
  ASSERT_TRUE(listed.ok());
  std::string colin_face;
  for (const auto& f : (*listed)["Faces"]) {
    if (f["ExternalImageId"] == "Colin_Powell") colin_face = f["FaceId"];
  }
  ASSERT_FALSE(colin_face.empty());
  ASSERT_TRUE(Run("AssociateFaces",
                  {{"CollectionId", "c"}, {"UserId", "colin"}, {"FaceIds", {colin_face}}},
                  {Role::kEnroller})
                  .ok());

  const json probe = Image(Lfw("Colin_Powell", 1));
  const std::vector<std::pair<std::string, json>> searches = {
      {"SearchFacesByImage", {{"CollectionId", "c"}, {"Image", probe}}},
      {"SearchFaces", {{"CollectionId", "c"}, {"FaceId", colin_face}}},
      {"SearchUsers", {{"CollectionId", "c"}, {"FaceId", colin_face}}},
      {"SearchUsersByImage", {{"CollectionId", "c"}, {"Image", probe}}},
  };
  for (const auto& [op, body] : searches) {
    auto r = Run(op, body, {Role::kSearcher});
    ASSERT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    EXPECT_EQ((*r)["CandorCalibrationVersion"], version) << op;
    // Two faces of two people (distinct ExternalImageIds): one pair measured.
    ASSERT_TRUE(r->contains("CandorCollectionFalseMatchRate")) << op;
    const auto events = Events(op);
    ASSERT_EQ(events.size(), 1u) << op;
    EXPECT_EQ(events[0].results["CalibrationVersion"], version) << op;
    EXPECT_EQ(events[0].results["CollectionFalseMatchRate"], (*r)["CandorCollectionFalseMatchRate"])
        << op;
  }
  auto compared = Run("CompareFaces",
                      {{"SourceImage", probe}, {"TargetImage", Image(Lfw("Colin_Powell", 0))}},
                      {Role::kSearcher});
  ASSERT_TRUE(compared.ok()) << compared.status().ToString();
  EXPECT_EQ((*compared)["CandorCalibrationVersion"], version);
  const auto compare_events = Events("CompareFaces");
  ASSERT_EQ(compare_events.size(), 1u);
  EXPECT_EQ(compare_events[0].results["CalibrationVersion"], version);

  // DescribeCollection (every role, not audited) shows the rates too.
  auto described = Run("DescribeCollection", {{"CollectionId", "c"}}, {Role::kAuditor});
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ((*described)["CandorCalibrationVersion"], version);
  ASSERT_EQ((*described)["CandorFalseMatchRates"].size(), 5u);
  for (const auto& rate : (*described)["CandorFalseMatchRates"]) {
    EXPECT_EQ(rate["CollectionPairs"], 1);
    EXPECT_TRUE(rate.contains("CollectionFalseMatchRate"));
  }

  auto verified = audit_->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ok);
  EXPECT_TRUE(verified->problems.empty());
}

TEST_F(AccountabilityTest, PolicyRefusalsAndReasons) {
  Enrol();
  // Only an admin may change the policy; the change is audited with before and after.
  const json policy = {{"CollectionId", "c"},
                       {"Purpose", "Fraud investigations, county of X"},
                       {"ThresholdFloor", 99.5},
                       {"RefuseBelowFloor", true},
                       {"ReasonRequired", true},
                       {"MaxFaces", 5}};
  EXPECT_EQ(Run("Candor.PutCollectionPolicy", policy, {Role::kSearcher}).status().code(),
            StatusCode::kPermissionDenied);
  auto put = Run("Candor.PutCollectionPolicy", policy, {Role::kAdmin});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ((*put)["Policy"]["RefuseBelowFloor"], true);
  auto changes = Events("Candor.PutCollectionPolicy");
  ASSERT_EQ(changes.back().outcome, "ok");
  EXPECT_EQ(changes.back().results["Before"]["ThresholdFloor"], 99);
  EXPECT_EQ(changes.back().results["After"]["ThresholdFloor"], 99.5);
  // Below the floor: refused, and the refusal is recorded.
  json search = {{"CollectionId", "c"}, {"Image", Image(Lfw("Colin_Powell", 1))},
                 {"FaceMatchThreshold", 80}};
  auto refused = Run("SearchFacesByImage", search, {Role::kSearcher}, "CASE-7");
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("refuses searches below 99.5"), std::string::npos);
  // At the floor but without a reason: refused.
  search["FaceMatchThreshold"] = 99.5;
  auto no_reason = Run("SearchFacesByImage", search, {Role::kSearcher});
  EXPECT_EQ(no_reason.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(no_reason.status().message().find("requires a reason"), std::string::npos);
  // With a reason: served, MaxFaces capped at 5.
  search["MaxFaces"] = 50;
  auto ok = Run("SearchFacesByImage", search, {Role::kSearcher}, "CASE-7");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["CandorMaxResultsApplied"], 5);
  EXPECT_EQ((*ok)["CandorPurpose"], "Fraud investigations, county of X");
  auto searches = Events("SearchFacesByImage");
  ASSERT_EQ(searches.size(), 3u);
  EXPECT_EQ(searches[0].outcome, "AccessDeniedException");
  EXPECT_EQ(searches[0].reason, "CASE-7");
  EXPECT_EQ(searches[1].outcome, "AccessDeniedException");
  EXPECT_EQ(searches[2].outcome, "ok");
  EXPECT_EQ(searches[2].purpose, "Fraud investigations, county of X");
  // An enrolment under the policy records its purpose too.
  ASSERT_TRUE(Run("IndexFaces", {{"CollectionId", "c"}, {"Image", Image(Lfw("Colin_Powell", 2))}},
                  {Role::kEnroller})
                  .ok());
  EXPECT_EQ(Events("IndexFaces").back().purpose, "Fraud investigations, county of X");
  // SearchFaces by FaceId obeys the same policy.
  auto listed = Run("ListFaces", {{"CollectionId", "c"}}, {Role::kEnroller});
  ASSERT_TRUE(listed.ok());
  const std::string face_id = (*listed)["Faces"][0]["FaceId"];
  EXPECT_EQ(Run("SearchFaces", {{"CollectionId", "c"}, {"FaceId", face_id}}, {Role::kSearcher})
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  // The chain verifies after all of that.
  auto verified = audit_->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
}

TEST_F(AccountabilityTest, RetentionErasesExpiredFacesWithAControllableClock) {
  Enrol();
  ASSERT_TRUE(Run("Candor.PutCollectionPolicy", {{"CollectionId", "c"}, {"RetentionDays", 30}},
                  {Role::kAdmin})
                  .ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  auto early = server::RunRetention(*collections_, audit_.get(), now + 29 * kDay);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->faces_erased, 0);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 2);
  auto late = server::RunRetention(*collections_, audit_.get(), now + 31 * kDay);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->faces_erased, 2);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 0);
  auto erased = Events("RetentionErase");
  ASSERT_EQ(erased.size(), 1u);
  EXPECT_EQ(erased[0].principal, "system");
  EXPECT_EQ(erased[0].results["FaceIds"].size(), 2u);
  // Nothing left to find.
  auto r = Run("SearchFacesByImage",
               {{"CollectionId", "c"}, {"Image", Image(Lfw("Colin_Powell", 1))}},
               {Role::kSearcher});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)["FaceMatches"].empty());
}

// `candor collection expire`: one collection, recorded under the caller's
// principal and source; the other collections are left alone.
TEST_F(AccountabilityTest, ExpireCollectionErasesOneCollectionUnderItsCaller) {
  Enrol();
  ASSERT_TRUE(Run("CreateCollection", {{"CollectionId", "other"}}, {Role::kAdmin}).ok());
  ASSERT_TRUE(Run("IndexFaces",
                  {{"CollectionId", "other"}, {"Image", Image(Lfw("Colin_Powell", 1))}},
                  {Role::kEnroller})
                  .ok());
  const int64_t other_faces = collections_->DescribeCollection("other")->face_count;
  ASSERT_GT(other_faces, 0);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // RetentionDays 0: kept until deleted, nothing recorded.
  auto kept = server::ExpireCollection(*collections_, audit_.get(), "c", now + 3650 * server::kDayMs,
                                       "local:op", "cli");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_TRUE(kept->empty());
  for (const char* id : {"c", "other"}) {
    ASSERT_TRUE(Run("Candor.PutCollectionPolicy", {{"CollectionId", id}, {"RetentionDays", 30}},
                    {Role::kAdmin})
                    .ok());
  }
  auto early = server::ExpireCollection(*collections_, audit_.get(), "c", now + 29 * server::kDayMs,
                                        "local:op", "cli");
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_TRUE(early->empty());
  EXPECT_TRUE(Events("RetentionErase").empty());
  auto late = server::ExpireCollection(*collections_, audit_.get(), "c", now + 31 * server::kDayMs,
                                       "local:op", "cli");
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(late->size(), 2u);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 0);
  EXPECT_EQ(collections_->DescribeCollection("other")->face_count, other_faces);
  auto erased = Events("RetentionErase");
  ASSERT_EQ(erased.size(), 1u);
  EXPECT_EQ(erased[0].principal, "local:op");
  EXPECT_EQ(erased[0].source, "cli");
  EXPECT_EQ(erased[0].collection_id, "c");
  EXPECT_EQ(erased[0].results["FaceIds"], json(*late));
  EXPECT_EQ(erased[0].results["RetentionDays"], 30);
  EXPECT_EQ(server::ExpireCollection(*collections_, audit_.get(), "missing", now, "local:op", "cli")
                .status()
                .code(),
            StatusCode::kNotFound);
}

// An audit log whose disk is full, or (with Throttling) one kept in a
// database that cannot be reached for now.
class FailingAuditLog : public audit::AuditLog {
 public:
  explicit FailingAuditLog(Status error = Status::IOError("disk full"))
      : error_(std::move(error)) {}
  Status Append(audit::AuditEvent&) override { return error_; }
  StatusOr<audit::AuditPage> Query(const audit::AuditQuery&) override { return audit::AuditPage{}; }
  StatusOr<audit::VerifyReport> Verify() override { return audit::VerifyReport{}; }
  Status Checkpoint() override { return Status::Ok(); }
  std::string public_key_pem() const override { return ""; }

 private:
  const Status error_;
};

TEST_F(AccountabilityTest, NoUnauditedResultLeavesTheService) {
  Enrol();
  FailingAuditLog failing;
  service_.audit = &failing;
  auto r = Run("SearchFacesByImage",
               {{"CollectionId", "c"}, {"Image", Image(Lfw("Colin_Powell", 1))}, {"FaceMatchThreshold", 99}},
               {Role::kSearcher});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("audit log could not record"), std::string::npos);

  // Unavailable for now: the call stays retryable (ThrottlingException, as
  // the store's own outages), not InternalServerError.
  FailingAuditLog unreachable(Status::Throttling("the audit database cannot be reached"));
  service_.audit = &unreachable;
  r = Run("SearchFacesByImage",
          {{"CollectionId", "c"},
           {"Image", Image(Lfw("Colin_Powell", 1))},
           {"FaceMatchThreshold", 99}},
          {Role::kSearcher});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kThrottling) << r.status().ToString();
  EXPECT_NE(r.status().message().find("audit log could not record"), std::string::npos);
}


// Candor.GetTransparencyReport: the report of the calls made, as the CLI
// writes it, for an auditor only; the period is checked.
TEST_F(AccountabilityTest, TransparencyReportOverTheApi) {
  Enrol();
  const json search = {{"CollectionId", "c"},
                       {"Image", Image(Lfw("Colin_Powell", 1))},
                       {"FaceMatchThreshold", 50}};
  ASSERT_TRUE(Run("SearchFacesByImage", search, {Role::kSearcher}).ok());
  EXPECT_EQ(Run("Candor.GetTransparencyReport", json::object(), {Role::kAdmin}).status().code(),
            StatusCode::kPermissionDenied);

  auto r = Run("Candor.GetTransparencyReport", json::object(), {Role::kAuditor});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json& report = (*r)["Report"];
  EXPECT_EQ(report["Totals"]["Searches"], 1);
  EXPECT_EQ(report["Totals"]["ThresholdRaised"], 1);
  EXPECT_EQ(report["Totals"]["FacesEnrolled"], 2);
  EXPECT_EQ(report["AuditChain"]["Verified"], true);
  EXPECT_NE((*r)["Html"].get<std::string>().find("<html"), std::string::npos);

  // A period before any call: nothing in it.
  auto empty = Run("Candor.GetTransparencyReport", {{"StartTime", 1}, {"EndTime", 2}},
                   {Role::kAuditor});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)["Report"]["Totals"]["Searches"], 0);
  EXPECT_EQ(Run("Candor.GetTransparencyReport", {{"StartTime", 5}, {"EndTime", 2}},
                {Role::kAuditor})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Run("Candor.GetTransparencyReport", {{"Principal", "x"}}, {Role::kAuditor})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // The reading is audited, as every read of the log is.
  EXPECT_EQ(Events("Candor.GetTransparencyReport").size(), 5u);
}

}  // namespace
}  // namespace candor
