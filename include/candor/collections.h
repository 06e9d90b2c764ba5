// Face collections: durable enrolment and 1:N search, with the semantics,
// limits and error names of Amazon Rekognition's collection operations.
//
// A Collections object owns its store and one in-memory index per
// collection (with the map from faces to users), built from the store when
// the collection is first used; it is
// safe for concurrent use from multiple threads without external
// synchronization. Every write reaches the store (durably) before the index,
// so the index never holds a face the store could lose.
#ifndef CANDOR_COLLECTIONS_H_
#define CANDOR_COLLECTIONS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "candor/types.h"

namespace candor {

struct CollectionsOptions {
  // Directory of the embedded SQLite store (created if missing).
  std::string data_dir;
  // When set, the store is the PostgreSQL database it names (a
  // postgresql:// URI or a libpq "host=... dbname=..." string;
  // src/store/pg_store.h) instead of the SQLite file in data_dir.
  std::string store_uri;
  // A collection of at least this many faces is searched with an approximate
  // index (sketch scan + int8 rescoring, then float rescoring of the best);
  // exact below. 0: the measured default (index::kApproximateMinVectors,
  // 50,000). Tests set it low.
  int64_t approximate_min_faces = 0;
  // With store_uri, several nodes may share the database: each follows the
  // others' writes through the store's change log (README, "The PostgreSQL
  // store"). sync_reads: every search (and every call that uses a
  // collection's in-memory index) first applies the changes committed before
  // it began, at the cost of one SELECT of the log's last number, so that no
  // node answers with a face deleted before the search began; without it a
  // node serves what it has applied (changes arrive within the measured
  // propagation lag).
  bool sync_reads = true;
  // How often a node reads the log when no notification came, milliseconds.
  // 0: no follower thread and no listener connection, for a short-lived
  // process (the CLI): changes are then applied only by sync_reads and by
  // this node's own writes.
  int sync_poll_ms = 1000;
  // Change-log rows older than this are pruned; a node that was away longer
  // reloads every collection from the tables. Milliseconds.
  int64_t change_log_retention_ms = 3'600'000;
};

// Candor extension: how a node follows the other nodes' writes to a shared
// store (CollectionsOptions::store_uri; collections/store_sync.h). Not
// enabled on the SQLite store (one node).
struct StoreSyncStatus {
  bool enabled = false;
  int64_t applied_seq = 0;      // the last change-log row applied to memory
  int64_t latest_seq = 0;       // the last committed row, read now (-1: unreadable)
  int64_t lag_changes = 0;      // latest - applied: rows behind (numbers; rolled-back gaps count)
  int64_t changes_applied = 0;  // rows applied (own writes included)
  int64_t reconnects = 0;       // the listener's connection made again after a loss
  int64_t full_rebuilds = 0;    // the log was pruned past this node: all collections reloaded
  int64_t errors = 0;           // catch-ups that failed (the next one retries)
  // Store latency as the sync sees it: its round trips to the database (the
  // log's last number before a read, reads of the log and of changed faces).
  int64_t store_calls = 0;
  double store_seconds = 0;  // in all
  double store_max_seconds = 0;
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

// Candor: the false-match rate at one Similarity, as the calibration claims
// it and as measured on the collection's own gallery: over pairs of distinct
// faces of the collection that share neither a UserId nor an
// ExternalImageId (such pairs are probably one person), the share whose
// Similarity is at least `similarity`. All pairs when the collection holds at
// most kGalleryMaxFaces faces, else the pairs of a sample of that many (the
// faces with the smallest FaceIds: FaceIds are random UUIDs, so this is a
// uniform sample that does not depend on the order of enrolment). Pairs of
// one person enrolled twice without a shared UserId or ExternalImageId count
// as false matches: the measured rate is, if anything, too high.
struct CollectionFalseMatchRate {
  float similarity = 0;
  double false_match_rate = 0;  // the calibration's claim: FalseMatchRateAt(similarity)
  // Measured on the gallery; absent when it holds no pair to measure (fewer
  // than 2 faces, or all of them one UserId or ExternalImageId).
  std::optional<double> collection_false_match_rate;
  int64_t collection_pairs = 0;  // the pairs it was measured on
};

// Faces whose pairs the gallery measurement scores (2,000 faces: 1,999,000
// pairs, about 2M dot products).
inline constexpr int kGalleryMaxFaces = 2000;
// The Similarities DescribeCollection reports rates at.
inline constexpr float kGalleryReportedSimilarities[] = {50, 80, 90, 95, 99};

struct CollectionDescription {
  std::string collection_id;
  std::string collection_arn;
  std::string face_model_version;
  int64_t created_ms = 0;
  int64_t face_count = 0;
  int64_t user_count = 0;
  // Candor: the calibration that gives Similarity its meaning, and the
  // false-match rates at kGalleryReportedSimilarities (measured ones only
  // when the collection was made with this engine's face model).
  std::string calibration_version;
  std::vector<CollectionFalseMatchRate> false_match_rates;
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

// ListFaces' optional filters (Rekognition's UserId and FaceIds): only faces
// associated with the user, only the given faces, or both.
struct FaceListFilter {
  std::string user_id;                // empty: any
  std::vector<std::string> face_ids;  // empty: any (1..4096 when given)
  bool empty() const { return user_id.empty() && face_ids.empty(); }
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
  // Faces that could not be deleted, with Rekognition's reason: FACE_NOT_FOUND,
  // or ASSOCIATED_TO_AN_EXISTING_USER (then `user_id` names the user).
  struct Unsuccessful {
    std::string face_id;
    std::string reason;
    std::string user_id;
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
  // of false matches of a search at this threshold (ExpectedFalseMatchRate x
  // faces searched: the calibration's claim, raised by what the collection's
  // own gallery shows; see collections/gallery_false_match.h).
  int64_t faces_searched = 0;
  double expected_false_matches = 0;
  // The calibration that produced the similarities, and the false-match rate
  // at the threshold measured on the collection's gallery (absent when it
  // holds no pair to measure; see CollectionFalseMatchRate).
  std::string calibration_version;
  std::optional<double> collection_false_match_rate;
};

// How a loaded collection is searched (Collections::GetIndexStatus).
struct CollectionIndexStatus {
  bool approximate = false;  // sketch index (else exact scan)
  int64_t faces = 0;
  int64_t memory_bytes = 0;  // the index's own estimate
};

struct SearchRequest {
  std::string collection_id;
  float face_match_threshold = 80;  // percent, 0..100
  int max_faces = 80;               // 1..4096 (Rekognition's default is 80)
  QualityFilter quality_filter = QualityFilter::kNone;
};

// --- Users (Rekognition's UserId: several faces of one person) ---

// Rekognition's UserStatus. Candor applies every association and
// disassociation synchronously, inside the call, so a user is never
// UPDATING or CREATING: it is CREATED while it holds no face and ACTIVE
// once it holds one.
enum class UserStatus { kCreated, kActive };
std::string_view UserStatusName(UserStatus status);  // "CREATED", "ACTIVE"

struct UserSummary {
  std::string user_id;
  UserStatus status = UserStatus::kCreated;
  int64_t face_count = 0;  // Candor extension
};

struct UserListPage {
  std::vector<UserSummary> users;  // in UserId order
  std::string next_token;          // empty on the last page
};

// CreateUser and DeleteUser. client_request_token is optional: 1 to 64
// characters of [a-zA-Z0-9-_]; a request repeated with the same token returns
// the first response and changes nothing; reused with other parameters it
// fails with IdempotentParameterMismatchException.
struct UserRequest {
  std::string collection_id;
  std::string user_id;  // [a-zA-Z0-9_.\-:]+, 1 to 128 characters
  std::string client_request_token;
};

struct AssociateFacesRequest {
  std::string collection_id;
  std::string user_id;
  std::vector<std::string> face_ids;  // 1..100
  // Calibrated Similarity (percent, 0..100) that a face must reach with the
  // user's faces associated before this call. A user with no face yet takes
  // any face. Rekognition's default is 75.
  float user_match_threshold = 75;
  std::string client_request_token;
};

struct AssociateFacesResult {
  std::vector<std::string> associated_faces;
  struct Unsuccessful {
    std::string face_id;
    // The user the face is associated with (ASSOCIATED_TO_A_DIFFERENT_USER),
    // else the user of the request.
    std::string user_id;
    // The face's Similarity with the user (LOW_MATCH_CONFIDENCE only).
    std::optional<float> confidence;
    std::vector<std::string> reasons;  // FACE_NOT_FOUND, ASSOCIATED_TO_A_DIFFERENT_USER,
                                       // LOW_MATCH_CONFIDENCE
  };
  std::vector<Unsuccessful> unsuccessful;
  UserStatus user_status = UserStatus::kCreated;
};

struct DisassociateFacesRequest {
  std::string collection_id;
  std::string user_id;
  std::vector<std::string> face_ids;  // 1..100
  std::string client_request_token;
};

struct DisassociateFacesResult {
  std::vector<std::string> disassociated_faces;
  struct Unsuccessful {
    std::string face_id;
    std::string user_id;               // as in AssociateFacesResult
    std::vector<std::string> reasons;  // FACE_NOT_FOUND, ASSOCIATED_TO_A_DIFFERENT_USER
  };
  std::vector<Unsuccessful> unsuccessful;
  UserStatus user_status = UserStatus::kCreated;
};

// SearchUsers: exactly one of user_id and face_id.
struct SearchUsersRequest {
  std::string collection_id;
  std::string user_id;
  std::string face_id;
  float user_match_threshold = 80;  // percent, 0..100 (Rekognition's default)
  int max_users = 80;               // 1..500
};

struct SearchUsersByImageRequest {
  std::string collection_id;
  float user_match_threshold = 80;
  int max_users = 80;
  QualityFilter quality_filter = QualityFilter::kNone;  // Rekognition's default
};

// A user's Similarity with a probe is the best Similarity of the probe with
// any face associated with the user (with several probe faces, SearchUsers
// by UserId: the best pair). The best pair, not a mean: one good enrolment
// photo is enough to be found, and the false-match rate per user is then at
// most (faces of the user) x the per-comparison rate, which
// expected_false_matches accounts for.
struct UserMatch {
  std::string user_id;
  UserStatus user_status = UserStatus::kActive;
  float similarity = 0;         // calibrated percent
  double false_match_rate = 0;  // estimated per comparison at this similarity
  std::string best_face_id;     // Candor extension: the face that matched best
};

struct SearchUsersResult {
  std::vector<UserMatch> user_matches;  // best first
  std::string face_model_version;
  // SearchUsers: what was searched with.
  std::string searched_face_id;
  std::string searched_user_id;
  // SearchUsersByImage: the largest face (absent when the image has no face
  // that passes the QualityFilter) and the faces not searched with.
  ImageInfo image;
  std::optional<Face> searched_face;
  std::vector<UnindexedFace> unsearched_faces;  // reasons: FACE_NOT_LARGEST, LOW_SHARPNESS, ...
  // Candor extensions: faces compared, and the expected number of false
  // matches at this threshold (rate x probe faces x faces searched, the rate
  // as in SearchFacesResult).
  int64_t faces_searched = 0;
  double expected_false_matches = 0;
  // As in SearchFacesResult.
  std::string calibration_version;
  std::optional<double> collection_false_match_rate;
};

// The policy a collection carries (Candor; not in Rekognition). Set by an
// admin, enforced by the service on every search, recorded in the audit log
// when it changes. A collection created without one gets the defaults.
struct CollectionPolicy {
  std::string purpose = "unspecified";  // stated purpose, 1..512 characters
  // FaceMatchThreshold / UserMatchThreshold floor, percent. A search asking
  // for less is raised to it (the response says so), or refused with
  // AccessDeniedException when refuse_below_floor.
  float threshold_floor = 99;
  bool refuse_below_floor = false;
  int max_faces = 100;           // MaxFaces / MaxUsers cap per search, 1..4096
  bool reason_required = false;  // every search must carry a reason
  // Faces indexed longer ago than this are erased automatically; 0: kept
  // until deleted.
  int64_t retention_days = 0;
  int64_t updated_ms = 0;  // set by the store
};

// ARNs of Candor's resources, in the shape Rekognition's model gives them
// (arn:aws:rekognition:<region>:<12-digit account>:<kind>/<name>): region
// "candor", account 000000000000 (a self-hosted service has neither).
inline constexpr std::string_view kCollectionArnPrefix =
    "arn:aws:rekognition:candor:000000000000:collection/";
inline constexpr std::string_view kStreamProcessorArnPrefix =
    "arn:aws:rekognition:candor:000000000000:streamprocessor/";

// Tags of a collection or stream processor: key -> value.
using Tags = std::map<std::string, std::string>;
// The most tags one resource holds (AWS's usual quota).
inline constexpr size_t kMaxTagsPerResource = 50;

class Collections {
 public:
  // `engine` must outlive the Collections object.
  static StatusOr<std::unique_ptr<Collections>> Open(Engine* engine,
                                                     const CollectionsOptions& options);
  virtual ~Collections() = default;

  // With `tags` (CreateCollection's Tags), stored with the collection.
  virtual StatusOr<CollectionDescription> CreateCollection(const std::string& collection_id,
                                                           const Tags& tags) = 0;
  StatusOr<CollectionDescription> CreateCollection(const std::string& collection_id) {
    return CreateCollection(collection_id, Tags{});
  }
  // With `false_match_rates`, the rates of CollectionDescription are filled
  // in, measuring the gallery when its last measurement is missing or out of
  // date (at most kGalleryMaxFaces faces' pairs; the index is not loaded for
  // it). Without, only the counts (cheap).
  virtual StatusOr<CollectionDescription> DescribeCollection(const std::string& collection_id,
                                                             bool false_match_rates) = 0;
  StatusOr<CollectionDescription> DescribeCollection(const std::string& collection_id) {
    return DescribeCollection(collection_id, true);
  }
  // max_results 1..4096 (0: Rekognition's default, 1000).
  virtual StatusOr<CollectionListPage> ListCollections(const std::string& next_token,
                                                       int max_results) = 0;
  virtual Status DeleteCollection(const std::string& collection_id) = 0;

  virtual StatusOr<IndexFacesResult> IndexFaces(const IndexFacesRequest& request) = 0;
  // max_results 1..4096 (0: 1000). Faces in FaceId order; with a filter,
  // only those that match it (an unknown UserId or FaceId matches nothing).
  virtual StatusOr<FaceListPage> ListFaces(const std::string& collection_id,
                                           const FaceListFilter& filter,
                                           const std::string& next_token, int max_results) = 0;
  StatusOr<FaceListPage> ListFaces(const std::string& collection_id,
                                   const std::string& next_token, int max_results) {
    return ListFaces(collection_id, FaceListFilter{}, next_token, max_results);
  }
  // 1..4096 face ids. A face associated with a user is not deleted (reason
  // ASSOCIATED_TO_AN_EXISTING_USER, with its UserId): Rekognition's
  // documented reason, and its docs name no exception to it. DisassociateFaces
  // or DeleteUser first.
  virtual StatusOr<DeleteFacesResult> DeleteFaces(const std::string& collection_id,
                                                  const std::vector<std::string>& face_ids) = 0;

  // The largest face of the image against the collection.
  virtual StatusOr<SearchFacesResult> SearchFacesByImage(const SearchRequest& request,
                                                         const std::string& image_bytes) = 0;
  // A stored face against the rest of its collection (it does not match
  // itself).
  virtual StatusOr<SearchFacesResult> SearchFaces(const SearchRequest& request,
                                                  const std::string& face_id) = 0;

  // A unit-length embedding made by this engine (video search embeds the
  // best face of a track itself) against the collection.
  virtual StatusOr<SearchFacesResult> SearchFacesByEmbedding(
      const SearchRequest& request, const std::vector<float>& embedding) = 0;

  // Candor extension: the in-memory index of a collection, loading it if it
  // is not loaded yet (benchmarks, tests, operators).
  virtual StatusOr<CollectionIndexStatus> GetIndexStatus(const std::string& collection_id) = 0;
  // Candor extension: how this node follows the others (metrics).
  virtual StoreSyncStatus GetStoreSyncStatus() = 0;

  // Users. Unknown collection or user: ResourceNotFoundException. CreateUser
  // of a user that exists: ConflictException (Rekognition's error for it).
  virtual Status CreateUser(const UserRequest& request) = 0;
  // Disassociates the user's faces (they stay in the collection), then
  // deletes the user.
  virtual Status DeleteUser(const UserRequest& request) = 0;
  // max_results 1..500 (0: 500).
  virtual StatusOr<UserListPage> ListUsers(const std::string& collection_id,
                                           const std::string& next_token, int max_results) = 0;
  // A user holds at most 100 faces: a call that would take it beyond fails
  // with ServiceQuotaExceededException and changes nothing. A face already
  // associated with this user is ignored (in neither list).
  virtual StatusOr<AssociateFacesResult> AssociateFaces(const AssociateFacesRequest& request) = 0;
  // A face that exists but belongs to no user is ignored.
  virtual StatusOr<DisassociateFacesResult> DisassociateFaces(
      const DisassociateFacesRequest& request) = 0;
  virtual StatusOr<SearchUsersResult> SearchUsers(const SearchUsersRequest& request) = 0;
  // The largest face of the image; an image without a face that passes the
  // QualityFilter gives no matches and no searched_face (not an error).
  virtual StatusOr<SearchUsersResult> SearchUsersByImage(const SearchUsersByImageRequest& request,
                                                         const std::string& image_bytes) = 0;

  // Policies. Unknown collection: ResourceNotFoundException; an invalid
  // policy (empty purpose, floor outside 0..100, ...): InvalidParameterException.
  virtual StatusOr<CollectionPolicy> GetCollectionPolicy(const std::string& collection_id) = 0;
  virtual Status PutCollectionPolicy(const std::string& collection_id,
                                     const CollectionPolicy& policy) = 0;
  // Retention: erases (for real, as DeleteFaces does: store, index, and
  // secure_delete + WAL checkpoint) every face of the collection indexed
  // before `cutoff_ms`, disassociating it from its user first. Returns the
  // FaceIds erased.
  virtual StatusOr<std::vector<std::string>> EraseFacesIndexedBefore(
      const std::string& collection_id, int64_t cutoff_ms) = 0;

  // Tags (Rekognition's TagResource, UntagResource and ListTagsForResource
  // on a collection's ARN). Checked by ValidateTags / ValidateTagKeys; a
  // collection holds at most kMaxTagsPerResource (ServiceQuotaExceeded, and
  // nothing changed, beyond). Unknown collection: ResourceNotFoundException.
  virtual StatusOr<Tags> ListTags(const std::string& collection_id) = 0;
  virtual Status TagCollection(const std::string& collection_id, const Tags& tags) = 0;
  virtual Status UntagCollection(const std::string& collection_id,
                                 const std::vector<std::string>& keys) = 0;

  // The store's audit journal (src/store/write_journal.h): writes made on
  // behalf of an audited call leave a row in the same transaction, which the
  // call's audit record resolves. PendingAuditJournal lists the rows not yet
  // resolved, oldest first, each as its JSON text.
  struct JournalRow {
    std::string request_id;
    std::string entry_json;
  };
  virtual StatusOr<std::vector<JournalRow>> PendingAuditJournal() = 0;
  virtual void ResolveAuditJournal(const std::string& request_id) = 0;
  virtual Status FlushAuditJournal() = 0;
};

// Rekognition's validation of identifiers, exposed for the server and CLI.
Status ValidateCollectionId(const std::string& id);
Status ValidateExternalImageId(const std::string& id);
Status ValidateFaceId(const std::string& id);
Status ValidateUserId(const std::string& id);
// Empty is valid (no token).
Status ValidateClientRequestToken(const std::string& token);
Status ValidateCollectionPolicy(const CollectionPolicy& policy);
// Rekognition's TagMap: at most 200 entries a call; keys of 1..128
// characters that do not start with "aws:", values of 0..256, both of
// letters, digits, spaces and _.:/=+-@ (valid UTF-8; any non-ASCII
// character other than a control counts as a letter).
Status ValidateTags(const Tags& tags);
// UntagResource's TagKeys: at most 200 keys, each as ValidateTags checks it.
Status ValidateTagKeys(const std::vector<std::string>& keys);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_H_
