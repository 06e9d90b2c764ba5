// The cluster's key ring (server/key_ring.h on store/pg_keys.h): two key
// rings on one PostgreSQL database stand for two nodes. A key created
// through one signs on the other, a deleted one stops working on both, bad
// input is a typed error that changes nothing, and the schema is versioned.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pg_test_support.h"
#include "server/key_ring.h"
#include "store/pg_keys.h"

namespace candor::server {
namespace {

using store::test_support::PgRawExec;
using store::test_support::PgRawInt;
using store::test_support::PgTestDatabase;

const ServiceContext::KeyAdmin::Record kNoAudit = [](const nlohmann::json&) {
  return Status::Ok();
};

class KeysPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(db_.Create(&error)) << error;
  }
  std::unique_ptr<KeyRing> Node() {
    auto ring = KeyRing::OpenShared(db_.conninfo());
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return ring.ok() ? std::move(*ring) : nullptr;
  }
  PgTestDatabase db_;
};

TEST_F(KeysPgTest, AKeyCreatedOnOneNodeSignsOnTheOtherAndADeletedOneNowhere) {
  auto a = Node();
  auto b = Node();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->Current()->store.empty());

  auto created = a->Create({{"Principal", "bob"}, {"Roles", {"searcher", "enroller"}},
                            {"Reason", "case 7"}},
                           kNoAudit);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string id = (*created)["AccessKeyId"];
  const std::string secret = (*created)["SecretAccessKey"];
  // A has it at once; B when a request names it (no waiting for the poll).
  ASSERT_NE(a->Current()->store.Find(id), nullptr);
  auto keys = b->CurrentFor(id);
  const Credential* on_b = keys->store.Find(id);
  ASSERT_NE(on_b, nullptr);
  EXPECT_EQ(on_b->secret_access_key, secret);
  EXPECT_EQ(on_b->principal, "bob");
  EXPECT_EQ(on_b->attributes.at("reason"), "case 7");
  EXPECT_EQ(keys->roles.at("bob"),
            (std::vector<policy::Role>{policy::Role::kSearcher, policy::Role::kEnroller}));
  auto listed = b->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["AccessKeys"].size(), 1u);
  EXPECT_EQ((*listed)["AccessKeys"][0]["AccessKeyId"], id);
  EXPECT_FALSE((*listed)["AccessKeys"][0].contains("SecretAccessKey"));

  // Deleted through B: gone from A at its next reading of the version (its
  // poller's, once a second; Refresh() now).
  auto deleted = b->Delete({{"AccessKeyId", id}}, kNoAudit);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(b->Current()->store.Find(id), nullptr);
  a->Refresh();
  EXPECT_EQ(a->Current()->store.Find(id), nullptr);
  EXPECT_EQ(a->CurrentFor(id)->store.Find(id), nullptr);
  EXPECT_EQ(b->Delete({{"AccessKeyId", id}}, kNoAudit).status().code(), StatusCode::kNotFound);
  // A third node starting now reads what the database holds.
  EXPECT_TRUE(Node()->Current()->store.empty());
}

TEST_F(KeysPgTest, BadInputIsATypedErrorAndChangesNothing) {
  auto a = Node();
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->Create({{"Principal", "alice"}, {"Roles", {"admin"}}}, kNoAudit).ok());
  const int64_t version = PgRawInt(db_.conninfo(), "SELECT version FROM access_keys_version");
  const std::vector<nlohmann::json> bad = {
      {{"Principal", "alice"}, {"Roles", {"searcher"}}},  // taken
      {{"Principal", "[x]"}, {"Roles", {"searcher"}}},
      {{"Principal", std::string("nul\0byte", 8)}, {"Roles", {"searcher"}}},
      {{"Principal", " padded"}, {"Roles", {"searcher"}}},
      {{"Principal", "line\nbreak"}, {"Roles", {"searcher"}}},
      {{"Principal", "p"}, {"Roles", {"wizard"}}},
      {{"Principal", "p"}, {"Roles", nlohmann::json::array()}},
      {{"Principal", "p"}, {"Roles", {7}}},
      {{"Principal", 7}, {"Roles", {"searcher"}}},
      {{"Roles", {"searcher"}}},
      {{"Principal", "p"}, {"Roles", {"searcher"}}, {"Reason", 3}},
      {{"Principal", "p"}, {"Roles", {"searcher"}}, {"Reason", std::string(5000, 'r')}},
  };
  for (const nlohmann::json& body : bad) {
    auto created = a->Create(body, kNoAudit);
    EXPECT_FALSE(created.ok()) << body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    EXPECT_NE(created.status().code(), StatusCode::kInternal) << created.status().ToString();
  }
  EXPECT_EQ(a->Delete({{"AccessKeyId", "CKIANOSUCHKEY"}}, kNoAudit).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(a->Delete({{"AccessKeyId", 5}}, kNoAudit).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM access_keys"), 1);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT version FROM access_keys_version"), version);

  // The store itself refuses what PostgreSQL text cannot hold.
  auto keys = store::PgAccessKeys::Open(db_.conninfo());
  ASSERT_TRUE(keys.ok());
  store::AccessKeyRecord nul{.principal = "q", .access_key_id = std::string("CKIA\0X", 6),
                             .secret_access_key = "s", .roles = "searcher"};
  EXPECT_EQ((*keys)->Insert(nul).code(), StatusCode::kInvalidArgument);
  store::AccessKeyRecord latin1{.principal = "q\xff", .access_key_id = "CKIAQ",
                                .secret_access_key = "s", .roles = "searcher"};
  EXPECT_EQ((*keys)->Insert(latin1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM access_keys"), 1);

  // A row that is not a key (written by hand): the node keeps the keys it
  // read last rather than lose them all.
  a->Refresh();
  ASSERT_EQ(a->Current()->store.credentials().size(), 1u);
  PgRawExec(db_.conninfo(),
            "INSERT INTO access_keys VALUES ('CKIAHAND', 'mallory', 's', 'wizard', '', 0);"
            " UPDATE access_keys_version SET version = version + 1");
  a->Refresh();
  EXPECT_EQ(a->Current()->store.credentials().size(), 1u);
  EXPECT_EQ(a->Current()->store.Find("CKIAHAND"), nullptr);
  EXPECT_FALSE(KeyRing::OpenShared(db_.conninfo()).ok());  // a new node says so
}

TEST_F(KeysPgTest, TheSchemaIsVersioned) {
  ASSERT_TRUE(Node());
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT version FROM candor_component_versions"
                                     " WHERE component = 'access_keys'"),
            1);
  ASSERT_TRUE(Node());  // a second open migrates nothing
  PgRawExec(db_.conninfo(),
            "UPDATE candor_component_versions SET version = 9 WHERE component = 'access_keys'");
  EXPECT_EQ(KeyRing::OpenShared(db_.conninfo()).status().code(), StatusCode::kUnsupported);
  PgRawExec(db_.conninfo(), "DELETE FROM candor_component_versions");
  EXPECT_EQ(KeyRing::OpenShared(db_.conninfo()).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(PgRawInt(db_.conninfo(), "SELECT count(*) FROM candor_component_versions"), 0);
}

}  // namespace
}  // namespace candor::server
