#include "candor/collections.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "collections/collection_state.h"
#include "collections/face_search.h"
#include "collections/gallery_false_match.h"
#include "collections/quality_filter.h"
#include "collections/store_sync.h"
#include "collections/users.h"
#include "collections/validation.h"
#include "index/adaptive_index.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace candor {
namespace {

// Rekognition's limits.
constexpr int kMaxIndexFaces = 100;
constexpr int kMaxSearchFaces = 4096;
constexpr int kMaxListResults = 4096;
constexpr int kDefaultListResults = 1000;
constexpr int kMaxDeleteFaces = 4096;
constexpr int kMaxListFaces = 4096;  // ListFaces FaceIds filter
constexpr int kEmbeddingDimension = 512;
// EraseFacesIndexedBefore erases this many faces per store transaction, so
// that a collection with a million expired faces neither holds the write
// lock nor grows the WAL for the whole of it.
constexpr int kEraseBatch = 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BoundingBox Ratios(const BoundingBox& px, const ImageInfo& image) {
  const float w = static_cast<float>(image.width), h = static_cast<float>(image.height);
  return {px.left / w, px.top / h, px.width / w, px.height / h};
}

class CollectionsImpl final : public Collections {
 public:
  CollectionsImpl(Engine* engine, std::unique_ptr<store::Store> store,
                  const CollectionsOptions& options)
      : engine_(engine),
        data_dir_(options.data_dir),
        approximate_min_faces_(options.approximate_min_faces > 0
                                   ? static_cast<size_t>(options.approximate_min_faces)
                                   : index::kApproximateMinVectors),
        sync_reads_(options.sync_reads),
        store_(std::move(store)),
        users_(
            engine_, store_.get(), [this](const std::string& id) { return State(id); },
            [this](const std::function<Status()>& apply) { return ApplyWrite(apply); }) {
    // Earlier versions kept IVF centroids (averages of faces) in
    // <data dir>/index-cache; nothing reads them now, so they go.
    std::error_code ec;
    std::filesystem::remove_all(data_dir_ + "/index-cache", ec);
  }

  StatusOr<CollectionDescription> CreateCollection(const std::string& id,
                                                   const Tags& tags) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_RETURN_IF_ERROR(ValidateTags(tags));
    if (tags.size() > kMaxTagsPerResource) return TooManyTags(id);
    store::CollectionRecord record;
    record.collection_id = id;
    record.face_model_version = engine_->face_model_version();
    record.created_ms = NowMs();
    Status s = store_->CreateCollection(record);
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("The collection id: " + id + " already exists");
    }
    CANDOR_RETURN_IF_ERROR(s);
    if (!tags.empty()) {
      if (Status tagged = store_->UpdateTags(id, tags, {}, kMaxTagsPerResource); !tagged.ok()) {
        // A collection is created with its tags or not at all.
        (void)store_->DeleteCollection(id);
        return tagged;
      }
    }
    return Describe(record);
  }

  StatusOr<Tags> ListTags(const std::string& id) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    auto tags = store_->GetTags(id);
    if (tags.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
    return tags;
  }

  Status TagCollection(const std::string& id, const Tags& tags) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_RETURN_IF_ERROR(ValidateTags(tags));
    return ChangeTags(id, tags, {});
  }

  Status UntagCollection(const std::string& id, const std::vector<std::string>& keys) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_RETURN_IF_ERROR(ValidateTagKeys(keys));
    return ChangeTags(id, {}, keys);
  }

  StatusOr<std::vector<JournalRow>> PendingAuditJournal() override {
    CANDOR_ASSIGN_OR_RETURN(std::vector<store::JournalEntry> rows, store_->ListJournal());
    std::vector<JournalRow> out;
    out.reserve(rows.size());
    for (const store::JournalEntry& row : rows) {
      out.push_back({row.request_id, row.entry.dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace)});
    }
    return out;
  }
  void ResolveAuditJournal(const std::string& request_id) override {
    store_->ResolveJournal(request_id);
  }
  Status FlushAuditJournal() override { return store_->FlushJournal(); }

  StatusOr<CollectionDescription> DescribeCollection(const std::string& id,
                                                     bool false_match_rates) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_ASSIGN_OR_RETURN(store::CollectionRecord record, GetCollection(id));
    CollectionDescription d = Describe(record);
    if (!false_match_rates) return d;
    d.calibration_version = engine_->calibration().version();
    std::shared_ptr<const GalleryMeasurement> gallery;
    // Another face model's vectors mean nothing to this calibration: only
    // the claimed rates then.
    if (record.face_model_version == engine_->face_model_version()) {
      CANDOR_ASSIGN_OR_RETURN(gallery, Gallery(id, *Slot(id)->gallery));
    }
    d.false_match_rates = FalseMatchRates(gallery.get());
    return d;
  }

  StatusOr<CollectionListPage> ListCollections(const std::string& next_token,
                                               int max_results) override {
    CANDOR_ASSIGN_OR_RETURN(int limit, ListLimit(max_results));
    std::string after;
    if (!next_token.empty()) {
      CANDOR_ASSIGN_OR_RETURN(PageToken token, DecodePageToken("c", "", next_token));
      after = std::move(token.after);
      if (token.key_hash) {
        CANDOR_ASSIGN_OR_RETURN(after, LongCollectionIdAfter(after, *token.key_hash));
      }
    }
    CANDOR_ASSIGN_OR_RETURN(auto records, store_->ListCollections(after, limit + 1));
    CollectionListPage page;
    for (size_t i = 0; i < records.size() && static_cast<int>(i) < limit; ++i) {
      page.collection_ids.push_back(records[i].collection_id);
      page.face_model_versions.push_back(records[i].face_model_version);
    }
    if (static_cast<int>(records.size()) > limit) {
      page.next_token = EncodePageToken("c", "", page.collection_ids.back());
    }
    return page;
  }

  // The collection id a shortened ListCollections token stands for: among
  // the ids that start with `prefix`, the one whose hash is `hash`. When it
  // was deleted meanwhile, the list resumes at the first id with the prefix
  // (a page may then repeat ids; none is skipped).
  StatusOr<std::string> LongCollectionIdAfter(const std::string& prefix, uint32_t hash) {
    std::string after = prefix;
    while (true) {
      CANDOR_ASSIGN_OR_RETURN(auto records, store_->ListCollections(after, 256));
      for (const auto& r : records) {
        if (r.collection_id.compare(0, prefix.size(), prefix) != 0) return prefix;
        if (PageKeyHash(r.collection_id) == hash) return r.collection_id;
        after = r.collection_id;
      }
      if (records.size() < 256) return prefix;
    }
  }

  Status DeleteCollection(const std::string& id) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    Status s = store_->DeleteCollection(id);
    if (s.code() == StatusCode::kNotFound) return NotFoundCollection(id);
    CANDOR_RETURN_IF_ERROR(s);
    return ApplyWrite([&] {
      Drop(id);
      return Status::Ok();
    });
  }

  StatusOr<IndexFacesResult> IndexFaces(const IndexFacesRequest& request) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
    if (!request.external_image_id.empty()) {
      CANDOR_RETURN_IF_ERROR(ValidateExternalImageId(request.external_image_id));
    }
    if (request.max_faces < 0 || request.max_faces > kMaxIndexFaces) {
      return Status::InvalidArgument("MaxFaces must be between 1 and 100");
    }
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(request.collection_id));
    CANDOR_ASSIGN_OR_RETURN(EmbedResult embedded,
                            engine_->EmbedFaces(request.image_bytes, kMaxIndexFaces,
                                                request.detection_attributes));
    IndexFacesResult result;
    result.image = embedded.image;
    result.face_model_version = engine_->face_model_version();
    const std::string image_id = NewUuid();
    const int64_t now = NowMs();
    std::vector<store::FaceRecord> records;
    std::vector<const EmbeddedFace*> kept;
    int passed = 0;
    for (const EmbeddedFace& ef : embedded.faces) {  // largest first
      std::vector<std::string> reasons = QualityReasons(ef.face, request.quality_filter);
      if (reasons.empty() && request.max_faces > 0 && passed >= request.max_faces) {
        reasons.push_back("EXCEEDS_MAX_FACES");
      }
      if (!reasons.empty()) {
        result.unindexed_faces.push_back({std::move(reasons), ef.face});
        continue;
      }
      ++passed;
      store::FaceRecord r;
      r.face_id = NewUuid();
      r.image_id = image_id;
      r.external_image_id = request.external_image_id;
      r.box = Ratios(ef.face.box, embedded.image);
      r.confidence = ef.face.confidence;
      r.face_model_version = result.face_model_version;
      r.indexed_ms = now;
      r.embedding = ef.embedding;
      records.push_back(std::move(r));
      kept.push_back(&ef);
    }
    if (!records.empty()) {
      // Durable first, then visible in the index; an erasure waits until both
      // are done (CollectionState::erase_mutex).
      std::shared_lock<std::shared_mutex> erase_lock(state->erase_mutex);
      Status s = store_->InsertFaces(request.collection_id, &records);
      if (s.code() == StatusCode::kNotFound) return NotFoundCollection(request.collection_id);
      CANDOR_RETURN_IF_ERROR(s);
      CANDOR_RETURN_IF_ERROR(ApplyWrite([&]() -> Status {
        std::unique_lock<std::shared_mutex> lock(state->mutex);
        for (const store::FaceRecord& r : records) {
          CANDOR_RETURN_IF_ERROR(state->index->Add(r.row_id, r.embedding));
          state->face_of_row[r.row_id] = r.face_id;
          state->row_of_face[r.face_id] = r.row_id;
        }
        return Status::Ok();
      }));
    }
    state->gallery->NoteChanges(static_cast<int64_t>(records.size()));
    for (size_t i = 0; i < records.size(); ++i) {
      result.face_records.push_back({ToStored(records[i]), kept[i]->face});
    }
    return result;
  }

  StatusOr<FaceListPage> ListFaces(const std::string& id, const FaceListFilter& filter,
                                   const std::string& next_token, int max_results) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_ASSIGN_OR_RETURN(int limit, ListLimit(max_results));
    if (!filter.user_id.empty()) CANDOR_RETURN_IF_ERROR(ValidateUserId(filter.user_id));
    if (filter.face_ids.size() > static_cast<size_t>(kMaxListFaces)) {
      return Status::InvalidArgument("FaceIds holds more than " + std::to_string(kMaxListFaces) +
                                     " ids");
    }
    for (const std::string& f : filter.face_ids) CANDOR_RETURN_IF_ERROR(ValidateFaceId(f));
    std::string after;
    if (!next_token.empty()) {
      CANDOR_ASSIGN_OR_RETURN(after, DecodeShortPageToken("f", id, next_token));
    }
    CANDOR_ASSIGN_OR_RETURN(store::CollectionRecord collection, GetCollection(id));
    std::vector<store::FaceRecord> records;
    if (filter.empty()) {
      CANDOR_ASSIGN_OR_RETURN(records, store_->ListFaces(id, after, limit + 1, false));
    } else {
      CANDOR_ASSIGN_OR_RETURN(records, FilteredFaces(id, filter, after, limit + 1));
    }
    FaceListPage page;
    page.face_model_version = collection.face_model_version;
    for (size_t i = 0; i < records.size() && static_cast<int>(i) < limit; ++i) {
      page.faces.push_back(ToStored(records[i]));
    }
    if (static_cast<int>(records.size()) > limit) {
      page.next_token = EncodePageToken("f", id, page.faces.back().face_id);
    }
    return page;
  }

  // The faces matching `filter` (a user's faces are at most 100, FaceIds at
  // most 4096: all are read), after `after` in FaceId order, at most `limit`.
  StatusOr<std::vector<store::FaceRecord>> FilteredFaces(const std::string& id,
                                                         const FaceListFilter& filter,
                                                         const std::string& after, int limit) {
    std::vector<std::string> ids = filter.face_ids;
    if (!filter.user_id.empty()) {
      CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> of_user,
                              store_->FacesOfUser(id, filter.user_id));
      if (!filter.face_ids.empty()) {
        std::set<std::string> wanted(filter.face_ids.begin(), filter.face_ids.end());
        std::erase_if(of_user, [&](const std::string& f) { return !wanted.contains(f); });
      }
      ids = std::move(of_user);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::erase_if(ids, [&](const std::string& f) { return f <= after; });
    CANDOR_ASSIGN_OR_RETURN(auto records, store_->GetFaces(id, ids, false));
    std::sort(records.begin(), records.end(),
              [](const store::FaceRecord& a, const store::FaceRecord& b) {
                return a.face_id < b.face_id;
              });
    if (records.size() > static_cast<size_t>(limit)) records.resize(static_cast<size_t>(limit));
    return records;
  }

  StatusOr<DeleteFacesResult> DeleteFaces(const std::string& id,
                                          const std::vector<std::string>& face_ids) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    if (face_ids.empty() || face_ids.size() > kMaxDeleteFaces) {
      return Status::InvalidArgument("FaceIds must hold 1 to 4096 face ids");
    }
    for (const std::string& f : face_ids) CANDOR_RETURN_IF_ERROR(ValidateFaceId(f));
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(id));
    // A face associated with a user stays (Rekognition's
    // ASSOCIATED_TO_AN_EXISTING_USER): DisassociateFaces or DeleteUser first.
    CANDOR_ASSIGN_OR_RETURN(store::FaceDeletion deletion,
                            store_->DeleteUnassociatedFaces(id, face_ids));
    CANDOR_RETURN_IF_ERROR(ApplyWrite([&] {
      std::unique_lock<std::shared_mutex> lock(state->mutex);
      for (const std::string& f : deletion.deleted) ForgetFace(f, state.get());
      return Status::Ok();
    }));
    state->gallery->NoteChanges(static_cast<int64_t>(deletion.deleted.size()));
    DeleteFacesResult result;
    result.deleted_faces = deletion.deleted;
    std::set<std::string> reported(deletion.deleted.begin(), deletion.deleted.end());
    for (const store::FaceDeletion::Kept& kept : deletion.associated) {
      result.unsuccessful.push_back({kept.face_id, "ASSOCIATED_TO_AN_EXISTING_USER", kept.user_id});
      reported.insert(kept.face_id);
    }
    for (const std::string& f : face_ids) {
      if (reported.insert(f).second) result.unsuccessful.push_back({f, "FACE_NOT_FOUND", ""});
    }
    return result;
  }

  StatusOr<SearchFacesResult> SearchFacesByImage(const SearchRequest& request,
                                                 const std::string& image_bytes) override {
    CANDOR_RETURN_IF_ERROR(ValidateSearch(request));
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(request.collection_id));
    // Pose and quality (the pose network costs as much as the embedding) are
    // only needed to apply a QualityFilter.
    const std::optional<AttributeSet> describe =
        request.quality_filter == QualityFilter::kNone ? std::nullopt
                                                       : std::optional(AttributeSet::kDefault);
    CANDOR_ASSIGN_OR_RETURN(EmbedResult embedded, engine_->EmbedFaces(image_bytes, 1, describe));
    if (embedded.faces.empty()) {
      return Status::InvalidArgument("There are no faces in the image");
    }
    const EmbeddedFace& probe = embedded.faces[0];
    std::vector<std::string> reasons = QualityReasons(probe.face, request.quality_filter);
    if (!reasons.empty()) {
      return Status::InvalidArgument("The face in the image is below the QualityFilter: " +
                                     reasons[0]);
    }
    SearchFacesResult result;
    result.image = embedded.image;
    result.searched_face_box = Ratios(probe.face.box, embedded.image);
    result.searched_face_confidence = probe.face.confidence;
    CANDOR_RETURN_IF_ERROR(
        SearchCollection(*engine_, *store_, request, *state, probe.embedding, "", &result));
    return result;
  }

  StatusOr<SearchFacesResult> SearchFaces(const SearchRequest& request,
                                          const std::string& face_id) override {
    CANDOR_RETURN_IF_ERROR(ValidateSearch(request));
    CANDOR_RETURN_IF_ERROR(ValidateFaceId(face_id));
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(request.collection_id));
    CANDOR_ASSIGN_OR_RETURN(auto faces, store_->GetFaces(request.collection_id, {face_id}, true));
    if (faces.empty()) {
      return Status::NotFound("FaceId " + face_id + " is not in collection " +
                              request.collection_id);
    }
    SearchFacesResult result;
    result.searched_face_id = face_id;
    CANDOR_RETURN_IF_ERROR(SearchCollection(*engine_, *store_, request, *state,
                                            faces[0].embedding, face_id, &result));
    return result;
  }

  StatusOr<SearchFacesResult> SearchFacesByEmbedding(const SearchRequest& request,
                                                     const std::vector<float>& embedding) override {
    CANDOR_RETURN_IF_ERROR(ValidateSearch(request));
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(request.collection_id));
    if (static_cast<int>(embedding.size()) != state->index->dimension()) {
      return Status::InvalidArgument("The embedding has " + std::to_string(embedding.size()) +
                                     " dimensions; the collection's model uses " +
                                     std::to_string(state->index->dimension()));
    }
    SearchFacesResult result;
    CANDOR_RETURN_IF_ERROR(
        SearchCollection(*engine_, *store_, request, *state, embedding, "", &result));
    return result;
  }

  StatusOr<CollectionIndexStatus> GetIndexStatus(const std::string& id) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<CollectionState> state, State(id));
    CollectionIndexStatus status;
    status.approximate = state->index->approximate();
    status.faces = static_cast<int64_t>(state->index->size());
    status.memory_bytes = static_cast<int64_t>(state->index->memory_bytes());
    return status;
  }

  Status CreateUser(const UserRequest& request) override { return users_.CreateUser(request); }
  Status DeleteUser(const UserRequest& request) override { return users_.DeleteUser(request); }
  StatusOr<UserListPage> ListUsers(const std::string& collection_id, const std::string& next_token,
                                   int max_results) override {
    return users_.ListUsers(collection_id, next_token, max_results);
  }
  StatusOr<AssociateFacesResult> AssociateFaces(const AssociateFacesRequest& request) override {
    return users_.AssociateFaces(request);
  }
  StatusOr<DisassociateFacesResult> DisassociateFaces(
      const DisassociateFacesRequest& request) override {
    return users_.DisassociateFaces(request);
  }
  StatusOr<SearchUsersResult> SearchUsers(const SearchUsersRequest& request) override {
    return users_.SearchUsers(request);
  }
  StatusOr<SearchUsersResult> SearchUsersByImage(const SearchUsersByImageRequest& request,
                                                 const std::string& image_bytes) override {
    return users_.SearchUsersByImage(request, image_bytes);
  }

  StatusOr<CollectionPolicy> GetCollectionPolicy(const std::string& id) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    auto stored = store_->GetPolicy(id);
    if (stored.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
    CANDOR_RETURN_IF_ERROR(stored.status());
    // No policy put yet: CollectionPolicy's defaults, with updated_ms 0.
    CollectionPolicy policy;
    if (!stored->has_value()) return policy;
    const store::PolicyRecord& r = **stored;
    policy.purpose = r.purpose;
    policy.threshold_floor = r.threshold_floor;
    policy.refuse_below_floor = r.refuse_below_floor;
    policy.max_faces = static_cast<int>(r.max_faces);
    policy.reason_required = r.reason_required;
    policy.retention_days = r.retention_days;
    policy.updated_ms = r.updated_ms;
    return policy;
  }

  Status PutCollectionPolicy(const std::string& id, const CollectionPolicy& policy) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_RETURN_IF_ERROR(ValidateCollectionPolicy(policy));
    store::PolicyRecord r;
    r.purpose = policy.purpose;
    r.threshold_floor = policy.threshold_floor;
    r.refuse_below_floor = policy.refuse_below_floor;
    r.max_faces = policy.max_faces;
    r.reason_required = policy.reason_required;
    r.retention_days = policy.retention_days;
    Status s = store_->PutPolicy(id, r);
    if (s.code() == StatusCode::kNotFound) return NotFoundCollection(id);
    return s;
  }

  // Erases in batches of kEraseBatch, oldest first, each batch one store
  // transaction (DeleteFaces: secure_delete and a WAL checkpoint) followed by
  // its removal from the index. If a batch fails, the batches before it stay
  // erased and the error is returned: calling again erases the rest.
  StatusOr<std::vector<std::string>> EraseFacesIndexedBefore(const std::string& id,
                                                             int64_t cutoff_ms) override {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(id));
    CANDOR_ASSIGN_OR_RETURN(store::CollectionRecord record, GetCollection(id));
    // A collection of another face model is never loaded into memory here
    // (State refuses it), but its faces must still be erasable: then the
    // store is the only place that holds them.
    std::shared_ptr<CollectionState> state;
    if (record.face_model_version == engine_->face_model_version()) {
      CANDOR_ASSIGN_OR_RETURN(state, State(id));
    }
    // The user operations read a face's user and then write: they must not
    // interleave with a face vanishing under them (CollectionState).
    std::unique_lock<std::mutex> user_lock;
    std::unique_lock<std::shared_mutex> erase_lock;
    if (state != nullptr) {
      user_lock = std::unique_lock<std::mutex>(state->user_write_mutex);
      erase_lock = std::unique_lock<std::shared_mutex>(state->erase_mutex);
    }
    std::vector<std::string> erased;
    for (;;) {
      auto batch = store_->ListFacesIndexedBefore(id, cutoff_ms, kEraseBatch);
      if (batch.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
      CANDOR_RETURN_IF_ERROR(batch.status());
      if (batch->empty()) break;
      std::vector<std::string> face_ids;
      face_ids.reserve(batch->size());
      for (const store::FaceRecord& f : *batch) face_ids.push_back(f.face_id);
      // Retention beats association: store::DeleteFaces deletes a face
      // whatever its user, and the association goes with the row (the user
      // stays, with one face fewer).
      auto deleted = store_->DeleteFaces(id, face_ids);
      if (deleted.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
      CANDOR_RETURN_IF_ERROR(deleted.status());
      if (state != nullptr) {
        CANDOR_RETURN_IF_ERROR(ApplyWrite([&] {
          std::unique_lock<std::shared_mutex> lock(state->mutex);
          for (const std::string& f : *deleted) ForgetFace(f, state.get());
          return Status::Ok();
        }));
        state->gallery->NoteChanges(static_cast<int64_t>(deleted->size()));
      }
      erased.insert(erased.end(), deleted->begin(), deleted->end());
      // None of the batch left to delete: another process with the same data
      // directory erased it meanwhile. Stop rather than risk spinning; what
      // is left is erased by the next call.
      if (deleted->empty()) break;
    }
    return erased;
  }

 private:
  static StatusOr<int> ListLimit(int max_results) {
    if (max_results == 0) return kDefaultListResults;
    if (max_results < 1 || max_results > kMaxListResults) {
      return Status::InvalidArgument("MaxResults must be between 1 and 4096");
    }
    return max_results;
  }

  Status ValidateSearch(const SearchRequest& request) const {
    CANDOR_RETURN_IF_ERROR(ValidateCollectionId(request.collection_id));
    CANDOR_RETURN_IF_ERROR(ValidatePercent(request.face_match_threshold, "FaceMatchThreshold"));
    if (request.max_faces < 1 || request.max_faces > kMaxSearchFaces) {
      return Status::InvalidArgument("MaxFaces must be between 1 and 4096");
    }
    return Status::Ok();
  }

  static Status TooManyTags(const std::string& id) {
    return Status::ServiceQuotaExceeded("collection " + id + " would hold more than " +
                                        std::to_string(kMaxTagsPerResource) + " tags");
  }

  Status ChangeTags(const std::string& id, const Tags& set, const std::vector<std::string>& remove) {
    const Status s = store_->UpdateTags(id, set, remove, kMaxTagsPerResource);
    if (s.code() == StatusCode::kNotFound) return NotFoundCollection(id);
    if (s.code() == StatusCode::kServiceQuotaExceeded) return TooManyTags(id);
    return s;
  }

  StatusOr<store::CollectionRecord> GetCollection(const std::string& id) {
    auto record = store_->GetCollection(id);
    if (record.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
    return record;
  }

  CollectionDescription Describe(const store::CollectionRecord& r) const {
    CollectionDescription d;
    d.collection_id = r.collection_id;
    d.collection_arn = std::string(kCollectionArnPrefix) + r.collection_id;
    d.face_model_version = r.face_model_version;
    d.created_ms = r.created_ms;
    d.face_count = r.face_count;
    d.user_count = r.user_count;
    return d;
  }

  // The collection's in-memory state, loaded from the store on first use.
  // Collections made with another model version are refused for search and
  // enrolment: their vectors are not comparable with this engine's.
  // On a shared store (sync_), the changes committed before the call are
  // applied first (with sync_reads), and a collection loaded here is handed
  // to the follower (StoreSync::Publish).
  StatusOr<std::shared_ptr<CollectionState>> State(const std::string& id) {
    // Every write path gets its state before it writes: a change number left
    // by an earlier call on this thread is not taken for its own (ApplyWrite).
    store::SetLastCommittedChangeSeq(0);
    if (sync_ != nullptr && sync_reads_) CANDOR_RETURN_IF_ERROR(sync_->SyncForRead());
    std::shared_ptr<CollectionSlot> slot = Slot(id);
    std::lock_guard<std::mutex> load_lock(slot->load_mutex);
    if (slot->state != nullptr) return slot->state;
    const int64_t loaded_after = sync_ != nullptr ? sync_->applied_seq() : 0;
    auto loaded = Load(id);
    if (!loaded.ok()) {
      // Forget the slot, so that a later call tries again.
      std::lock_guard<std::mutex> lock(states_mutex_);
      auto it = states_.find(id);
      if (it != states_.end() && it->second == slot) states_.erase(it);
      return loaded.status();
    }
    (*loaded)->gallery = slot->gallery;
    if (sync_ != nullptr) {
      CANDOR_RETURN_IF_ERROR(
          sync_->Publish(id, loaded_after, [&] { slot->synced = *loaded; }));
    }
    slot->state = *loaded;
    return slot->state;
  }

  // After a store write on this thread: `apply` (the write's effect on
  // memory) at once, or, on a shared store, in the order of the change log
  // (StoreSync::ApplyOwn).
  Status ApplyWrite(const std::function<Status()>& apply) {
    const int64_t seq = store::LastCommittedChangeSeq();
    store::SetLastCommittedChangeSeq(0);  // consumed: a later call without a write finds 0
    if (sync_ == nullptr || seq == 0) return apply();
    return sync_->ApplyOwn(seq, apply);
  }

  // Forgets the collection's in-memory state (DeleteCollection, or a
  // deletion by another node).
  void Drop(const std::string& id) {
    std::lock_guard<std::mutex> lock(states_mutex_);
    auto it = states_.find(id);
    if (it == states_.end()) return;
    it->second->synced.reset();
    states_.erase(it);
  }

  // StoreSyncHooks::refresh_faces: memory made to agree with the rows of
  // `face_ids` as they are now.
  Status RefreshFaces(const std::string& id, const std::vector<std::string>& face_ids,
                      store::Store& feed) {
    std::shared_ptr<CollectionSlot> slot;
    {
      std::lock_guard<std::mutex> lock(states_mutex_);
      auto it = states_.find(id);
      if (it == states_.end()) return Status::Ok();  // not in memory: loaded from the tables
      slot = it->second;
    }
    slot->gallery->NoteChanges(static_cast<int64_t>(face_ids.size()));
    const std::shared_ptr<CollectionState> state = slot->synced;
    if (state == nullptr) return Status::Ok();
    return RefreshFacesFromStore(feed, id, face_ids, state.get());
  }

 public:
  // Follows the other nodes' writes (a shared store only).
  Status StartSync(const CollectionsOptions& options) {
    StoreSyncOptions sync_options;
    sync_options.poll_ms = options.sync_poll_ms;
    sync_options.change_log_retention_ms = options.change_log_retention_ms;
    StoreSyncHooks hooks;
    hooks.refresh_faces = [this](const std::string& id, const std::vector<std::string>& faces,
                                 store::Store& feed) { return RefreshFaces(id, faces, feed); };
    hooks.drop_collection = [this](const std::string& id) { Drop(id); };
    hooks.drop_all = [this] {
      std::lock_guard<std::mutex> lock(states_mutex_);
      for (auto& [id, slot] : states_) slot->synced.reset();
      states_.clear();
    };
    CANDOR_ASSIGN_OR_RETURN(sync_, StoreSync::Open(options.store_uri, store_.get(), sync_options,
                                                   std::move(hooks)));
    return Status::Ok();
  }

  StoreSyncStatus GetStoreSyncStatus() override {
    return sync_ != nullptr ? sync_->GetStatus() : StoreSyncStatus{};
  }

 private:

  // The collection's slot, made (empty: nothing loaded) if there is none.
  std::shared_ptr<CollectionSlot> Slot(const std::string& id) {
    std::lock_guard<std::mutex> lock(states_mutex_);
    std::shared_ptr<CollectionSlot>& entry = states_[id];
    if (entry == nullptr) entry = std::make_shared<CollectionSlot>();
    return entry;
  }

  // The collection's gallery measurement (gallery_false_match.h): the kept
  // one, or a new one when it is missing or out of date.
  StatusOr<std::shared_ptr<const GalleryMeasurement>> Gallery(const std::string& id,
                                                              GalleryMeasurementCache& cache) {
    auto gallery = MeasuredGallery(cache, *store_, id, engine_->calibration());
    if (gallery.status().code() == StatusCode::kNotFound) return NotFoundCollection(id);
    return gallery;
  }

  // Builds the collection's in-memory state from the store (no lock of ours
  // held). A collection of approximate_min_faces_ faces or more goes straight
  // into the sketch index (adaptive_index.h).
  StatusOr<std::shared_ptr<CollectionState>> Load(const std::string& id) {
    CANDOR_ASSIGN_OR_RETURN(store::CollectionRecord record, GetCollection(id));
    if (record.face_model_version != engine_->face_model_version()) {
      return Status::InvalidArgument("collection " + id + " was made with face model " +
                                     record.face_model_version + "; this engine runs " +
                                     engine_->face_model_version());
    }
    return LoadCollectionState(*store_, record, kEmbeddingDimension, approximate_min_faces_);
  }

  Engine* engine_;
  const std::string data_dir_;
  const size_t approximate_min_faces_;
  const bool sync_reads_;  // CollectionsOptions::sync_reads
  std::unique_ptr<store::Store> store_;
  UserOperations users_;
  std::mutex states_mutex_;
  // Shared, so that a call still using a collection's state keeps it alive
  // while DeleteCollection drops it. Guarded by states_mutex_ (the slots'
  // contents by their own load_mutex).
  std::map<std::string, std::shared_ptr<CollectionSlot>> states_;
  // Last: its follower thread, which uses the members above, stops first.
  std::unique_ptr<StoreSync> sync_;
};

}  // namespace

StatusOr<std::unique_ptr<Collections>> Collections::Open(Engine* engine,
                                                         const CollectionsOptions& options) {
  if (engine == nullptr) return Status::InvalidArgument("Collections needs an engine");
  std::unique_ptr<store::Store> store;
  if (!options.store_uri.empty()) {
    CANDOR_ASSIGN_OR_RETURN(store, store::OpenPostgresStore(options.store_uri));
  } else {
    if (options.data_dir.empty()) return Status::InvalidArgument("Collections needs a data_dir");
    CANDOR_ASSIGN_OR_RETURN(store, store::Store::OpenSqlite(options.data_dir));
  }
  auto collections = std::make_unique<CollectionsImpl>(engine, std::move(store), options);
  if (!options.store_uri.empty()) CANDOR_RETURN_IF_ERROR(collections->StartSync(options));
  return std::unique_ptr<Collections>(std::move(collections));
}

}  // namespace candor
