// Rekognition's user operations on a collection: CreateUser, DeleteUser,
// ListUsers, AssociateFaces, DisassociateFaces, SearchUsers and
// SearchUsersByImage. Collections (collections.cc) forwards to them.
#ifndef CANDOR_COLLECTIONS_USERS_H_
#define CANDOR_COLLECTIONS_USERS_H_

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "candor/collections.h"
#include "collections/collection_state.h"
#include "collections/gallery_false_match.h"
#include "store/store.h"

namespace candor {

// Borrows the engine and the store (both must outlive it) and reaches each
// collection's in-memory state through `state_of`, which loads it on first
// use and fails with NotFound for an unknown collection. Each store write's
// effect on memory is made through `apply_write` (right after the write, on
// the same thread: on a shared store it is ordered with the other nodes'
// changes; collections/store_sync.h).
//
// Thread safety: safe for concurrent use. The mutating calls of one
// collection run one at a time (CollectionState::user_write_mutex); every one
// is a single store transaction, together with its ClientRequestToken's
// response, and only then visible in memory.
class UserOperations {
 public:
  using StateOf = std::function<StatusOr<std::shared_ptr<CollectionState>>(const std::string&)>;
  using ApplyWrite = std::function<Status(const std::function<Status()>&)>;

  UserOperations(Engine* engine, store::Store* store, StateOf state_of, ApplyWrite apply_write)
      : engine_(engine),
        store_(store),
        state_of_(std::move(state_of)),
        apply_write_(std::move(apply_write)) {}

  Status CreateUser(const UserRequest& request);
  Status DeleteUser(const UserRequest& request);
  StatusOr<UserListPage> ListUsers(const std::string& collection_id, const std::string& next_token,
                                   int max_results);
  StatusOr<AssociateFacesResult> AssociateFaces(const AssociateFacesRequest& request);
  StatusOr<DisassociateFacesResult> DisassociateFaces(const DisassociateFacesRequest& request);
  StatusOr<SearchUsersResult> SearchUsers(const SearchUsersRequest& request);
  StatusOr<SearchUsersResult> SearchUsersByImage(const SearchUsersByImageRequest& request,
                                                 const std::string& image_bytes);

 private:
  // The best face of each user for one probe: user_id -> (cosine, face_id).
  struct Best {
    float cosine;
    std::string face_id;
  };
  // Searches the index and keeps the best face of each user, skipping
  // `exclude_face_id` and the faces of `exclude_user_id`, until `max_users`
  // users are found or no face above `min_cosine` is left.
  void SearchByUser(CollectionState& state, const std::vector<float>& probe, float min_cosine,
                    int max_users, const std::string& exclude_face_id,
                    const std::string& exclude_user_id,
                    std::unordered_map<std::string, Best>* best) const;
  // Ranks `best`, keeps max_users at or above the threshold, fills `result`
  // (its rates with the collection's `gallery` measurement).
  void FillMatches(const std::unordered_map<std::string, Best>& best, float threshold,
                   int max_users, int probes, int64_t faces_searched,
                   const GalleryMeasurement& gallery, SearchUsersResult* result) const;
  // The collection's gallery measurement (MeasuredGallery).
  StatusOr<std::shared_ptr<const GalleryMeasurement>> Gallery(const std::string& collection_id,
                                                              CollectionState& state) const;
  // NotFound for a missing user, with the collection named.
  static Status UserNotFound(const std::string& collection_id, const std::string& user_id);

  Engine* const engine_;
  store::Store* const store_;
  const StateOf state_of_;
  const ApplyWrite apply_write_;
};

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_USERS_H_
