#include "collections/face_search.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "collections/gallery_false_match.h"
#include "collections/validation.h"

namespace candor {
namespace {

// Rescoring of approximate results (Search): extra candidates asked of the
// index, and how far below the threshold's cosine they may score (4 sd of
// the int8 score error of exact_index.h, rounded up).
constexpr int kRescoreExtra = 16;
constexpr float kRescoreMargin = 0.003f;

}  // namespace

StoredFace ToStored(const store::FaceRecord& r) {
  StoredFace f;
  f.face_id = r.face_id;
  f.image_id = r.image_id;
  f.external_image_id = r.external_image_id;
  f.user_id = r.user_id;
  f.box = r.box;
  f.confidence = r.confidence;
  f.face_model_version = r.face_model_version;
  f.indexed_ms = r.indexed_ms;
  return f;
}

Status SearchCollection(Engine& engine, store::Store& store, const SearchRequest& request,
                        CollectionState& state, const std::vector<float>& probe,
                        const std::string& exclude_face_id, SearchFacesResult* result) {
  const Calibration& calibration = engine.calibration();
  const float min_cosine = calibration.CosineForSimilarity(request.face_match_threshold);
  // One more than asked, in case the probe itself (SearchFaces) is found.
  int k = request.max_faces + (exclude_face_id.empty() ? 0 : 1);
  // The approximate index scores int8 codes (error ~5e-4): it is asked for
  // more candidates, a little below the threshold, and they are rescored
  // with the float vectors from the store, so that the order and the
  // similarities are exact (near-ties at rank 1 were the main recall@1
  // loss in bench/collection_bench before this).
  const bool rescore = state.index->approximate();
  std::vector<index::Neighbor> neighbours =
      rescore ? state.index->Search(probe, k + kRescoreExtra, min_cosine - kRescoreMargin)
              : state.index->Search(probe, k, min_cosine);
  std::vector<std::string> ids;
  std::vector<float> scores;
  {
    std::shared_lock<std::shared_mutex> lock(state.mutex);
    result->faces_searched = static_cast<int64_t>(state.index->size());
    for (const index::Neighbor& n : neighbours) {
      auto it = state.face_of_row.find(n.label);
      if (it == state.face_of_row.end() || it->second == exclude_face_id) continue;
      if (!rescore && static_cast<int>(ids.size()) >= request.max_faces) break;
      ids.push_back(it->second);
      scores.push_back(n.score);
    }
  }
  if (rescore && static_cast<int>(ids.size()) > request.max_faces) {
    // Only a candidate whose int8 score is within twice the score error of
    // the last place can take it after rescoring: the others are not read
    // from the store (at 10M faces the store does not fit in the page
    // cache, and each row read can cost a random disk read). Two spare
    // rows stay for a face deleted between the search and the read.
    const size_t last = static_cast<size_t>(request.max_faces) - 1;
    const float cut = scores[last] - 2 * kRescoreMargin;
    size_t keep = std::min(ids.size(), last + 3);
    while (keep < ids.size() && scores[keep] >= cut) ++keep;
    ids.resize(keep);
    scores.resize(keep);
  }
  if (!exclude_face_id.empty() && result->faces_searched > 0) --result->faces_searched;
  result->face_model_version = engine.face_model_version();
  // Measured with no lock of the collection held; waits for one
  // measurement at most (GalleryMeasurementCache).
  auto measured = MeasuredGallery(*state.gallery, store, request.collection_id, calibration);
  if (measured.status().code() == StatusCode::kNotFound) {
    return NotFoundCollection(request.collection_id);
  }
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<const GalleryMeasurement> gallery, std::move(measured));
  result->calibration_version = calibration.version();
  result->collection_false_match_rate = gallery->RateAt(request.face_match_threshold);
  result->expected_false_matches =
      ExpectedFalseMatchRate(request.face_match_threshold, gallery.get()) *
      static_cast<double>(result->faces_searched);
  if (ids.empty()) return Status::Ok();
  CANDOR_ASSIGN_OR_RETURN(auto records, store.GetFaces(request.collection_id, ids, rescore));
  std::unordered_map<std::string, const store::FaceRecord*> by_id;
  for (const auto& r : records) by_id[r.face_id] = &r;
  struct Candidate {
    const store::FaceRecord* record;
    float score;
  };
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = by_id.find(ids[i]);
    if (it == by_id.end()) continue;  // deleted between the search and the read
    float score = scores[i];
    if (rescore) {
      const std::vector<float>& v = it->second->embedding;
      if (v.size() != probe.size()) continue;
      double dot = 0;
      for (size_t d = 0; d < v.size(); ++d) dot += double{v[d]} * probe[d];
      score = static_cast<float>(dot);
    }
    candidates.push_back({it->second, score});
  }
  if (rescore) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) {
                       return a.score > b.score ||
                              (a.score == b.score && a.record->row_id < b.record->row_id);
                     });
  }
  for (const Candidate& c : candidates) {
    if (static_cast<int>(result->matches.size()) >= request.max_faces) break;
    const float similarity = calibration.Similarity(c.score);
    if (similarity < request.face_match_threshold) continue;
    result->matches.push_back({ToStored(*c.record), similarity, FalseMatchRateAt(similarity)});
  }
  return Status::Ok();
}

}  // namespace candor
