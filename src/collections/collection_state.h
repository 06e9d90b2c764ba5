// The in-memory side of one collection, shared by the collection operations
// (collections.cc) and the user operations (users.cc).
#ifndef CANDOR_COLLECTIONS_COLLECTION_STATE_H_
#define CANDOR_COLLECTIONS_COLLECTION_STATE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "candor/status.h"
#include "collections/gallery_false_match.h"
#include "index/adaptive_index.h"
#include "store/store.h"

namespace candor {

// One collection's index (exact while small, the sketch index from
// index::kApproximateMinVectors faces on: adaptive_index.h), the map from
// index labels (store row ids) to
// FaceIds, and the users of associated faces. Loaded from the store on first
// use and changed only after the store has committed a change.
//
// Thread safety: `index` is safe for concurrent use by itself; `mutex`
// guards the three maps (shared for reads). `user_write_mutex` serialises
// the user operations of this collection within the process, so that what
// one of them reads from the store is still true when it writes (another
// process is caught by the store's conditional updates: ConflictException).
// `erase_mutex` is held shared by IndexFaces from its store insert until its
// faces are in the index, and exclusively by EraseFacesIndexedBefore, so that
// an erasure never misses a face that is committed but not yet in the index
// (its vector would stay in memory after the store erased it).
// Lock order: user_write_mutex, then erase_mutex, then the StoreSync's apply
// mutex (collections/store_sync.h), then mutex.
// `gallery` (the slot's, shared) is thread-safe by itself and measures with
// none of these held; every change of faces or of their users is noted in it
// after it is in memory.
struct CollectionState {
  std::unique_ptr<index::AdaptiveIndex> index;
  std::shared_mutex mutex;
  std::unordered_map<int64_t, std::string> face_of_row;
  std::unordered_map<std::string, int64_t> row_of_face;
  std::unordered_map<std::string, std::string> user_of_face;  // associated faces only
  std::mutex user_write_mutex;
  std::shared_mutex erase_mutex;
  std::shared_ptr<GalleryMeasurementCache> gallery;
};

// A collection's slot in the map of loaded collections: loaded once, by the
// first caller, holding only this slot's mutex, so that loading one large
// collection never blocks calls on the others. The gallery measurement lives
// here, not in the state, so that DescribeCollection can measure and keep it
// without loading the index.
struct CollectionSlot {
  std::mutex load_mutex;
  std::shared_ptr<CollectionState> state;  // guarded by load_mutex; null until loaded
  // On a shared store: the same state once handed to the follower
  // (StoreSync::Publish), which then applies other nodes' changes to it.
  // Guarded by the StoreSync's apply mutex.
  std::shared_ptr<CollectionState> synced;
  const std::shared_ptr<GalleryMeasurementCache> gallery =
      std::make_shared<GalleryMeasurementCache>();
};

// Building and changing a state (collection_state.cc). The callers hold
// state->mutex exclusively for RememberFace and ForgetFace; the other two
// take it themselves.

// Builds the state of `record`'s collection from the store (every face, in
// one snapshot), exact below `approximate_min_faces` faces, sketch from there.
StatusOr<std::shared_ptr<CollectionState>> LoadCollectionState(
    store::Store& store, const store::CollectionRecord& record, int dimension,
    size_t approximate_min_faces);
// Notes a face (the index holds its vector already) and its user.
void RememberFace(const store::FaceRecord& face, CollectionState* state);
// Takes a face out of the index and the maps; absent is fine.
void ForgetFace(const std::string& face_id, CollectionState* state);
// Makes the state agree with the current rows of `face_ids` in `store`:
// a face memory lacks is added (its embedding read), one the store lacks is
// taken out, and each one's user set. Used by a node following the others
// (store_sync.h); converges whatever order or number of times it runs in.
Status RefreshFacesFromStore(store::Store& store, const std::string& collection_id,
                             const std::vector<std::string>& face_ids, CollectionState* state);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_COLLECTION_STATE_H_
