// Rekognition's user operations end to end on real faces: LFW people with
// two enrolled photos each, users built from them, LOW_MATCH_CONFIDENCE for
// another person's face, SearchUsers/SearchUsersByImage finding the right
// user with a third photo, disassociation, deletion, pagination,
// idempotency with ClientRequestToken, the 100-faces quota and every
// validation error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "candor/collections.h"
#include "eval/lfw.h"
#include "store/store.h"
#include "collections_fixture.h"
#include "test_support.h"

namespace candor {
namespace {

namespace fs = std::filesystem;
using testing::DataDir;
using testing::ReadFile;

constexpr char kUnknownFace[] = "00000000-0000-4000-8000-000000000000";

struct Person {
  std::string name;
  std::vector<std::string> images;
};

// The first `count` LFW people (in name order) with at least three images:
// two to enrol, one to search with.
std::vector<Person> People(size_t count) {
  std::vector<int> identity;
  auto paths = eval::ListLfwImages(DataDir() + "/lfw", &identity);
  std::vector<Person> people;
  for (size_t i = 0; i < paths->size() && people.size() <= count; ++i) {
    const std::string name = fs::path((*paths)[i]).parent_path().filename().string();
    if (people.empty() || people.back().name != name) {
      if (!people.empty() && people.back().images.size() < 3) people.pop_back();
      people.push_back({name, {}});
    }
    people.back().images.push_back((*paths)[i]);
  }
  if (!people.empty() && people.back().images.size() < 3) people.pop_back();
  if (people.size() > count) people.resize(count);
  return people;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class UsersTest : public testing::CollectionsFixture {
 protected:
  std::string Index(const std::string& path) {
    auto r = collections_->IndexFaces(
        {.collection_id = "c", .image_bytes = ReadFile(path), .max_faces = 1});
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    if (!r.ok() || r->face_records.empty()) {
      ADD_FAILURE() << "no face indexed in " << path;
      return "";
    }
    return r->face_records[0].face.face_id;
  }
  AssociateFacesResult Associate(const std::string& user, const std::vector<std::string>& faces,
                                 float threshold = 75, const std::string& token = "") {
    auto r = collections_->AssociateFaces({.collection_id = "c",
                                           .user_id = user,
                                           .face_ids = faces,
                                           .user_match_threshold = threshold,
                                           .client_request_token = token});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AssociateFacesResult{};
  }
  StatusCode CreateUserCode(const std::string& user, const std::string& token = "") {
    return collections_->CreateUser({"c", user, token}).code();
  }
  std::string UserOfFace(const std::string& face_id) {
    auto page = collections_->ListFaces("c", "", 4096);
    EXPECT_TRUE(page.ok());
    for (const StoredFace& f : page->faces) {
      if (f.face_id == face_id) return f.user_id;
    }
    return "<absent>";
  }

};

TEST_F(UsersTest, AssociateSearchDisassociateAndDeleteOnRealFaces) {
  const std::vector<Person> people = People(4);
  ASSERT_EQ(people.size(), 4u);
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  // faces[p][i]: photo i of person p; person 3 is never enrolled.
  std::vector<std::vector<std::string>> faces(3);
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 2; ++i) faces[p].push_back(Index(people[p].images[i]));
  }
  const std::vector<std::string> users = {"user.a", "user-b", "user_c:1"};
  for (const std::string& u : users) ASSERT_EQ(CreateUserCode(u), StatusCode::kOk) << u;
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 3);

  // A user without faces takes any face; then the threshold applies.
  AssociateFacesResult first = Associate(users[0], {faces[0][0]});
  EXPECT_EQ(first.associated_faces, std::vector<std::string>{faces[0][0]});
  EXPECT_EQ(first.user_status, UserStatus::kActive);
  AssociateFacesResult mixed = Associate(users[0], {faces[0][1], faces[1][0], kUnknownFace});
  EXPECT_EQ(mixed.associated_faces, std::vector<std::string>{faces[0][1]});
  ASSERT_EQ(mixed.unsuccessful.size(), 2u);
  EXPECT_EQ(mixed.unsuccessful[0].face_id, faces[1][0]);
  EXPECT_EQ(mixed.unsuccessful[0].reasons, std::vector<std::string>{"LOW_MATCH_CONFIDENCE"});
  ASSERT_TRUE(mixed.unsuccessful[0].confidence.has_value());
  EXPECT_LT(*mixed.unsuccessful[0].confidence, 75.f);
  EXPECT_EQ(mixed.unsuccessful[1].face_id, kUnknownFace);
  EXPECT_EQ(mixed.unsuccessful[1].reasons, std::vector<std::string>{"FACE_NOT_FOUND"});
  for (int p = 1; p < 3; ++p) {
    EXPECT_EQ(Associate(users[p], faces[p]).associated_faces.size(), 2u) << people[p].name;
  }
  // Already this user's: ignored; another user's: ASSOCIATED_TO_A_DIFFERENT_USER.
  AssociateFacesResult again = Associate(users[0], {faces[0][0]});
  EXPECT_TRUE(again.associated_faces.empty());
  EXPECT_TRUE(again.unsuccessful.empty());
  AssociateFacesResult taken = Associate(users[1], {faces[0][0]}, 0);
  ASSERT_EQ(taken.unsuccessful.size(), 1u);
  EXPECT_EQ(taken.unsuccessful[0].reasons,
            std::vector<std::string>{"ASSOCIATED_TO_A_DIFFERENT_USER"});
  EXPECT_EQ(taken.unsuccessful[0].user_id, users[0]);
  EXPECT_EQ(UserOfFace(faces[0][0]), users[0]);

  // ListFaces filtered by UserId, by FaceIds and by both, paginated.
  {
    std::vector<std::string> want = faces[1];
    std::sort(want.begin(), want.end());
    auto by_user = collections_->ListFaces("c", {.user_id = users[1]}, "", 10);
    ASSERT_TRUE(by_user.ok()) << by_user.status().ToString();
    ASSERT_EQ(by_user->faces.size(), 2u);
    EXPECT_EQ(by_user->faces[0].face_id, want[0]);
    EXPECT_EQ(by_user->faces[1].face_id, want[1]);
    EXPECT_EQ(by_user->faces[0].user_id, users[1]);
    EXPECT_TRUE(by_user->next_token.empty());
    auto first = collections_->ListFaces("c", {.user_id = users[1]}, "", 1);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->faces.size(), 1u);
    ASSERT_FALSE(first->next_token.empty());
    auto second = collections_->ListFaces("c", {.user_id = users[1]}, first->next_token, 1);
    ASSERT_TRUE(second.ok());
    ASSERT_EQ(second->faces.size(), 1u);
    EXPECT_EQ(second->faces[0].face_id, want[1]);
    EXPECT_TRUE(second->next_token.empty());
    auto by_ids = collections_->ListFaces(
        "c", {.face_ids = {faces[2][0], kUnknownFace, faces[1][1], faces[2][0]}}, "", 10);
    ASSERT_TRUE(by_ids.ok()) << by_ids.status().ToString();
    EXPECT_EQ(by_ids->faces.size(), 2u);
    auto both = collections_->ListFaces(
        "c", {.user_id = users[1], .face_ids = {faces[2][0], faces[1][1]}}, "", 10);
    ASSERT_TRUE(both.ok());
    ASSERT_EQ(both->faces.size(), 1u);
    EXPECT_EQ(both->faces[0].face_id, faces[1][1]);
    auto nobody = collections_->ListFaces("c", {.user_id = "nobody"}, "", 10);
    ASSERT_TRUE(nobody.ok());
    EXPECT_TRUE(nobody->faces.empty());
    EXPECT_EQ(collections_->ListFaces("c", {.user_id = "bad user"}, "", 10).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(collections_->ListFaces("c", {.face_ids = {"x"}}, "", 10).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(collections_->ListFaces("nope", {.user_id = users[1]}, "", 10).status().code(),
              StatusCode::kNotFound);
  }

  // A third photo of each person finds that person's user first.
  for (int p = 0; p < 3; ++p) {
    auto r =
        collections_->SearchUsersByImage({.collection_id = "c"}, ReadFile(people[p].images[2]));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->searched_face.has_value());
    ASSERT_FALSE(r->user_matches.empty()) << people[p].name;
    EXPECT_EQ(r->user_matches[0].user_id, users[p]);
    EXPECT_EQ(r->user_matches[0].user_status, UserStatus::kActive);
    EXPECT_GE(r->user_matches[0].similarity, 80.f);
    EXPECT_TRUE(Contains(faces[p], r->user_matches[0].best_face_id));
    EXPECT_EQ(r->faces_searched, 6);
  }
  // Someone never enrolled matches no user at Similarity 99.
  auto stranger = collections_->SearchUsersByImage(
      {.collection_id = "c", .user_match_threshold = 99}, ReadFile(people[3].images[0]));
  ASSERT_TRUE(stranger.ok());
  EXPECT_TRUE(stranger->user_matches.empty());

  // SearchUsers by FaceId finds the face's user through its other face; by
  // UserId it never returns the user itself.
  auto by_face = collections_->SearchUsers({.collection_id = "c", .face_id = faces[1][0]});
  ASSERT_TRUE(by_face.ok()) << by_face.status().ToString();
  EXPECT_EQ(by_face->searched_face_id, faces[1][0]);
  ASSERT_FALSE(by_face->user_matches.empty());
  EXPECT_EQ(by_face->user_matches[0].user_id, users[1]);
  EXPECT_EQ(by_face->user_matches[0].best_face_id, faces[1][1]);
  auto by_user = collections_->SearchUsers(
      {.collection_id = "c", .user_id = users[2], .user_match_threshold = 0, .max_users = 10});
  ASSERT_TRUE(by_user.ok()) << by_user.status().ToString();
  EXPECT_EQ(by_user->searched_user_id, users[2]);
  EXPECT_EQ(by_user->user_matches.size(), 2u);
  for (const UserMatch& m : by_user->user_matches) EXPECT_NE(m.user_id, users[2]);

  // DeleteFaces keeps a face that belongs to a user.
  auto kept = collections_->DeleteFaces("c", {faces[0][0]});
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->deleted_faces.empty());
  ASSERT_EQ(kept->unsuccessful.size(), 1u);
  EXPECT_EQ(kept->unsuccessful[0].reason, "ASSOCIATED_TO_AN_EXISTING_USER");
  EXPECT_EQ(kept->unsuccessful[0].user_id, users[0]);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 6);

  // Disassociate: this user's face goes, another user's and unknown faces
  // are reported, an unassociated face is ignored.
  ASSERT_TRUE(collections_->DeleteUser({"c", users[2], ""}).ok());  // frees faces[2][*]
  auto d = collections_->DisassociateFaces(
      {.collection_id = "c",
       .user_id = users[0],
       .face_ids = {faces[0][0], faces[1][0], kUnknownFace, faces[2][0]}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->disassociated_faces, std::vector<std::string>{faces[0][0]});
  ASSERT_EQ(d->unsuccessful.size(), 2u);
  EXPECT_EQ(d->unsuccessful[0].reasons, std::vector<std::string>{"ASSOCIATED_TO_A_DIFFERENT_USER"});
  EXPECT_EQ(d->unsuccessful[0].user_id, users[1]);
  EXPECT_EQ(d->unsuccessful[1].reasons, std::vector<std::string>{"FACE_NOT_FOUND"});
  EXPECT_EQ(d->user_status, UserStatus::kActive);  // faces[0][1] is still there
  EXPECT_EQ(UserOfFace(faces[0][0]), "");
  auto deleted = collections_->DeleteFaces("c", {faces[0][0]});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->deleted_faces, std::vector<std::string>{faces[0][0]});

  // DeleteUser left its faces in the collection, unassociated and unfound.
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 5);
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 2);
  EXPECT_EQ(UserOfFace(faces[2][0]), "");
  EXPECT_EQ(collections_->DeleteUser({"c", users[2], ""}).code(), StatusCode::kNotFound);
  auto gone =
      collections_->SearchUsersByImage({.collection_id = "c"}, ReadFile(people[2].images[2]));
  ASSERT_TRUE(gone.ok());
  for (const UserMatch& m : gone->user_matches) EXPECT_NE(m.user_id, users[2]);

  // Everything holds after a restart (the face -> user map is rebuilt).
  Reopen();
  for (int p = 0; p < 2; ++p) {
    auto r =
        collections_->SearchUsersByImage({.collection_id = "c"}, ReadFile(people[p].images[2]));
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->user_matches.empty());
    EXPECT_EQ(r->user_matches[0].user_id, users[p]);
  }
  gone = collections_->SearchUsersByImage({.collection_id = "c"}, ReadFile(people[2].images[2]));
  ASSERT_TRUE(gone.ok());
  for (const UserMatch& m : gone->user_matches) EXPECT_NE(m.user_id, users[2]);
  auto last = collections_->DisassociateFaces(
      {.collection_id = "c", .user_id = users[0], .face_ids = {faces[0][1]}});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->user_status, UserStatus::kCreated);
}

TEST_F(UsersTest, SearchUsersByImageReportsUnsearchedFaces) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto r = collections_->SearchUsersByImage({.collection_id = "c"},
                                            ReadFile(DataDir() + "/video/two_people.jpg"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->searched_face.has_value());
  ASSERT_EQ(r->unsearched_faces.size(), 1u);
  EXPECT_EQ(r->unsearched_faces[0].reasons, std::vector<std::string>{"FACE_NOT_LARGEST"});
  EXPECT_TRUE(r->user_matches.empty());
  // An image without a face: no SearchedFace, no matches, not an error.
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", grey, jpeg));
  auto blank = collections_->SearchUsersByImage({.collection_id = "c"},
                                                std::string(jpeg.begin(), jpeg.end()));
  ASSERT_TRUE(blank.ok()) << blank.status().ToString();
  EXPECT_FALSE(blank->searched_face.has_value());
  EXPECT_TRUE(blank->user_matches.empty());
  EXPECT_TRUE(blank->unsearched_faces.empty());
}

TEST_F(UsersTest, ListUsersPaginatesInUserIdOrder) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  std::vector<std::string> ids;
  for (int i = 6; i >= 0; --i) {
    ids.push_back("u" + std::to_string(i));
    ASSERT_EQ(CreateUserCode(ids.back()), StatusCode::kOk);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    auto page = collections_->ListUsers("c", token, 3);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const UserSummary& u : page->users) {
      listed.push_back(u.user_id);
      EXPECT_EQ(u.status, UserStatus::kCreated);
    }
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, ids);
  auto all = collections_->ListUsers("c", "", 0);  // default: up to 500
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->users.size(), 7u);
  EXPECT_TRUE(all->next_token.empty());
  EXPECT_EQ(collections_->ListUsers("c", "", 501).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->ListUsers("c", "", -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->ListUsers("c", "f.00", 10).status().code(),
            StatusCode::kInvalidPaginationToken);
  EXPECT_EQ(collections_->ListUsers("missing", "", 10).status().code(), StatusCode::kNotFound);
}

TEST_F(UsersTest, ClientRequestTokenMakesRetriesIdempotent) {
  const std::vector<Person> people = People(1);
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  const std::string a0 = Index(people[0].images[0]), a1 = Index(people[0].images[1]);

  // CreateUser: the retry succeeds and creates nothing more; without a token
  // the duplicate is ConflictException; the token with another UserId is a
  // mismatch.
  EXPECT_EQ(CreateUserCode("u", "create-1"), StatusCode::kOk);
  EXPECT_EQ(CreateUserCode("u", "create-1"), StatusCode::kOk);
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 1);
  const Status duplicate = collections_->CreateUser({"c", "u", ""});
  EXPECT_EQ(duplicate.code(), StatusCode::kConflict);
  EXPECT_EQ(ErrorTypeName(duplicate.code()), "ConflictException");
  const Status mismatch = collections_->CreateUser({"c", "v", "create-1"});
  EXPECT_EQ(mismatch.code(), StatusCode::kIdempotentParameterMismatch);
  EXPECT_EQ(ErrorTypeName(mismatch.code()), "IdempotentParameterMismatchException");
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 1);

  // AssociateFaces: the retry returns the first response and does not run
  // again (a disassociation in between stays), also after a restart.
  const AssociateFacesResult first = Associate("u", {a0, kUnknownFace}, 75, "assoc-1");
  EXPECT_EQ(first.associated_faces, std::vector<std::string>{a0});
  ASSERT_TRUE(
      collections_->DisassociateFaces({.collection_id = "c", .user_id = "u", .face_ids = {a0}})
          .ok());
  Reopen();
  const AssociateFacesResult retry = Associate("u", {a0, kUnknownFace}, 75, "assoc-1");
  EXPECT_EQ(retry.associated_faces, first.associated_faces);
  ASSERT_EQ(retry.unsuccessful.size(), 1u);
  EXPECT_EQ(retry.unsuccessful[0].face_id, kUnknownFace);
  EXPECT_EQ(retry.unsuccessful[0].reasons, first.unsuccessful[0].reasons);
  EXPECT_EQ(retry.user_status, first.user_status);
  EXPECT_EQ(UserOfFace(a0), "");
  EXPECT_EQ(collections_
                ->AssociateFaces({.collection_id = "c",
                                  .user_id = "u",
                                  .face_ids = {a1},
                                  .client_request_token = "assoc-1"})
                .status()
                .code(),
            StatusCode::kIdempotentParameterMismatch);
  // The threshold is a parameter too.
  EXPECT_EQ(collections_
                ->AssociateFaces({.collection_id = "c",
                                  .user_id = "u",
                                  .face_ids = {a0, kUnknownFace},
                                  .user_match_threshold = 90,
                                  .client_request_token = "assoc-1"})
                .status()
                .code(),
            StatusCode::kIdempotentParameterMismatch);

  // DisassociateFaces and DeleteUser likewise.
  Associate("u", {a0, a1});
  auto d1 = collections_->DisassociateFaces(
      {.collection_id = "c", .user_id = "u", .face_ids = {a1}, .client_request_token = "dis-1"});
  ASSERT_TRUE(d1.ok());
  auto d2 = collections_->DisassociateFaces(
      {.collection_id = "c", .user_id = "u", .face_ids = {a1}, .client_request_token = "dis-1"});
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(d2->disassociated_faces, d1->disassociated_faces);
  EXPECT_EQ(d2->disassociated_faces, std::vector<std::string>{a1});
  EXPECT_TRUE(collections_->DeleteUser({"c", "u", "delete-1"}).ok());
  EXPECT_TRUE(collections_->DeleteUser({"c", "u", "delete-1"}).ok());
  EXPECT_EQ(collections_->DeleteUser({"c", "u", "delete-2"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 0);
  EXPECT_EQ(UserOfFace(a0), "");
}

TEST_F(UsersTest, AUserHoldsAtMost100Faces) {
  // 102 copies of one real face, written through the store (IndexFaces of
  // one photo 102 times would take seconds).
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  auto embedded = engine_->EmbedFaces(ReadFile(DataDir() + "/video/obama.jpg"), 1);
  ASSERT_TRUE(embedded.ok());
  collections_.reset();
  std::vector<std::string> ids;
  {
    auto store = store::Store::OpenSqlite(dir_);
    ASSERT_TRUE(store.ok());
    std::vector<store::FaceRecord> records(102);
    for (size_t i = 0; i < records.size(); ++i) {
      char id[48];
      std::snprintf(id, sizeof(id), "%08x-0000-4000-8000-000000000000",
                    static_cast<unsigned>(i + 1));
      records[i].face_id = id;
      records[i].image_id = id;
      records[i].box = {0.1f, 0.1f, 0.5f, 0.5f};
      records[i].confidence = 99;
      records[i].face_model_version = engine_->face_model_version();
      records[i].embedding = embedded->faces.at(0).embedding;
      ids.push_back(id);
    }
    ASSERT_TRUE((*store)->InsertFaces("c", &records).ok());
  }
  Reopen();
  ASSERT_EQ(CreateUserCode("u"), StatusCode::kOk);
  const std::vector<std::string> first60(ids.begin(), ids.begin() + 60);
  const std::vector<std::string> next41(ids.begin() + 60, ids.begin() + 101);
  EXPECT_EQ(Associate("u", first60).associated_faces.size(), 60u);
  auto over =
      collections_->AssociateFaces({.collection_id = "c", .user_id = "u", .face_ids = next41});
  EXPECT_EQ(over.status().code(), StatusCode::kServiceQuotaExceeded);
  EXPECT_EQ(ErrorTypeName(over.status().code()), "ServiceQuotaExceededException");
  EXPECT_EQ(collections_->ListUsers("c", "", 10)->users.at(0).face_count, 60);  // unchanged
  EXPECT_EQ(Associate("u", std::vector<std::string>(next41.begin(), next41.end() - 1))
                .associated_faces.size(),
            40u);
  EXPECT_EQ(
      collections_->AssociateFaces({.collection_id = "c", .user_id = "u", .face_ids = {ids[101]}})
          .status()
          .code(),
      StatusCode::kServiceQuotaExceeded);
  // A user of 100 identical faces is still one match.
  auto r = collections_->SearchUsersByImage({.collection_id = "c"},
                                            ReadFile(DataDir() + "/video/obama.jpg"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->user_matches.size(), 1u);
  EXPECT_EQ(r->user_matches[0].user_id, "u");
}

TEST_F(UsersTest, ValidationErrors) {
  ASSERT_TRUE(collections_->CreateCollection("c").ok());
  for (const std::string& bad :
       std::vector<std::string>{"", std::string(129, 'a'), "has space", "slash/no", "ümlaut"}) {
    EXPECT_EQ(CreateUserCode(bad), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(CreateUserCode(std::string(128, 'a')), StatusCode::kOk);
  for (const std::string& bad :
       std::vector<std::string>{"has space", std::string(65, 't'), "a.b"}) {
    EXPECT_EQ(CreateUserCode("v", bad), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(CreateUserCode("u"), StatusCode::kOk);
  EXPECT_EQ(CreateUserCode("u", "bad token!"), StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->CreateUser({"missing", "u", ""}).code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->CreateUser({"bad id", "u", ""}).code(), StatusCode::kInvalidArgument);

  const auto associate_code = [&](AssociateFacesRequest request) {
    if (request.collection_id.empty()) request.collection_id = "c";
    return collections_->AssociateFaces(request).status().code();
  };
  EXPECT_EQ(associate_code({.user_id = "u", .face_ids = {}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      associate_code({.user_id = "u", .face_ids = std::vector<std::string>(101, kUnknownFace)}),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(associate_code({.user_id = "u", .face_ids = {"not-a-uuid"}}),
            StatusCode::kInvalidArgument);
  for (float threshold : {-1.f, 100.5f, std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_EQ(associate_code(
                  {.user_id = "u", .face_ids = {kUnknownFace}, .user_match_threshold = threshold}),
              StatusCode::kInvalidArgument)
        << threshold;
  }
  EXPECT_EQ(associate_code({.user_id = "nobody", .face_ids = {kUnknownFace}}),
            StatusCode::kNotFound);
  EXPECT_EQ(
      associate_code({.collection_id = "missing", .user_id = "u", .face_ids = {kUnknownFace}}),
      StatusCode::kNotFound);
  EXPECT_EQ(collections_
                ->DisassociateFaces(
                    {.collection_id = "c", .user_id = "nobody", .face_ids = {kUnknownFace}})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->DisassociateFaces({.collection_id = "c", .user_id = "u", .face_ids = {}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->DeleteUser({"c", "nobody", ""}).code(), StatusCode::kNotFound);
  EXPECT_EQ(collections_->DeleteUser({"c", "", ""}).code(), StatusCode::kInvalidArgument);

  const auto search_code = [&](SearchUsersRequest request) {
    request.collection_id = request.collection_id.empty() ? "c" : request.collection_id;
    return collections_->SearchUsers(request).status().code();
  };
  EXPECT_EQ(search_code({}), StatusCode::kInvalidArgument);  // neither UserId nor FaceId
  EXPECT_EQ(search_code({.user_id = "u", .face_id = kUnknownFace}), StatusCode::kInvalidArgument);
  EXPECT_EQ(search_code({.user_id = "u", .max_users = 0}), StatusCode::kInvalidArgument);
  EXPECT_EQ(search_code({.user_id = "u", .max_users = 501}), StatusCode::kInvalidArgument);
  EXPECT_EQ(search_code({.user_id = "u", .user_match_threshold = 101}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(search_code({.face_id = "nope"}), StatusCode::kInvalidArgument);
  EXPECT_EQ(search_code({.user_id = "nobody"}), StatusCode::kNotFound);
  EXPECT_EQ(search_code({.face_id = kUnknownFace}), StatusCode::kNotFound);
  EXPECT_EQ(search_code({.user_id = "u"}), StatusCode::kOk);  // a user without faces
  const std::string face = ReadFile(DataDir() + "/video/obama.jpg");
  EXPECT_EQ(collections_->SearchUsersByImage({.collection_id = "c", .max_users = 501}, face)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(collections_->SearchUsersByImage({.collection_id = "missing"}, face).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(collections_->SearchUsersByImage({.collection_id = "c"}, "junk").status().code(),
            StatusCode::kInvalidImageFormat);
  // None of the failures changed anything.
  EXPECT_EQ(collections_->DescribeCollection("c")->user_count, 2);
  EXPECT_EQ(collections_->DescribeCollection("c")->face_count, 0);
}

}  // namespace
}  // namespace candor
