#include "collections/gallery_false_match.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "index/dot_product.h"
#include "store/store.h"

namespace candor {
namespace {

// Small integer ids for a column of strings: 0 for an empty one, else one id
// per distinct value, so that the pair loop compares integers.
std::vector<int32_t> IdsOf(const std::vector<const std::string*>& values) {
  std::unordered_map<std::string_view, int32_t> ids;
  std::vector<int32_t> out;
  out.reserve(values.size());
  for (const std::string* v : values) {
    if (v->empty()) {
      out.push_back(0);
      continue;
    }
    out.push_back(ids.try_emplace(*v, static_cast<int32_t>(ids.size()) + 1).first->second);
  }
  return out;
}

}  // namespace

GalleryMeasurement GalleryMeasurement::Measure(const std::vector<GalleryFace>& faces,
                                               const Calibration& calibration,
                                               int64_t collection_faces) {
  GalleryMeasurement m(calibration);
  m.collection_faces_ = collection_faces;

  std::vector<const GalleryFace*> kept;
  kept.reserve(faces.size());
  const size_t dim = faces.empty() ? 0 : faces.front().embedding.size();
  for (const GalleryFace& f : faces) {
    if (dim > 0 && f.embedding.size() == dim) kept.push_back(&f);
  }
  const size_t n = kept.size();
  m.faces_ = static_cast<int64_t>(n);
  std::vector<float> rows(n * dim);
  std::vector<const std::string*> users, externals;
  for (size_t i = 0; i < n; ++i) {
    std::copy(kept[i]->embedding.begin(), kept[i]->embedding.end(), rows.begin() + i * dim);
    users.push_back(&kept[i]->user_id);
    externals.push_back(&kept[i]->external_image_id);
  }
  const std::vector<int32_t> user = IdsOf(users);
  const std::vector<int32_t> external = IdsOf(externals);

  // The threshold cosines of Similarity 0..100, as a search computes them.
  std::array<float, 101> cosine_of{};
  for (int s = 0; s <= 100; ++s) {
    cosine_of[s] = calibration.CosineForSimilarity(static_cast<float>(s));
  }
  // reached[r]: pairs reaching Similarities 0..r-1 and not r (r = 0: none).
  std::array<int64_t, 102> reached{};
  m.tail_from_ = cosine_of[50];
  const auto trim_tail = [&m] {
    std::nth_element(m.tail_.begin(), m.tail_.begin() + (kMaxTailPairs - 1), m.tail_.end(),
                     std::greater<float>());
    m.tail_.resize(kMaxTailPairs);
    m.tail_from_ = m.tail_.back();  // the lowest kept (nth_element put it there)
    m.tail_truncated_ = true;
  };

  const index::DotProductKernels& kernels = index::BestKernels();
  std::vector<float> scores(n);
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t count = n - i - 1;
    kernels.score_rows_f32(rows.data() + (i + 1) * dim, count, dim, rows.data() + i * dim,
                           scores.data());
    for (size_t k = 0; k < count; ++k) {
      const size_t j = i + 1 + k;
      if ((user[i] != 0 && user[i] == user[j]) ||
          (external[i] != 0 && external[i] == external[j])) {
        continue;  // probably one person
      }
      ++m.pairs_;
      const float c = scores[k];
      const size_t r = static_cast<size_t>(
          std::upper_bound(cosine_of.begin(), cosine_of.end(), c) - cosine_of.begin());
      ++reached[r];
      if (m.tail_truncated_ ? c > m.tail_from_ : c >= m.tail_from_) {
        m.tail_.push_back(c);
        if (m.tail_.size() >= 2 * kMaxTailPairs) trim_tail();
      }
    }
  }
  if (m.tail_.size() > kMaxTailPairs) trim_tail();
  std::sort(m.tail_.begin(), m.tail_.end(), std::greater<float>());
  // A pair reaches s when s < r.
  int64_t above = 0;
  for (int s = 100; s >= 0; --s) {
    above += reached[static_cast<size_t>(s) + 1];
    m.at_or_above_[static_cast<size_t>(s)] = above;
  }
  return m;
}

double GalleryMeasurement::PairsAtOrAbove(float similarity) const {
  similarity = std::clamp(similarity, 0.f, 100.f);
  const float threshold = calibration_->CosineForSimilarity(similarity);
  const bool in_tail = tail_truncated_ ? threshold > tail_from_ : threshold >= tail_from_;
  if (in_tail) {
    // tail_ is sorted highest first: count the cosines >= threshold.
    const auto end = std::partition_point(tail_.begin(), tail_.end(),
                                          [threshold](float c) { return c >= threshold; });
    return static_cast<double>(end - tail_.begin());
  }
  const int lo = static_cast<int>(std::floor(similarity));
  const double at_lo = static_cast<double>(at_or_above_[static_cast<size_t>(lo)]);
  const double fraction = similarity - static_cast<float>(lo);
  if (fraction == 0 || lo >= 100) return at_lo;
  const double at_hi = static_cast<double>(at_or_above_[static_cast<size_t>(lo) + 1]);
  if (at_hi > 0) return at_lo * std::pow(at_hi / at_lo, fraction);  // log-linear
  return at_lo * (1 - fraction);  // no pair at the upper end: linear to 0
}

std::optional<double> GalleryMeasurement::RateAt(float similarity) const {
  if (pairs_ == 0) return std::nullopt;
  return PairsAtOrAbove(similarity) / static_cast<double>(pairs_);
}

double ExpectedFalseMatchRate(float similarity, const GalleryMeasurement* gallery) {
  const double claim = FalseMatchRateAt(similarity);
  if (gallery == nullptr || gallery->pairs() == 0 || !(claim > 0)) return claim;
  const double pooled = (gallery->PairsAtOrAbove(similarity) + 1.0) /
                        (static_cast<double>(gallery->pairs()) + 1.0 / claim);
  return std::max(claim, pooled);
}

std::vector<CollectionFalseMatchRate> FalseMatchRates(const GalleryMeasurement* gallery) {
  std::vector<CollectionFalseMatchRate> rates;
  for (float s : kGalleryReportedSimilarities) {
    CollectionFalseMatchRate r;
    r.similarity = s;
    r.false_match_rate = FalseMatchRateAt(s);
    if (gallery != nullptr) {
      r.collection_false_match_rate = gallery->RateAt(s);
      r.collection_pairs = gallery->pairs();
    }
    rates.push_back(r);
  }
  return rates;
}

StatusOr<GalleryMeasurement> MeasureCollectionGallery(store::Store& store,
                                                      const std::string& collection_id,
                                                      const Calibration& calibration) {
  CANDOR_ASSIGN_OR_RETURN(store::CollectionRecord record, store.GetCollection(collection_id));
  // FaceIds are random (version 4) UUIDs: the first kGalleryMaxFaces in
  // FaceId order are a uniform sample, read with one range scan.
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::FaceRecord> records,
                          store.ListFaces(collection_id, "", kGalleryMaxFaces, true));
  std::vector<GalleryFace> faces;
  faces.reserve(records.size());
  for (store::FaceRecord& r : records) {
    faces.push_back({std::move(r.embedding), std::move(r.user_id), std::move(r.external_image_id)});
  }
  const int64_t held = std::max<int64_t>(record.face_count, static_cast<int64_t>(faces.size()));
  return GalleryMeasurement::Measure(faces, calibration, held);
}

StatusOr<std::shared_ptr<const GalleryMeasurement>> MeasuredGallery(
    GalleryMeasurementCache& cache, store::Store& store, const std::string& collection_id,
    const Calibration& calibration) {
  return cache.Get(
      [&] { return MeasureCollectionGallery(store, collection_id, calibration); });
}

void GalleryMeasurementCache::NoteChanges(int64_t faces) {
  if (faces <= 0) return;
  std::lock_guard lock(mutex_);
  changes_ += faces;
}

bool GalleryMeasurementCache::UpToDate() const {
  if (last_ == nullptr) return false;
  const int64_t changed = changes_ - changes_at_last_;
  return changed < kRemeasureFaces &&
         static_cast<double>(changed) <=
             kRemeasureShare * static_cast<double>(last_->collection_faces());
}

StatusOr<std::shared_ptr<const GalleryMeasurement>> GalleryMeasurementCache::Get(
    const Measure& measure) {
  std::unique_lock lock(mutex_);
  if (UpToDate()) return last_;
  if (measuring_) {
    if (last_ != nullptr) return last_;  // out of date, but the new one is on its way
    const int64_t ended = measurements_;
    measured_.wait(lock, [&] { return measurements_ != ended; });
    if (last_ != nullptr) return last_;
    return last_error_;
  }
  measuring_ = true;
  const int64_t changes_at_start = changes_;
  lock.unlock();
  StatusOr<GalleryMeasurement> made = measure();
  lock.lock();
  measuring_ = false;
  ++measurements_;
  if (made.ok()) {
    last_ = std::make_shared<const GalleryMeasurement>(std::move(made).value());
    changes_at_last_ = changes_at_start;
    last_error_ = Status::Ok();
  } else {
    last_error_ = made.status();
  }
  measured_.notify_all();
  if (!made.ok()) return made.status();
  return last_;
}

}  // namespace candor
