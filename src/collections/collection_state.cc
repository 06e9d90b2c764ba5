#include "collections/collection_state.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

namespace candor {

void RememberFace(const store::FaceRecord& f, CollectionState* state) {
  state->face_of_row[f.row_id] = f.face_id;
  state->row_of_face[f.face_id] = f.row_id;
  if (!f.user_id.empty()) state->user_of_face[f.face_id] = f.user_id;
}

void ForgetFace(const std::string& face_id, CollectionState* state) {
  state->user_of_face.erase(face_id);
  auto it = state->row_of_face.find(face_id);
  if (it == state->row_of_face.end()) return;
  (void)state->index->Remove(it->second);  // absent is fine: already gone
  state->face_of_row.erase(it->second);
  state->row_of_face.erase(it);
}

StatusOr<std::shared_ptr<CollectionState>> LoadCollectionState(
    store::Store& store, const store::CollectionRecord& record, int dimension,
    size_t approximate_min_faces) {
  auto state = std::make_shared<CollectionState>();
  index::AdaptiveIndexOptions index_options;
  index_options.dimension = dimension;
  index_options.approximate_min_vectors = approximate_min_faces;
  state->index = index::CreateAdaptiveIndex(index_options);
  const size_t expected = static_cast<size_t>(std::max<int64_t>(0, record.face_count));
  state->index->Reserve(expected);
  // Sized once: growing them rehashed every entry ~20 times on the way to
  // 1M faces (a fifth of the node's CPU time loading, measured with perf).
  state->face_of_row.reserve(expected);
  state->row_of_face.reserve(expected);
  Status load_status;
  CANDOR_RETURN_IF_ERROR(store.ForEachFace(record.collection_id, [&](const store::FaceRecord& f) {
    if (!load_status.ok()) return;
    load_status = state->index->Add(f.row_id, f.embedding);
    RememberFace(f, state.get());
  }));
  CANDOR_RETURN_IF_ERROR(load_status);
  return state;
}

Status RefreshFacesFromStore(store::Store& store, const std::string& collection_id,
                             const std::vector<std::string>& face_ids, CollectionState* state) {
  // Embeddings are read only for faces memory does not hold.
  std::vector<std::string> held, missing;
  {
    std::shared_lock<std::shared_mutex> lock(state->mutex);
    for (const std::string& f : face_ids) {
      (state->row_of_face.count(f) > 0 ? held : missing).push_back(f);
    }
  }
  std::unordered_map<std::string, store::FaceRecord> rows;
  for (const auto* ids : {&missing, &held}) {
    if (ids->empty()) continue;
    auto records = store.GetFaces(collection_id, *ids, ids == &missing);
    // A collection deleted meanwhile: none of its faces exists (its own
    // deletion comes later in the log).
    if (records.status().code() == StatusCode::kNotFound) continue;
    CANDOR_RETURN_IF_ERROR(records.status());
    for (store::FaceRecord& r : *records) rows[r.face_id] = std::move(r);
  }
  std::unique_lock<std::shared_mutex> lock(state->mutex);
  for (const std::string& f : face_ids) {
    auto row = rows.find(f);
    if (row == rows.end()) {
      ForgetFace(f, state);
      continue;
    }
    if (state->row_of_face.count(f) == 0) {
      CANDOR_RETURN_IF_ERROR(state->index->Add(row->second.row_id, row->second.embedding));
    }
    RememberFace(row->second, state);
    if (row->second.user_id.empty()) state->user_of_face.erase(f);
  }
  return Status::Ok();
}

}  // namespace candor
