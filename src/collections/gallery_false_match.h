// The false-match rate of a collection measured on its own gallery, and the
// rate that CandorExpectedFalseMatches is computed with.
//
// The calibration's rates (calibration.h) were measured on LFW and UTKFace.
// A collection whose people do not look like those populations can match
// different people more often than the calibration claims. Its own faces
// show it: every pair of distinct faces that share neither a UserId nor an
// ExternalImageId is taken to be two different people, and the share of
// those pairs whose cosine reaches a threshold's cosine is the gallery's
// false-match rate there (CollectionFalseMatchRate in candor/collections.h
// says which pairs, and why the rate is, if anything, too high).
//
// Cost: n(n-1)/2 dot products for n faces, n <= kGalleryMaxFaces (2,000:
// 1,999,000 dot products of 512 floats with the index's SIMD kernels, about
// 0.1-0.3 s on one core), plus reading n rows from the store. A collection
// keeps its last measurement (GalleryMeasurementCache) until it has changed
// enough to measure again.
#ifndef CANDOR_COLLECTIONS_GALLERY_FALSE_MATCH_H_
#define CANDOR_COLLECTIONS_GALLERY_FALSE_MATCH_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "candor/calibration.h"
#include "candor/collections.h"
#include "candor/status.h"

namespace candor {

namespace store {
class Store;
}

// One face of the gallery as the measurement needs it.
struct GalleryFace {
  std::vector<float> embedding;   // unit length; all faces of one dimension
  std::string user_id;            // empty: associated with no user
  std::string external_image_id;  // empty: none given
};

// One measurement of a gallery. Immutable once made, so safe to share
// between threads; it refers to the Calibration it was made with, which must
// outlive it (the engine's does).
//
// A pair "reaches" Similarity S when its cosine is at least
// calibration.CosineForSimilarity(S): the cosine a search at threshold S
// asks its index for. The number of pairs reaching S is exact at every
// integer S, and at any S from 50 up (the tail: every pair's cosine from
// Similarity 50 on is kept, up to kMaxTailPairs; beyond that only the
// highest, and S is exact where they still cover it). Elsewhere it is
// interpolated log-linearly between the integers around S.
class GalleryMeasurement {
 public:
  // Cosines kept for exact counts at any threshold from Similarity 50 on
  // (256 KiB); a gallery with more pairs above 50 keeps its highest ones.
  static constexpr size_t kMaxTailPairs = 65536;

  // Scores every pair of `faces` except those sharing a non-empty user_id or
  // a non-empty external_image_id. Faces whose embedding is empty or of
  // another dimension than the first face's are left out. The caller bounds
  // the number of faces (the cost is quadratic). `collection_faces`: how
  // many faces the collection held (the faces given may be a sample).
  static GalleryMeasurement Measure(const std::vector<GalleryFace>& faces,
                                    const Calibration& calibration, int64_t collection_faces);

  int64_t collection_faces() const { return collection_faces_; }
  int64_t faces() const { return faces_; }  // faces whose pairs were scored
  int64_t pairs() const { return pairs_; }  // pairs scored (the exclusions left out)
  const std::string& calibration_version() const { return calibration_->version(); }

  // Pairs reaching `similarity` (clamped to 0..100); a whole number where
  // exact, else interpolated as the class comment says.
  double PairsAtOrAbove(float similarity) const;
  // PairsAtOrAbove / pairs; nullopt when there is no pair.
  std::optional<double> RateAt(float similarity) const;

 private:
  explicit GalleryMeasurement(const Calibration& calibration) : calibration_(&calibration) {}

  const Calibration* calibration_;
  int64_t collection_faces_ = 0;
  int64_t faces_ = 0;
  int64_t pairs_ = 0;
  // at_or_above_[s]: pairs whose cosine >= CosineForSimilarity(s), s = 0..100.
  std::array<int64_t, 101> at_or_above_{};
  // Cosines of the pairs from Similarity 50 on, highest first. Every pair
  // with cosine >= tail_from_ is here; once truncated, every pair with
  // cosine > tail_from_ (ties at tail_from_ may be missing).
  std::vector<float> tail_;
  float tail_from_ = 0;
  bool tail_truncated_ = false;
};

// The false-match rate per comparison that CandorExpectedFalseMatches
// multiplies the faces searched by, at threshold `similarity`.
//
// Without a measurement (or with no pair in it): the calibration's claim,
// FalseMatchRateAt(similarity), as before. With one: the claim counts as
// evidence worth 1 / claim pairs holding one false match (the pairs over
// which the claim predicts one), the gallery adds its k pairs reaching the
// threshold out of its P pairs, and the pooled rate (k + 1) / (P + 1 /
// claim) is used when it is higher than the claim:
//
//   rate = max(claim, (k + 1) / (P + 1 / claim))
//
// So a gallery measured on far more pairs than 1 / claim gives about its own
// rate k / P whenever that is worse than the claim; one measured on few
// pairs moves the estimate only as far as its few pairs can show (one pair
// of a 3-face gallery at Similarity 99 doubles the claim, it does not make
// it 1 in 3); and a gallery with fewer close pairs than the claim predicts
// never lowers it: probes come from outside the gallery, and the claim
// stands for them.
double ExpectedFalseMatchRate(float similarity, const GalleryMeasurement* gallery);

// DescribeCollection's rates at kGalleryReportedSimilarities; the measured
// ones only when `gallery` is given and holds a pair.
std::vector<CollectionFalseMatchRate> FalseMatchRates(const GalleryMeasurement* gallery);

// Reads a collection's sample (all its faces when it holds at most
// kGalleryMaxFaces, else the kGalleryMaxFaces faces with the smallest
// FaceIds) from the store, with their embeddings, and measures it. The
// store's errors as it gives them (NotFound for a missing collection).
StatusOr<GalleryMeasurement> MeasureCollectionGallery(store::Store& store,
                                                      const std::string& collection_id,
                                                      const Calibration& calibration);

class GalleryMeasurementCache;

// cache.Get with MeasureCollectionGallery.
StatusOr<std::shared_ptr<const GalleryMeasurement>> MeasuredGallery(
    GalleryMeasurementCache& cache, store::Store& store, const std::string& collection_id,
    const Calibration& calibration);

// A collection's last gallery measurement, made when first asked for and
// again when the collection has changed enough since.
//
// Out of date: when the faces added, removed, associated with or
// disassociated from a user since it was made (NoteChanges) number at least
// kRemeasureFaces, or more than kRemeasureShare of the faces the collection
// held then. Counting changes rather than comparing face counts also catches
// a gallery that was replaced at a constant size.
//
// Waiting: Get measures in the calling thread, with no lock held (neither
// this cache's nor the collection's), one measurement at a time. A caller
// that finds a measurement in progress waits for it only when there is none
// to use yet; while an out-of-date one exists it is used until the new one
// is done. So no call waits for more than one measurement.
//
// Thread safety: safe for concurrent use.
class GalleryMeasurementCache {
 public:
  using Measure = std::function<StatusOr<GalleryMeasurement>()>;

  static constexpr int64_t kRemeasureFaces = 50;
  static constexpr double kRemeasureShare = 0.10;

  // `faces` faces were added, removed, associated or disassociated.
  void NoteChanges(int64_t faces);
  // The measurement to use now: the last one, or a new one from `measure`
  // when there is none or it is out of date (and no other call is making
  // one). A failed `measure` is returned as its error (the callers waiting
  // for it get the same error); the next call tries again.
  StatusOr<std::shared_ptr<const GalleryMeasurement>> Get(const Measure& measure);

 private:
  bool UpToDate() const;  // mutex_ held

  std::mutex mutex_;
  std::condition_variable measured_;
  std::shared_ptr<const GalleryMeasurement> last_;
  int64_t changes_ = 0;          // since the cache was made
  int64_t changes_at_last_ = 0;  // changes_ when last_ started to be measured
  bool measuring_ = false;
  int64_t measurements_ = 0;  // ended, successfully or not
  Status last_error_;
};

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_GALLERY_FALSE_MATCH_H_
