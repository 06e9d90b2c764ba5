#include "collections/users.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "collections/quality_filter.h"
#include "collections/request_token.h"
#include "collections/validation.h"

namespace candor {
namespace {

// Rekognition's limits (API reference of each operation).
constexpr int kMaxFacesPerCall = 100;  // AssociateFaces / DisassociateFaces FaceIds
constexpr int kMaxFacesPerUser = 100;  // "the total number of faces ... limited to 100"
constexpr int kMaxUserResults = 500;   // ListUsers MaxResults, Search* MaxUsers
// Rekognition documents no default for ListUsers' MaxResults: a full page.
constexpr int kDefaultListUsers = kMaxUserResults;
// SearchUsersByImage reports every other face of the image as UnsearchedFaces.
constexpr int kMaxImageFaces = 100;
// First number of neighbours a grouped search asks the index for, per user
// wanted; grown fourfold while users are still missing (see SearchByUser).
constexpr int kNeighboursPerUser = 4;
constexpr int kMinNeighbours = 64;

constexpr char kCreateUser[] = "CreateUser";
constexpr char kDeleteUser[] = "DeleteUser";
constexpr char kAssociateFaces[] = "AssociateFaces";
constexpr char kDisassociateFaces[] = "DisassociateFaces";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += a[i] * b[i];
  return sum;
}

UserStatus StatusFor(int64_t face_count) {
  return face_count > 0 ? UserStatus::kActive : UserStatus::kCreated;
}

Status ValidateFaceIds(const std::vector<std::string>& face_ids) {
  if (face_ids.empty() || face_ids.size() > kMaxFacesPerCall) {
    return Status::InvalidArgument("FaceIds must hold 1 to 100 face ids");
  }
  for (const std::string& f : face_ids) CANDOR_RETURN_IF_ERROR(ValidateFaceId(f));
  return Status::Ok();
}

Status ValidateMaxUsers(int max_users, const char* name) {
  if (max_users < 1 || max_users > kMaxUserResults) {
    return Status::InvalidArgument(std::string(name) + " must be between 1 and 500");
  }
  return Status::Ok();
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string joined;
  for (const std::string& id : ids) joined += (joined.empty() ? "" : ",") + id;
  return joined;
}

// A failed write that carried a token may have lost a race with the same
// request in another process or thread: if the token now has a response,
// that response is the answer.
template <typename Decode>
auto AfterFailedWrite(store::Store* store, const std::string& collection_id,
                      const std::string& operation, const std::string& token,
                      const std::string& fingerprint, const Status& failure, Decode decode)
    -> decltype(decode(std::string())) {
  if (!token.empty() && failure.code() == StatusCode::kAlreadyExists) {
    CANDOR_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                            LookUpToken(store, collection_id, operation, token, fingerprint));
    if (stored) return decode(*stored);
  }
  return failure;
}

}  // namespace

std::string_view UserStatusName(UserStatus status) {
  switch (status) {
    case UserStatus::kCreated:
      return "CREATED";
    case UserStatus::kActive:
      return "ACTIVE";
  }
  return "CREATED";
}

Status UserOperations::UserNotFound(const std::string& collection_id, const std::string& user_id) {
  return Status::NotFound("The user id: " + user_id + " does not exist in collection " +
                          collection_id);
}

Status UserOperations::CreateUser(const UserRequest& request) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  CANDOR_RETURN_IF_ERROR(ValidateClientRequestToken(request.client_request_token));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  const std::string fingerprint = Fingerprint({request.user_id});
  CANDOR_ASSIGN_OR_RETURN(std::optional<std::string> replay,
                          LookUpToken(store_, request.collection_id, kCreateUser,
                                      request.client_request_token, fingerprint));
  if (replay) return Status::Ok();
  std::lock_guard<std::mutex> write_lock(state->user_write_mutex);
  const store::TokenWrite token{kCreateUser, request.client_request_token,
                                TokenValue(fingerprint, "")};
  Status s = store_->CreateUser(request.collection_id, {request.user_id, NowMs(), 0},
                                request.client_request_token.empty() ? nullptr : &token);
  if (s.ok()) return s;
  if (s.code() == StatusCode::kNotFound) return NotFoundCollection(request.collection_id);
  s = AfterFailedWrite(store_, request.collection_id, kCreateUser, request.client_request_token,
                       fingerprint, s, [](const std::string&) { return Status::Ok(); });
  if (s.code() == StatusCode::kAlreadyExists) {
    // Rekognition: "A User with the same Id already exists within the
    // collection" is ConflictException.
    return Status::Conflict("The user id: " + request.user_id + " already exists in collection " +
                            request.collection_id);
  }
  return s;
}

Status UserOperations::DeleteUser(const UserRequest& request) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  CANDOR_RETURN_IF_ERROR(ValidateClientRequestToken(request.client_request_token));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  const std::string fingerprint = Fingerprint({request.user_id});
  CANDOR_ASSIGN_OR_RETURN(std::optional<std::string> replay,
                          LookUpToken(store_, request.collection_id, kDeleteUser,
                                      request.client_request_token, fingerprint));
  if (replay) return Status::Ok();
  std::lock_guard<std::mutex> write_lock(state->user_write_mutex);
  const store::TokenWrite token{kDeleteUser, request.client_request_token,
                                TokenValue(fingerprint, "")};
  auto faces = store_->DeleteUser(request.collection_id, request.user_id,
                                  request.client_request_token.empty() ? nullptr : &token);
  if (!faces.ok()) {
    if (faces.status().code() == StatusCode::kNotFound) {
      return UserNotFound(request.collection_id, request.user_id);
    }
    return AfterFailedWrite(store_, request.collection_id, kDeleteUser,
                            request.client_request_token, fingerprint, faces.status(),
                            [](const std::string&) { return Status::Ok(); });
  }
  CANDOR_RETURN_IF_ERROR(apply_write_([&] {
    std::unique_lock<std::shared_mutex> lock(state->mutex);
    for (const std::string& f : *faces) state->user_of_face.erase(f);
    return Status::Ok();
  }));
  state->gallery->NoteChanges(static_cast<int64_t>(faces->size()));
  return Status::Ok();
}

StatusOr<UserListPage> UserOperations::ListUsers(const std::string& collection_id,
                                                 const std::string& next_token, int max_results) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(collection_id));
  const int limit = max_results == 0 ? kDefaultListUsers : max_results;
  CANDOR_RETURN_IF_ERROR(ValidateMaxUsers(limit, "MaxResults"));
  std::string after;
  if (!next_token.empty()) {
    CANDOR_ASSIGN_OR_RETURN(after, DecodeShortPageToken("u", collection_id, next_token));
  }
  auto records = store_->ListUsers(collection_id, after, limit + 1);
  if (records.status().code() == StatusCode::kNotFound) return NotFoundCollection(collection_id);
  CANDOR_RETURN_IF_ERROR(records.status());
  UserListPage page;
  for (size_t i = 0; i < records->size() && static_cast<int>(i) < limit; ++i) {
    const store::UserRecord& r = (*records)[i];
    page.users.push_back({r.user_id, StatusFor(r.face_count), r.face_count});
  }
  if (static_cast<int>(records->size()) > limit) {
    page.next_token = EncodePageToken("u", collection_id, page.users.back().user_id);
  }
  return page;
}

StatusOr<AssociateFacesResult> UserOperations::AssociateFaces(
    const AssociateFacesRequest& request) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  CANDOR_RETURN_IF_ERROR(ValidateFaceIds(request.face_ids));
  CANDOR_RETURN_IF_ERROR(ValidatePercent(request.user_match_threshold, "UserMatchThreshold"));
  CANDOR_RETURN_IF_ERROR(ValidateClientRequestToken(request.client_request_token));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  const std::string& collection = request.collection_id;
  const std::string fingerprint = Fingerprint(
      {request.user_id, JoinIds(request.face_ids), FingerprintFloat(request.user_match_threshold)});
  CANDOR_ASSIGN_OR_RETURN(
      std::optional<std::string> replay,
      LookUpToken(store_, collection, kAssociateFaces, request.client_request_token, fingerprint));
  if (replay) return DecodeAssociateFacesResult(*replay);

  std::lock_guard<std::mutex> write_lock(state->user_write_mutex);
  auto user = store_->GetUser(collection, request.user_id);
  if (user.status().code() == StatusCode::kNotFound) {
    return UserNotFound(collection, request.user_id);
  }
  CANDOR_RETURN_IF_ERROR(user.status());
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> existing_ids,
                          store_->FacesOfUser(collection, request.user_id));
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::FaceRecord> existing,
                          store_->GetFaces(collection, existing_ids, true));
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::FaceRecord> requested,
                          store_->GetFaces(collection, request.face_ids, true));
  std::unordered_map<std::string, const store::FaceRecord*> by_id;
  for (const store::FaceRecord& r : requested) by_id[r.face_id] = &r;

  // The threshold applies to a user that holds a face before this call
  // (Rekognition: "a UserID that has at least one FaceID already
  // associated"); the user's Similarity is the best over those faces.
  const Calibration& calibration = engine_->calibration();
  AssociateFacesResult result;
  std::set<std::string> seen;
  for (const std::string& face_id : request.face_ids) {
    if (!seen.insert(face_id).second) continue;
    auto it = by_id.find(face_id);
    if (it == by_id.end()) {
      result.unsuccessful.push_back({face_id, request.user_id, std::nullopt, {"FACE_NOT_FOUND"}});
      continue;
    }
    const store::FaceRecord& face = *it->second;
    if (face.user_id == request.user_id) continue;  // already this user's: ignored
    if (!face.user_id.empty()) {
      result.unsuccessful.push_back(
          {face_id, face.user_id, std::nullopt, {"ASSOCIATED_TO_A_DIFFERENT_USER"}});
      continue;
    }
    if (!existing.empty()) {
      float best = -1;
      for (const store::FaceRecord& e : existing)
        best = std::max(best, Dot(face.embedding, e.embedding));
      const float similarity = calibration.Similarity(best);
      if (similarity < request.user_match_threshold) {
        result.unsuccessful.push_back(
            {face_id, request.user_id, similarity, {"LOW_MATCH_CONFIDENCE"}});
        continue;
      }
    }
    result.associated_faces.push_back(face_id);
  }
  const int64_t total = static_cast<int64_t>(existing_ids.size() + result.associated_faces.size());
  if (total > kMaxFacesPerUser) {
    return Status::ServiceQuotaExceeded(
        "The user id: " + request.user_id + " holds " + std::to_string(existing_ids.size()) +
        " faces; " + std::to_string(result.associated_faces.size()) +
        " more would exceed the limit of 100 faces per user. Nothing was associated");
  }
  result.user_status = StatusFor(total);

  if (!result.associated_faces.empty() || !request.client_request_token.empty()) {
    const store::TokenWrite token{kAssociateFaces, request.client_request_token,
                                  TokenValue(fingerprint, EncodeResult(result))};
    Status s = store_->UpdateUserFaces(collection, request.user_id, result.associated_faces, {},
                                       kMaxFacesPerUser,
                                       request.client_request_token.empty() ? nullptr : &token);
    if (s.code() == StatusCode::kNotFound) return UserNotFound(collection, request.user_id);
    if (!s.ok()) {
      return AfterFailedWrite(store_, collection, kAssociateFaces, request.client_request_token,
                              fingerprint, s, DecodeAssociateFacesResult);
    }
  }
  CANDOR_RETURN_IF_ERROR(apply_write_([&] {
    std::unique_lock<std::shared_mutex> lock(state->mutex);
    for (const std::string& f : result.associated_faces) state->user_of_face[f] = request.user_id;
    return Status::Ok();
  }));
  state->gallery->NoteChanges(static_cast<int64_t>(result.associated_faces.size()));
  return result;
}

StatusOr<DisassociateFacesResult> UserOperations::DisassociateFaces(
    const DisassociateFacesRequest& request) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  CANDOR_RETURN_IF_ERROR(ValidateFaceIds(request.face_ids));
  CANDOR_RETURN_IF_ERROR(ValidateClientRequestToken(request.client_request_token));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  const std::string& collection = request.collection_id;
  const std::string fingerprint = Fingerprint({request.user_id, JoinIds(request.face_ids)});
  CANDOR_ASSIGN_OR_RETURN(std::optional<std::string> replay,
                          LookUpToken(store_, collection, kDisassociateFaces,
                                      request.client_request_token, fingerprint));
  if (replay) return DecodeDisassociateFacesResult(*replay);

  std::lock_guard<std::mutex> write_lock(state->user_write_mutex);
  auto user = store_->GetUser(collection, request.user_id);
  if (user.status().code() == StatusCode::kNotFound) {
    return UserNotFound(collection, request.user_id);
  }
  CANDOR_RETURN_IF_ERROR(user.status());
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::FaceRecord> requested,
                          store_->GetFaces(collection, request.face_ids, false));
  std::unordered_map<std::string, const store::FaceRecord*> by_id;
  for (const store::FaceRecord& r : requested) by_id[r.face_id] = &r;
  DisassociateFacesResult result;
  std::set<std::string> seen;
  for (const std::string& face_id : request.face_ids) {
    if (!seen.insert(face_id).second) continue;
    auto it = by_id.find(face_id);
    if (it == by_id.end()) {
      result.unsuccessful.push_back({face_id, request.user_id, {"FACE_NOT_FOUND"}});
    } else if (it->second->user_id == request.user_id) {
      result.disassociated_faces.push_back(face_id);
    } else if (!it->second->user_id.empty()) {
      result.unsuccessful.push_back(
          {face_id, it->second->user_id, {"ASSOCIATED_TO_A_DIFFERENT_USER"}});
    }  // else: associated with no user, ignored as Rekognition documents
  }
  result.user_status =
      StatusFor(user->face_count - static_cast<int64_t>(result.disassociated_faces.size()));

  if (!result.disassociated_faces.empty() || !request.client_request_token.empty()) {
    const store::TokenWrite token{kDisassociateFaces, request.client_request_token,
                                  TokenValue(fingerprint, EncodeResult(result))};
    Status s = store_->UpdateUserFaces(collection, request.user_id, {}, result.disassociated_faces,
                                       kMaxFacesPerUser,
                                       request.client_request_token.empty() ? nullptr : &token);
    if (s.code() == StatusCode::kNotFound) return UserNotFound(collection, request.user_id);
    if (!s.ok()) {
      return AfterFailedWrite(store_, collection, kDisassociateFaces, request.client_request_token,
                              fingerprint, s, DecodeDisassociateFacesResult);
    }
  }
  CANDOR_RETURN_IF_ERROR(apply_write_([&] {
    std::unique_lock<std::shared_mutex> lock(state->mutex);
    for (const std::string& f : result.disassociated_faces) state->user_of_face.erase(f);
    return Status::Ok();
  }));
  state->gallery->NoteChanges(static_cast<int64_t>(result.disassociated_faces.size()));
  return result;
}

void UserOperations::SearchByUser(CollectionState& state, const std::vector<float>& probe,
                                  float min_cosine, int max_users,
                                  const std::string& exclude_face_id,
                                  const std::string& exclude_user_id,
                                  std::unordered_map<std::string, Best>* best) const {
  // Neighbours come best first, so the first face seen of a user is its
  // best. A user may hold up to 100 faces and unassociated faces are
  // skipped, so k neighbours can hold fewer than max_users users: ask for
  // more until enough users are found or the index has no more faces above
  // the threshold. The result is exact, like the index.
  const int size = static_cast<int>(state.index->size());
  int k = std::min(size, std::max(kMinNeighbours, max_users * kNeighboursPerUser));
  std::unordered_map<std::string, Best> found;
  while (k > 0) {
    const std::vector<index::Neighbor> neighbours = state.index->Search(probe, k, min_cosine);
    found.clear();
    {
      std::shared_lock<std::shared_mutex> lock(state.mutex);
      for (const index::Neighbor& n : neighbours) {
        auto face = state.face_of_row.find(n.label);
        if (face == state.face_of_row.end() || face->second == exclude_face_id) continue;
        auto user = state.user_of_face.find(face->second);
        if (user == state.user_of_face.end() || user->second == exclude_user_id) continue;
        found.try_emplace(user->second, Best{n.score, face->second});
        if (static_cast<int>(found.size()) >= max_users) break;
      }
    }
    if (static_cast<int>(found.size()) >= max_users || static_cast<int>(neighbours.size()) < k ||
        k >= size) {
      break;
    }
    k = std::min(size, k * 4);
  }
  for (auto& [user_id, b] : found) {
    auto it = best->find(user_id);
    if (it == best->end() || b.cosine > it->second.cosine) (*best)[user_id] = b;
  }
}

StatusOr<std::shared_ptr<const GalleryMeasurement>> UserOperations::Gallery(
    const std::string& collection_id, CollectionState& state) const {
  auto gallery = MeasuredGallery(*state.gallery, *store_, collection_id, engine_->calibration());
  if (gallery.status().code() == StatusCode::kNotFound) return NotFoundCollection(collection_id);
  return gallery;
}

void UserOperations::FillMatches(const std::unordered_map<std::string, Best>& best, float threshold,
                                 int max_users, int probes, int64_t faces_searched,
                                 const GalleryMeasurement& gallery,
                                 SearchUsersResult* result) const {
  const Calibration& calibration = engine_->calibration();
  std::vector<std::pair<std::string, Best>> ranked(best.begin(), best.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.second.cosine != b.second.cosine) return a.second.cosine > b.second.cosine;
    return a.first < b.first;
  });
  for (const auto& [user_id, b] : ranked) {
    if (static_cast<int>(result->user_matches.size()) >= max_users) break;
    const float similarity = calibration.Similarity(b.cosine);
    if (similarity < threshold) continue;
    // A user found through its faces holds at least one: ACTIVE.
    result->user_matches.push_back(
        {user_id, UserStatus::kActive, similarity, FalseMatchRateAt(similarity), b.face_id});
  }
  result->face_model_version = engine_->face_model_version();
  result->faces_searched = faces_searched;
  result->calibration_version = calibration.version();
  result->collection_false_match_rate = gallery.RateAt(threshold);
  result->expected_false_matches =
      ExpectedFalseMatchRate(threshold, &gallery) * probes * static_cast<double>(faces_searched);
}

StatusOr<SearchUsersResult> UserOperations::SearchUsers(const SearchUsersRequest& request) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  if (request.user_id.empty() == request.face_id.empty()) {
    return Status::InvalidArgument("SearchUsers needs exactly one of UserId and FaceId");
  }
  if (!request.user_id.empty()) CANDOR_RETURN_IF_ERROR(ValidateUserId(request.user_id));
  if (!request.face_id.empty()) CANDOR_RETURN_IF_ERROR(ValidateFaceId(request.face_id));
  CANDOR_RETURN_IF_ERROR(ValidatePercent(request.user_match_threshold, "UserMatchThreshold"));
  CANDOR_RETURN_IF_ERROR(ValidateMaxUsers(request.max_users, "MaxUsers"));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  const std::string& collection = request.collection_id;
  SearchUsersResult result;
  std::vector<store::FaceRecord> probes;
  if (!request.face_id.empty()) {
    result.searched_face_id = request.face_id;
    CANDOR_ASSIGN_OR_RETURN(probes, store_->GetFaces(collection, {request.face_id}, true));
    if (probes.empty()) {
      return Status::NotFound("FaceId " + request.face_id + " is not in collection " + collection);
    }
  } else {
    result.searched_user_id = request.user_id;
    auto user = store_->GetUser(collection, request.user_id);
    if (user.status().code() == StatusCode::kNotFound) {
      return UserNotFound(collection, request.user_id);
    }
    CANDOR_RETURN_IF_ERROR(user.status());
    CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            store_->FacesOfUser(collection, request.user_id));
    CANDOR_ASSIGN_OR_RETURN(probes, store_->GetFaces(collection, ids, true));
  }
  // The probe face (SearchUsers by FaceId) does not match itself, nor a user
  // its own faces (by UserId); the face's own user is still found through
  // its other faces, which is how Rekognition's "closest UserID to associate
  // a face" reads.
  const float min_cosine = engine_->calibration().CosineForSimilarity(request.user_match_threshold);
  std::unordered_map<std::string, Best> best;
  for (const store::FaceRecord& probe : probes) {
    SearchByUser(*state, probe.embedding, min_cosine, request.max_users, request.face_id,
                 request.user_id, &best);
  }
  int64_t faces_searched = static_cast<int64_t>(state->index->size());
  if (!request.face_id.empty()) {
    faces_searched = std::max<int64_t>(0, faces_searched - 1);
  } else {
    faces_searched = std::max<int64_t>(0, faces_searched - static_cast<int64_t>(probes.size()));
  }
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<const GalleryMeasurement> gallery,
                          Gallery(collection, *state));
  FillMatches(best, request.user_match_threshold, request.max_users,
              static_cast<int>(probes.size()), faces_searched, *gallery, &result);
  return result;
}

StatusOr<SearchUsersResult> UserOperations::SearchUsersByImage(
    const SearchUsersByImageRequest& request, const std::string& image_bytes) {
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidatePercent(request.user_match_threshold, "UserMatchThreshold"));
  CANDOR_RETURN_IF_ERROR(ValidateMaxUsers(request.max_users, "MaxUsers"));
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, state_of_(request.collection_id));
  CANDOR_ASSIGN_OR_RETURN(EmbedResult embedded,
                          engine_->EmbedFaces(image_bytes, kMaxImageFaces, AttributeSet::kDefault));
  SearchUsersResult result;
  result.image = embedded.image;
  result.face_model_version = engine_->face_model_version();
  result.calibration_version = engine_->calibration().version();
  for (size_t i = 1; i < embedded.faces.size(); ++i) {
    result.unsearched_faces.push_back({{"FACE_NOT_LARGEST"}, embedded.faces[i].face});
  }
  // Rekognition: "If no valid face is detected in the image, the response
  // will contain an empty UserMatches list and no SearchedFace object."
  if (embedded.faces.empty()) return result;
  const EmbeddedFace& probe = embedded.faces[0];
  std::vector<std::string> reasons = QualityReasons(probe.face, request.quality_filter);
  if (!reasons.empty()) {
    result.unsearched_faces.insert(result.unsearched_faces.begin(),
                                   {std::move(reasons), probe.face});
    return result;
  }
  result.searched_face = probe.face;
  const float min_cosine = engine_->calibration().CosineForSimilarity(request.user_match_threshold);
  std::unordered_map<std::string, Best> best;
  SearchByUser(*state, probe.embedding, min_cosine, request.max_users, "", "", &best);
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<const GalleryMeasurement> gallery,
                          Gallery(request.collection_id, *state));
  FillMatches(best, request.user_match_threshold, request.max_users, 1,
              static_cast<int64_t>(state->index->size()), *gallery, &result);
  return result;
}

}  // namespace candor
