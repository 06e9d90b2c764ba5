// Face collections: durable enrolment and 1:N search, with the semantics,
// limits and error names of Amazon Rekognition's collection operations.
//
// A Collections object owns its store and one in-memory index per
// collection, built from the store when the collection is first used; it is
// safe for concurrent use from multiple threads without external
// synchronization. Every write reaches the store (durably) before the index,
// so the index never holds a face the store could lose.
#ifndef CANDOR_COLLECTIONS_H_
#define CANDOR_COLLECTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "candor/types.h"

namespace candor {

struct CollectionsOptions {
  // Directory of the embedded SQLite store (created if missing).
  std::string data_dir;
};

// Rekognition's QualityFilter. AUTO is the default for IndexFaces and NONE
// for SearchFacesByImage, as in Rekognition.
enum class QualityFilter { kNone, kAuto, kLow, kMedium, kHigh };

// A face as stored: metadata only, never the image.
struct StoredFace {
  std::string face_id;            // UUID
  std::string image_id;           // UUID shared by the faces of one IndexFaces call
  std::string external_image_id;  // as given, may be empty
  std::string user_id;            // empty when not associated
  BoundingBox box;                // ratios of the image, as in Rekognition
  float confidence = 0;           // detector, percent
  std::string face_model_version;
  int64_t indexed_ms = 0;
};

struct CollectionDescription {
  std::string collection_id;
  std::string collection_arn;
  std::string face_model_version;
  int64_t created_ms = 0;
  int64_t face_count = 0;
  int64_t user_count = 0;
};

struct IndexFacesRequest {
  std::string collection_id;
  std::string image_bytes;
  std::string external_image_id;  // optional; [a-zA-Z0-9_.\-:]+ up to 255
  int max_faces = 0;              // 0: no limit; else 1..100, the largest faces are kept
  QualityFilter quality_filter = QualityFilter::kAuto;
  AttributeSet detection_attributes = AttributeSet::kDefault;
};

struct IndexedFace {
  StoredFace face;
  Face detail;  // FaceDetail of the indexed face (box in pixels of `image`)
};

struct UnindexedFace {
  std::vector<std::string> reasons;  // EXCEEDS_MAX_FACES, EXTREME_POSE, LOW_BRIGHTNESS, ...
  Face detail;
};

struct IndexFacesResult {
  ImageInfo image;
  std::vector<IndexedFace> face_records;
  std::vector<UnindexedFace> unindexed_faces;
  std::string face_model_version;
};

struct FaceListPage {
  std::vector<StoredFace> faces;
  std::string next_token;  // empty on the last page
  std::string face_model_version;
};

struct CollectionListPage {
  std::vector<std::string> collection_ids;
  std::vector<std::string> face_model_versions;
  std::string next_token;
};

struct DeleteFacesResult {
  std::vector<std::string> deleted_faces;
  // Faces that could not be deleted, with Rekognition's reason.
  struct Unsuccessful {
    std::string face_id;
    std::string reason;
  };
  std::vector<Unsuccessful> unsuccessful;
};

struct SearchMatch {
  StoredFace face;
  float similarity = 0;         // calibrated percent
  double false_match_rate = 0;  // estimated per comparison at this similarity
};

struct SearchFacesResult {
  // SearchFacesByImage: the face searched with (pixels of `image`).
  ImageInfo image;
  BoundingBox searched_face_box;
  float searched_face_confidence = 0;
  // SearchFaces: the FaceId searched with.
  std::string searched_face_id;
  std::vector<SearchMatch> matches;  // best first
  std::string face_model_version;
  // Candor extensions: how many faces were compared, and the expected number
  // of false matches of a search at this threshold (rate x faces searched).
  int64_t faces_searched = 0;
  double expected_false_matches = 0;
};

struct SearchRequest {
  std::string collection_id;
  float face_match_threshold = 80;  // percent, 0..100
  int max_faces = 80;               // 1..4096 (Rekognition's default is 80)
  QualityFilter quality_filter = QualityFilter::kNone;
};

class Collections {
 public:
  // `engine` must outlive the Collections object.
  static StatusOr<std::unique_ptr<Collections>> Open(Engine* engine,
                                                     const CollectionsOptions& options);
  virtual ~Collections() = default;

  virtual StatusOr<CollectionDescription> CreateCollection(const std::string& collection_id) = 0;
  virtual StatusOr<CollectionDescription> DescribeCollection(const std::string& collection_id) = 0;
  // max_results 1..4096 (0: Rekognition's default, 1000).
  virtual StatusOr<CollectionListPage> ListCollections(const std::string& next_token,
                                                       int max_results) = 0;
  virtual Status DeleteCollection(const std::string& collection_id) = 0;

  virtual StatusOr<IndexFacesResult> IndexFaces(const IndexFacesRequest& request) = 0;
  // max_results 1..4096 (0: 1000).
  virtual StatusOr<FaceListPage> ListFaces(const std::string& collection_id,
                                           const std::string& next_token, int max_results) = 0;
  // 1..4096 face ids.
  virtual StatusOr<DeleteFacesResult> DeleteFaces(const std::string& collection_id,
                                                  const std::vector<std::string>& face_ids) = 0;

  // The largest face of the image against the collection.
  virtual StatusOr<SearchFacesResult> SearchFacesByImage(const SearchRequest& request,
                                                         const std::string& image_bytes) = 0;
  // A stored face against the rest of its collection (it does not match
  // itself).
  virtual StatusOr<SearchFacesResult> SearchFaces(const SearchRequest& request,
                                                  const std::string& face_id) = 0;
};

// Rekognition's validation of identifiers, exposed for the server and CLI.
Status ValidateCollectionId(const std::string& id);
Status ValidateExternalImageId(const std::string& id);
Status ValidateFaceId(const std::string& id);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_H_
