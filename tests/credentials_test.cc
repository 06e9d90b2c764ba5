// The credentials file of the service's access keys (server/credentials.h):
// parsing, errors naming their line, hostile text, key generation, appending
// with mode 0600 and refusal of duplicates.
#include "server/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_support.h"

namespace candor::server {
namespace {

using ::candor::testing::TempDir;

TEST(CredentialStoreTest, ParsesPrincipalsCommentsAndAttributes) {
  auto store = CredentialStore::Parse(
      "# Candor credentials\n"
      "; another comment\n"
      "\n"
      "[alice]\n"
      "aws_access_key_id=CKIAAAAAAAAAAAAAAAAA\n"
      "   aws_secret_access_key   =   secret/alice+1   \n"
      "role = operator            ; any other key is kept as an attribute\n"
      "\r\n"
      "  [ bob ]  \r\n"
      "AWS_ACCESS_KEY_ID = CKIABBBBBBBBBBBBBBBB\r\n"
      "aws_secret_access_key =\tsecret-bob\r\n"
      "# the last line has no newline\n"
      "team = faces");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(store->credentials().size(), 2u);
  EXPECT_FALSE(store->empty());
  const Credential* alice = store->Find("CKIAAAAAAAAAAAAAAAAA");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->principal, "alice");
  EXPECT_EQ(alice->secret_access_key, "secret/alice+1");
  EXPECT_EQ(alice->attributes, (std::map<std::string, std::string>{{"role", "operator"}}));
  const Credential* bob = store->Find("CKIABBBBBBBBBBBBBBBB");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->principal, "bob");
  EXPECT_EQ(bob->secret_access_key, "secret-bob");
  EXPECT_EQ(bob->attributes.at("team"), "faces");
  EXPECT_EQ(store->Find("CKIACCCCCCCCCCCCCCCC"), nullptr);
  EXPECT_EQ(store->Find(""), nullptr);

  auto empty = CredentialStore::Parse("# nothing yet\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(CredentialStoreTest, ErrorsNameTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"# c\naws_access_key_id = X\n", "line 2"},  // outside a section
      {"[a]\naws_access_key_id = A\naws_secret_access_key = s\n\n[a]\n"
       "aws_access_key_id = B\naws_secret_access_key = s\n",
       "line 5"},  // duplicate principal
      {"[a]\naws_access_key_id = A\naws_secret_access_key = s\n[b]\n"
       "aws_secret_access_key = s\naws_access_key_id = A\n",
       "line 6"},                                         // duplicate key id
      {"[a]\naws_access_key_id = A\n\n[b]\n", "line 1"},  // a without its secret
      {"[a]\naws_access_key_id = A\naws_secret_access_key = s\n[b]\naws_access_key_id = B\n",
       "line 4"},                                                         // b without its secret
      {"[a]\naws_secret_access_key = s\n", "line 1"},                     // without an id
      {"[a]\naws_access_key_id = A\naws_access_key_id = B\n", "line 3"},  // key twice
      {"[a\n", "line 1"},
      {"[]\n", "line 1"},
      {"[a]\njust words\n", "line 2"},
      {"[a]\n = value\n", "line 2"},
      {"[a]\naws_access_key_id =\n", "line 2"},
      {std::string("[a]\naws_access_key_id = A\0B\n", 27), "line 2"},
  };
  for (const auto& [text, line] : cases) {
    SCOPED_TRACE(text);
    auto store = CredentialStore::Parse(text);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(store.status().message().find(line), std::string::npos) << store.status().message();
  }
  auto missing = CredentialStore::Load("/nonexistent/candor/credentials");
  EXPECT_FALSE(missing.ok());
}

TEST(CredentialStoreTest, HostileText) {
  // Long lines, many sections, binary bytes: an error or a store, no crash.
  std::string many;
  for (int i = 0; i < 2000; ++i) {
    many += "[p" + std::to_string(i) + "]\naws_access_key_id = K" + std::to_string(i) +
            "\naws_secret_access_key = s\n";
  }
  auto store = CredentialStore::Parse(many);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->credentials().size(), 2000u);
  EXPECT_EQ(store->Find("K1999")->principal, "p1999");
  EXPECT_FALSE(CredentialStore::Parse(std::string(1 << 20, '[')).ok());
  EXPECT_FALSE(CredentialStore::Parse(std::string(1 << 20, 'x')).ok());
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>((i * 131) & 0xff));
  EXPECT_FALSE(CredentialStore::Parse(binary).ok());
  EXPECT_TRUE(CredentialStore::Parse("").ok());
}

TEST(CredentialsFileTest, GenerateCredentialFormat) {
  std::set<std::string> ids, secrets;
  for (int i = 0; i < 100; ++i) {
    const Credential c = GenerateCredential("alice");
    EXPECT_EQ(c.principal, "alice");
    ASSERT_EQ(c.access_key_id.size(), 20u);
    EXPECT_EQ(c.access_key_id.substr(0, 4), "CKIA");
    for (char ch : c.access_key_id.substr(4)) {
      EXPECT_TRUE((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7')) << c.access_key_id;
    }
    ASSERT_EQ(c.secret_access_key.size(), 40u);
    for (char ch : c.secret_access_key) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/')
          << c.secret_access_key;
    }
    EXPECT_TRUE(c.attributes.empty());
    ids.insert(c.access_key_id);
    secrets.insert(c.secret_access_key);
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(secrets.size(), 100u);
}

TEST(CredentialsFileTest, AppendCreatesPrivateFileAndRefusesDuplicates) {
  TempDir dir;
  const std::string path = dir.path() + "/credentials";
  Credential alice = GenerateCredential("alice");
  alice.attributes["role"] = "operator";
  ASSERT_TRUE(AppendCredential(path, alice).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(PermissionsTooOpen(path));

  const Credential bob = GenerateCredential("bob");
  ASSERT_TRUE(AppendCredential(path, bob).ok());
  auto store = CredentialStore::Load(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(store->credentials().size(), 2u);
  const Credential* found = store->Find(alice.access_key_id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->principal, "alice");
  EXPECT_EQ(found->secret_access_key, alice.secret_access_key);
  EXPECT_EQ(found->attributes, alice.attributes);
  EXPECT_EQ(store->Find(bob.access_key_id)->secret_access_key, bob.secret_access_key);

  // The same principal with a new key, and another principal with bob's key.
  const Status again = AppendCredential(path, GenerateCredential("alice"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  Credential copy = bob;
  copy.principal = "carol";
  EXPECT_EQ(AppendCredential(path, copy).code(), StatusCode::kAlreadyExists);
  // Names and values that could not be read back.
  for (const std::string name : {"", "a]b", "new\nline", " padded"}) {
    EXPECT_EQ(AppendCredential(path, GenerateCredential(name)).code(), StatusCode::kInvalidArgument)
        << name;
  }
  Credential bad_attribute = GenerateCredential("dave");
  bad_attribute.attributes["aws_secret_access_key"] = "x";
  EXPECT_EQ(AppendCredential(path, bad_attribute).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CredentialStore::Load(path)->credentials().size(), 2u);

  // A file that does not end in a newline, and one that does not parse.
  const std::string hand = dir.path() + "/hand";
  std::ofstream(hand) << "[x]\naws_access_key_id = A\naws_secret_access_key = s";
  ASSERT_TRUE(AppendCredential(hand, GenerateCredential("y")).ok());
  EXPECT_EQ(CredentialStore::Load(hand)->credentials().size(), 2u);
  const std::string broken = dir.path() + "/broken";
  std::ofstream(broken) << "aws_access_key_id = A\n";
  EXPECT_FALSE(AppendCredential(broken, GenerateCredential("z")).ok());
  EXPECT_FALSE(AppendCredential(dir.path() + "/no/such/dir/credentials", alice).ok());
}

TEST(CredentialsFileTest, PermissionsTooOpen) {
  TempDir dir;
  const std::string path = dir.path() + "/credentials";
  std::ofstream(path) << "[a]\naws_access_key_id = A\naws_secret_access_key = s\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_FALSE(PermissionsTooOpen(path));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_TRUE(PermissionsTooOpen(path));
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_TRUE(PermissionsTooOpen(path));
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_FALSE(PermissionsTooOpen(path));
  EXPECT_FALSE(PermissionsTooOpen(dir.path() + "/missing"));
}

}  // namespace
}  // namespace candor::server
