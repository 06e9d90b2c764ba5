#include "server/operations.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

#include "collections/quality_filter.h"
#include "policy/search_policy.h"
#include "protocol/collections_json.h"
#include "protocol/rekognition_json.h"
#include "report/transparency.h"
#include "server/stream_operations.h"
#include "server/video_operations.h"
#include "server/wire.h"
#include "store/write_journal.h"
#include "video/stream_processor.h"

namespace candor::server {
namespace {

using nlohmann::json;

// One call in progress: the audit event it will leave, and what the policy
// did to it.
struct Call {
  const ServiceContext& service;
  const CallContext& caller;
  audit::AuditEvent event;
  // Set by ApplySearchPolicy.
  std::optional<float> requested;
  std::optional<float> applied;
  std::optional<int> max_applied;
  // Set by RecordBeforeChange: the audit record is written already.
  bool recorded = false;

  // For changes outside the store (the credentials file): the call's audit
  // record, written before the change is made.
  Status RecordBeforeChange(const json& change) {
    if (service.audit == nullptr) return Status::Ok();
    event.results = change;
    event.outcome = "ok";
    audit::AuditEvent copy = event;
    CANDOR_RETURN_IF_ERROR(service.audit->Append(copy));
    recorded = true;
    return Status::Ok();
  }

  // A search of `collection_id`: the reason, the floor and the MaxFaces cap
  // of its policy. `threshold` and `max_results` are changed in place.
  Status ApplySearchPolicy(const std::string& collection_id, float* threshold, int* max_results) {
    event.collection_id = collection_id;
    CANDOR_ASSIGN_OR_RETURN(CollectionPolicy policy,
                            service.collections->GetCollectionPolicy(collection_id));
    event.purpose = policy.purpose;
    requested = *threshold;
    event.threshold_requested = *threshold;
    auto applied_policy = policy::ApplySearchPolicy(
        policy, collection_id, *threshold, *max_results, caller.reason,
        "send the X-Candor-Reason header (a case reference), use a key bound to a case, or "
        "give `candor collection --reason`");
    if (!applied_policy.ok()) {
      if (*threshold < policy.threshold_floor && policy.refuse_below_floor) {
        event.threshold_applied = policy.threshold_floor;
        event.results["ThresholdRefused"] = true;
      }
      return applied_policy.status();
    }
    *threshold = applied_policy->threshold;
    applied = *threshold;
    event.threshold_applied = *threshold;
    *max_results = applied_policy->max_results;
    max_applied = *max_results;
    event.max_faces = *max_results;
    return Status::Ok();
  }

  // Candor's fields on a search response: what was asked and applied.
  json Annotate(json out) const {
    if (requested) out["CandorThresholdRequested"] = *requested;
    if (applied) out["CandorThresholdApplied"] = *applied;
    if (requested && applied) out["CandorThresholdRaised"] = *applied > *requested;
    if (max_applied) out["CandorMaxResultsApplied"] = *max_applied;
    if (!event.purpose.empty()) out["CandorPurpose"] = event.purpose;
    return out;
  }
};

using Handler = std::function<StatusOr<json>(const json&, Call&)>;

json FaceMatchesAudit(const std::vector<SearchMatch>& matches) {
  json list = json::array();
  for (const SearchMatch& m : matches) {
    list.push_back({{"FaceId", m.face.face_id}, {"Similarity", m.similarity}});
  }
  return list;
}

json UserMatchesAudit(const std::vector<UserMatch>& matches) {
  json list = json::array();
  for (const UserMatch& m : matches) {
    list.push_back({{"UserId", m.user_id}, {"Similarity", m.similarity}});
  }
  return list;
}

// Beside a search's matches in its audit record: which calibration made
// their similarities, and the false-match rate at the threshold measured on
// the collection's gallery, so that an auditor can tell what a Similarity
// meant when it was returned.
template <typename SearchResult>
void AuditCalibration(const SearchResult& x, json& results) {
  results["CalibrationVersion"] = x.calibration_version;
  if (x.collection_false_match_rate) {
    results["CollectionFalseMatchRate"] = *x.collection_false_match_rate;
  }
}

// Which operations leave an audit record: all but those that only name
// collections, count their faces or read their labels.
bool Audited(std::string_view operation) {
  return operation != "ListCollections" && operation != "DescribeCollection" &&
         operation != "Candor.GetCollectionPolicy" && operation != "ListTagsForResource" &&
         operation != "Candor.GetCallerIdentity";
}

// Says which of the attributes asked for no network here produces, rather
// than leave a client to guess why Beard or Eyeglasses is missing.
json WithAttributesNotProduced(const json& body, const char* member, json response) {
  std::vector<std::string> missing = protocol::AttributesNotProduced(body, member);
  if (!missing.empty()) response["CandorAttributesNotProduced"] = std::move(missing);
  return response;
}

// TagResource, UntagResource and ListTagsForResource on a collection's or a
// stream processor's ARN (as CreateCollection and CreateStreamProcessor
// return them).
StatusOr<json> TagOperation(const json& body, Call& c, protocol::TagOperation operation) {
  CANDOR_ASSIGN_OR_RETURN(protocol::TagRequest r, protocol::ParseTagRequest(body, operation));
  const std::string& arn = r.resource_arn;
  const auto starts = [&](std::string_view prefix) {
    return arn.size() > prefix.size() && arn.compare(0, prefix.size(), prefix) == 0;
  };
  std::optional<Tags> listed;
  if (starts(kCollectionArnPrefix)) {
    const std::string id = arn.substr(kCollectionArnPrefix.size());
    c.event.collection_id = id;
    Collections& collections = *c.service.collections;
    if (operation == protocol::TagOperation::kTag) {
      CANDOR_RETURN_IF_ERROR(collections.TagCollection(id, r.tags));
    } else if (operation == protocol::TagOperation::kUntag) {
      CANDOR_RETURN_IF_ERROR(collections.UntagCollection(id, r.keys));
    } else {
      CANDOR_ASSIGN_OR_RETURN(listed, collections.ListTags(id));
    }
  } else if (starts(kStreamProcessorArnPrefix)) {
    const std::string name = arn.substr(kStreamProcessorArnPrefix.size());
    video::StreamProcessorManager* streams = c.service.stream_processors;
    if (streams == nullptr) return Status::NotFound("no stream processor has the ARN " + arn);
    if (operation == protocol::TagOperation::kTag) {
      CANDOR_RETURN_IF_ERROR(streams->Tag(name, r.tags));
    } else if (operation == protocol::TagOperation::kUntag) {
      CANDOR_RETURN_IF_ERROR(streams->Untag(name, r.keys));
    } else {
      CANDOR_ASSIGN_OR_RETURN(listed, streams->ListTags(name));
    }
  } else {
    return Status::InvalidArgument("ResourceArn must be a collection's (" +
                                   std::string(kCollectionArnPrefix) + "<id>) or a stream " +
                                   "processor's (" + std::string(kStreamProcessorArnPrefix) +
                                   "<name>)");
  }
  c.event.results = {{"ResourceArn", arn}};
  if (!r.tags.empty()) c.event.results["Tags"] = r.tags;
  if (!r.keys.empty()) c.event.results["TagKeys"] = r.keys;
  if (listed) return json{{"Tags", *listed}};
  return protocol::EmptyResponse();
}

const std::map<std::string, Handler, std::less<>>& Handlers() {
  static auto* handlers = new std::map<std::string, Handler, std::less<>>{
      {"DetectFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r,
                                 protocol::ParseDetectFaces(body, c.service.request_options));
         CANDOR_ASSIGN_OR_RETURN(DetectResult d,
                                 c.service.engine->DetectFaces(r.image_bytes, r.attributes));
         c.event.results = {{"FaceCount", d.faces.size()}};
         return WithAttributesNotProduced(
             body, "Attributes", protocol::DetectFacesResponse(d, {.attributes = r.attributes}));
       }},
      {"CompareFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r,
                                 protocol::ParseCompareFaces(body, c.service.request_options));
         c.event.threshold_requested = r.similarity_threshold;
         c.event.threshold_applied = r.similarity_threshold;
         CANDOR_ASSIGN_OR_RETURN(
             CompareResult x,
             c.service.engine->CompareFaces(r.source_bytes, r.target_bytes, r.similarity_threshold));
         CANDOR_RETURN_IF_ERROR(FilterCompared(r.quality_filter, &x));
         json matches = json::array();
         for (const FaceMatch& m : x.matches) matches.push_back({{"Similarity", m.similarity}});
         c.event.results = {{"FaceMatches", matches},
                            {"UnmatchedFaces", x.unmatched.size()},
                            {"FilteredFaces", x.filtered.size()},
                            {"CalibrationVersion", x.calibration_version}};
         c.event.faces_searched = static_cast<int64_t>(x.matches.size() + x.unmatched.size());
         return protocol::CompareFacesResponse(x);
       }},
      {"CreateCollection",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseCreateCollection(body));
         c.event.collection_id = r.collection_id;
         if (!r.tags.empty()) c.event.results = {{"Tags", r.tags}};
         CANDOR_ASSIGN_OR_RETURN(auto d,
                                 c.service.collections->CreateCollection(r.collection_id, r.tags));
         return protocol::CreateCollectionResponse(d);
       }},
      {"TagResource",
       [](const json& body, Call& c) { return TagOperation(body, c, protocol::TagOperation::kTag); }},
      {"UntagResource",
       [](const json& body, Call& c) {
         return TagOperation(body, c, protocol::TagOperation::kUntag);
       }},
      {"ListTagsForResource",
       [](const json& body, Call& c) {
         return TagOperation(body, c, protocol::TagOperation::kList);
       }},
      {"DescribeCollection",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(std::string id, protocol::ParseCollectionId(body));
         CANDOR_ASSIGN_OR_RETURN(auto d, c.service.collections->DescribeCollection(id));
         return protocol::DescribeCollectionResponse(d);
       }},
      {"DeleteCollection",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(std::string id, protocol::ParseCollectionId(body));
         c.event.collection_id = id;
         auto before = c.service.collections->DescribeCollection(id, false);
         CANDOR_RETURN_IF_ERROR(c.service.collections->DeleteCollection(id));
         if (before.ok()) {
           c.event.results = {{"DeletedFaces", before->face_count},
                              {"DeletedUsers", before->user_count}};
         }
         return json{{"StatusCode", 200}};
       }},
      {"ListCollections",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseListCollections(body));
         CANDOR_ASSIGN_OR_RETURN(auto page,
                                 c.service.collections->ListCollections(r.next_token, r.max_results));
         return protocol::ListCollectionsResponse(page);
       }},
      {"IndexFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseIndexFaces(body, c.service.request_options));
         c.event.collection_id = r.collection_id;
         // An enrolment serves the collection's stated purpose, and its
         // record says so, as a search's does (the transparency report
         // counts enrolments per purpose).
         if (auto policy = c.service.collections->GetCollectionPolicy(r.collection_id); policy.ok()) {
           c.event.purpose = policy->purpose;
         }
         CANDOR_ASSIGN_OR_RETURN(IndexFacesResult x, c.service.collections->IndexFaces(r));
         json ids = json::array();
         for (const IndexedFace& f : x.face_records) ids.push_back(f.face.face_id);
         c.event.results = {{"FaceIds", ids},
                            {"ExternalImageId", r.external_image_id},
                            {"UnindexedFaces", x.unindexed_faces.size()}};
         return WithAttributesNotProduced(body, "DetectionAttributes",
                                          protocol::IndexFacesResponse(x, r.detection_attributes));
       }},
      {"ListFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseListFaces(body));
         c.event.collection_id = r.collection_id;
         CANDOR_ASSIGN_OR_RETURN(auto page,
                                 c.service.collections->ListFaces(r.collection_id, r.filter,
                                                                  r.next_token, r.max_results));
         c.event.results = {{"FaceCount", page.faces.size()}};
         return protocol::ListFacesResponse(page);
       }},
      {"DeleteFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseDeleteFaces(body));
         c.event.collection_id = r.collection_id;
         CANDOR_ASSIGN_OR_RETURN(auto x,
                                 c.service.collections->DeleteFaces(r.collection_id, r.face_ids));
         c.event.results = {{"FaceIds", x.deleted_faces}, {"Unsuccessful", x.unsuccessful.size()}};
         return protocol::DeleteFacesResponse(x);
       }},
      {"SearchFacesByImage",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseSearchFacesByImage(
                                             body, c.service.request_options));
         CANDOR_RETURN_IF_ERROR(c.ApplySearchPolicy(
             r.search.collection_id, &r.search.face_match_threshold, &r.search.max_faces));
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->SearchFacesByImage(
                                             r.search, r.image_bytes));
         c.event.faces_searched = x.faces_searched;
         c.event.results = {{"FaceMatches", FaceMatchesAudit(x.matches)},
                            {"ExpectedFalseMatches", x.expected_false_matches}};
         AuditCalibration(x, c.event.results);
         return c.Annotate(protocol::SearchFacesByImageResponse(x));
       }},
      {"SearchFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseSearchFaces(body));
         CANDOR_RETURN_IF_ERROR(c.ApplySearchPolicy(
             r.search.collection_id, &r.search.face_match_threshold, &r.search.max_faces));
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->SearchFaces(r.search, r.face_id));
         c.event.faces_searched = x.faces_searched;
         c.event.results = {{"SearchedFaceId", r.face_id},
                            {"FaceMatches", FaceMatchesAudit(x.matches)},
                            {"ExpectedFalseMatches", x.expected_false_matches}};
         AuditCalibration(x, c.event.results);
         return c.Annotate(protocol::SearchFacesResponse(x));
       }},
      {"CreateUser",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(UserRequest r, protocol::ParseUserRequest(body));
         c.event.collection_id = r.collection_id;
         c.event.results = {{"UserId", r.user_id}};
         CANDOR_RETURN_IF_ERROR(c.service.collections->CreateUser(r));
         return protocol::EmptyResponse();
       }},
      {"DeleteUser",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(UserRequest r, protocol::ParseUserRequest(body));
         c.event.collection_id = r.collection_id;
         c.event.results = {{"UserId", r.user_id}};
         CANDOR_RETURN_IF_ERROR(c.service.collections->DeleteUser(r));
         return protocol::EmptyResponse();
       }},
      {"ListUsers",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseListUsers(body));
         c.event.collection_id = r.collection_id;
         CANDOR_ASSIGN_OR_RETURN(auto page, c.service.collections->ListUsers(
                                                r.collection_id, r.next_token, r.max_results));
         c.event.results = {{"UserCount", page.users.size()}};
         return protocol::ListUsersResponse(page);
       }},
      {"AssociateFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(AssociateFacesRequest r, protocol::ParseAssociateFaces(body));
         c.event.collection_id = r.collection_id;
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->AssociateFaces(r));
         c.event.results = {{"UserId", r.user_id},
                            {"FaceIds", x.associated_faces},
                            {"Unsuccessful", x.unsuccessful.size()}};
         return protocol::AssociateFacesResponse(x);
       }},
      {"DisassociateFaces",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(DisassociateFacesRequest r,
                                 protocol::ParseDisassociateFaces(body));
         c.event.collection_id = r.collection_id;
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->DisassociateFaces(r));
         c.event.results = {{"UserId", r.user_id},
                            {"FaceIds", x.disassociated_faces},
                            {"Unsuccessful", x.unsuccessful.size()}};
         return protocol::DisassociateFacesResponse(x);
       }},
      {"SearchUsers",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(SearchUsersRequest r, protocol::ParseSearchUsers(body));
         CANDOR_RETURN_IF_ERROR(
             c.ApplySearchPolicy(r.collection_id, &r.user_match_threshold, &r.max_users));
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->SearchUsers(r));
         c.event.faces_searched = x.faces_searched;
         c.event.results = {{"SearchedUserId", r.user_id},
                            {"SearchedFaceId", r.face_id},
                            {"UserMatches", UserMatchesAudit(x.user_matches)},
                            {"ExpectedFalseMatches", x.expected_false_matches}};
         AuditCalibration(x, c.event.results);
         return c.Annotate(protocol::SearchUsersResponse(x));
       }},
      {"SearchUsersByImage",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseSearchUsersByImage(
                                             body, c.service.request_options));
         CANDOR_RETURN_IF_ERROR(c.ApplySearchPolicy(
             r.search.collection_id, &r.search.user_match_threshold, &r.search.max_users));
         CANDOR_ASSIGN_OR_RETURN(auto x, c.service.collections->SearchUsersByImage(
                                             r.search, r.image_bytes));
         c.event.faces_searched = x.faces_searched;
         c.event.results = {{"UserMatches", UserMatchesAudit(x.user_matches)},
                            {"ExpectedFalseMatches", x.expected_false_matches}};
         AuditCalibration(x, c.event.results);
         return c.Annotate(protocol::SearchUsersByImageResponse(x));
       }},
      // --- Candor's operations ---
      {"Candor.GetCollectionPolicy",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(std::string id, protocol::ParseCollectionId(body));
         CANDOR_ASSIGN_OR_RETURN(auto policy, c.service.collections->GetCollectionPolicy(id));
         return json{{"CollectionId", id}, {"Policy", protocol::CollectionPolicyJson(policy)}};
       }},
      // Who the caller is, as the service sees it, and what its roles allow:
      // the console offers only those operations (the service still refuses
      // the others).
      {"Candor.GetCallerIdentity",
       [](const json&, Call& c) -> StatusOr<json> {
         json roles = json::array();
         for (policy::Role role : c.caller.roles) roles.push_back(policy::RoleName(role));
         json allowed = json::array();
         for (std::string_view operation : OperationNames()) {
           if (policy::Authorize(c.caller.principal, c.caller.roles, operation).ok()) {
             allowed.push_back(operation);
           }
         }
         json out = {{"Principal", c.caller.principal}, {"Roles", roles}, {"Operations", allowed}};
         if (!c.caller.key_reason.empty()) out["CaseReason"] = c.caller.key_reason;
         return out;
       }},
      {"Candor.PutCollectionPolicy",
       [](const json& body, Call& c) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(std::string id, protocol::ParseCollectionId(body));
         c.event.collection_id = id;
         CANDOR_ASSIGN_OR_RETURN(CollectionPolicy before,
                                 c.service.collections->GetCollectionPolicy(id));
         CollectionPolicy after = before;
         CANDOR_RETURN_IF_ERROR(protocol::ParsePolicyUpdate(body, &after).status());
         CANDOR_RETURN_IF_ERROR(c.service.collections->PutCollectionPolicy(id, after));
         CANDOR_ASSIGN_OR_RETURN(after, c.service.collections->GetCollectionPolicy(id));
         c.event.purpose = after.purpose;
         c.event.results = {{"Before", protocol::CollectionPolicyJson(before)},
                            {"After", protocol::CollectionPolicyJson(after)}};
         return json{{"CollectionId", id}, {"Policy", protocol::CollectionPolicyJson(after)}};
       }},
      {"Candor.ListAuditEvents",
       [](const json& body, Call& c) -> StatusOr<json> {
         if (c.service.audit == nullptr) return Status::Unsupported("no audit log is configured");
         CANDOR_ASSIGN_OR_RETURN(audit::AuditQuery q, protocol::ParseAuditQuery(body));
         CANDOR_ASSIGN_OR_RETURN(audit::AuditPage page, c.service.audit->Query(q));
         json events = json::array();
         for (const audit::AuditEvent& e : page.events) events.push_back(audit::ToJson(e));
         c.event.results = {{"EventCount", page.events.size()}};
         json out = {{"AuditEvents", events}};
         if (!page.next_token.empty()) out["NextToken"] = page.next_token;
         return out;
       }},
      {"Candor.VerifyAuditLog",
       [](const json&, Call& c) -> StatusOr<json> {
         if (c.service.audit == nullptr) return Status::Unsupported("no audit log is configured");
         CANDOR_ASSIGN_OR_RETURN(audit::VerifyReport v, c.service.audit->Verify());
         c.event.results = {{"Ok", v.ok}, {"Records", v.records}};
         return json{{"Ok", v.ok},
                     {"Records", v.records},
                     {"Checkpoints", v.checkpoints},
                     {"LastCheckpointSeq", v.last_checkpoint_seq},
                     {"Problems", v.problems}};
       }},
      // The transparency report of [StartTime, EndTime) (epoch seconds; by
      // default everything until now), as `candor report transparency`
      // writes it: its JSON, and its self-contained HTML page.
      {"Candor.GetTransparencyReport",
       [](const json& body, Call& c) -> StatusOr<json> {
         if (c.service.audit == nullptr) return Status::Unsupported("no audit log is configured");
         CANDOR_ASSIGN_OR_RETURN(audit::AuditQuery period, protocol::ParseAuditQuery(body));
         if (!period.principal.empty() || !period.collection_id.empty() ||
             !period.operation.empty()) {
           return Status::InvalidArgument(
               "a transparency report covers every principal, collection and operation: give "
               "StartTime and EndTime only");
         }
         if (!body.contains("EndTime")) {
           period.to_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() +
                          1;
         }
         if (period.to_ms <= period.from_ms) {
           return Status::InvalidArgument("EndTime must be after StartTime");
         }
         CANDOR_ASSIGN_OR_RETURN(report::TransparencyReport r,
                                 report::BuildTransparencyReportFromLog(
                                     *c.service.audit, period.from_ms, period.to_ms));
         c.event.results = {{"Events", r.events}, {"Verified", r.chain.ok}};
         return json{{"Report", report::ToJson(r)}, {"Html", report::RenderHtml(r)}};
       }},
      {"Candor.CreateAccessKey",
       [](const json& body, Call& c) -> StatusOr<json> {
         if (c.service.keys == nullptr) return Status::Unsupported("keys are managed by the CLI");
         return c.service.keys->create(body, [&c](const json& change) {
           return c.RecordBeforeChange(change);
         });
       }},
      {"Candor.ListAccessKeys",
       [](const json& body, Call& c) -> StatusOr<json> {
         if (c.service.keys == nullptr) return Status::Unsupported("keys are managed by the CLI");
         return c.service.keys->list(body);
       }},
      {"Candor.DeleteAccessKey",
       [](const json& body, Call& c) -> StatusOr<json> {
         if (c.service.keys == nullptr) return Status::Unsupported("keys are managed by the CLI");
         return c.service.keys->remove(body, [&c](const json& change) {
           return c.RecordBeforeChange(change);
         });
       }},
  };
  static const bool merged = [] {
    for (const auto* extra : {&StreamProcessorHandlers(), &VideoJobHandlers()}) {
      for (const auto& [name, handler] : *extra) {
        handlers->emplace(name, [handler](const json& body, Call& c) {
          return handler(body, c.service, c.caller, &c.event);
        });
      }
    }
    return true;
  }();
  (void)merged;
  return *handlers;
}

}  // namespace

Status ValidateReason(std::string_view reason) {
  if (reason.size() > kMaxReasonBytes) {
    return Status::InvalidArgument("the reason is longer than " + std::to_string(kMaxReasonBytes) +
                                   " bytes");
  }
  for (char ch : reason) {
    if (ch < 0x20 || ch > 0x7e) {
      return Status::InvalidArgument("the reason must be printable ASCII");
    }
  }
  return Status::Ok();
}

const std::vector<std::string_view>& OperationNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string_view>;
    for (const auto& [name, handler] : Handlers()) v->push_back(name);
    return v;
  }();
  return *names;
}

bool IsKnownOperation(std::string_view operation) {
  return Handlers().find(operation) != Handlers().end();
}

bool IsWriteOperation(std::string_view operation) {
  if (!IsKnownOperation(operation)) return false;
  std::string_view name = operation;
  if (name.substr(0, kCandorPrefix.size()) == kCandorPrefix) {
    name.remove_prefix(kCandorPrefix.size());
  }
  for (std::string_view read :
       {"Detect", "Compare", "Describe", "List", "Search", "Get", "Verify"}) {
    if (name.substr(0, read.size()) == read) return false;
  }
  return true;
}

StatusOr<nlohmann::json> RunOperation(std::string_view operation, const nlohmann::json& body,
                                      const ServiceContext& service, const CallContext& caller) {
  auto it = Handlers().find(operation);
  if (it == Handlers().end()) {
    return Status::UnknownOperation("operation " + std::string(operation) +
                                    " is not supported by this service");
  }
  Call call{service, caller, {}, {}, {}, {}};
  call.event.principal = caller.principal;
  call.event.source = caller.source;
  call.event.request_id = caller.request_id;
  call.event.operation = std::string(operation);
  call.event.reason = caller.reason;

  // The store's writes for this call carry its journal row
  // (store/write_journal.h) until its audit record below is written.
  const bool audited = service.audit != nullptr && Audited(operation);
  std::optional<store::ScopedWriteOrigin> origin;
  if (audited) {
    store::WriteOrigin o;
    o.request_id = caller.request_id;
    o.operation = std::string(operation);
    o.principal = caller.principal;
    o.source = caller.source;
    o.reason = caller.reason;
    if (body.is_object()) {
      if (auto id = body.find("CollectionId"); id != body.end() && id->is_string()) {
        o.collection_id = id->get<std::string>();
      }
    }
    o.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    origin.emplace(std::move(o));
  }

  StatusOr<json> result = [&]() -> StatusOr<json> {
    CANDOR_RETURN_IF_ERROR(policy::Authorize(caller.principal, caller.roles, operation));
    if (!body.is_object()) return Status::Serialization("the request body must be a JSON object");
    return it->second(body, call);
  }();

  if (audited && !(call.recorded && result.ok())) {
    call.event.outcome = result.ok() ? "ok" : std::string(ErrorTypeName(result.status().code()));
    if (!call.event.results.is_object()) call.event.results = json::object();
    if (call.requested && call.applied && *call.applied > *call.requested) {
      call.event.results["ThresholdRaised"] = true;
    }
    if (!result.ok()) {
      call.event.results["Message"] = result.status().message().substr(0, 512);
    }
    Status recorded = service.audit->Append(call.event);
    if (!recorded.ok()) {
      // No unaudited result leaves the service; what the call committed
      // keeps its journal row, which the next start turns into the record.
      // A log that cannot be reached for now (one kept in the shared
      // database, which is restarting) is retryable, as the store's own
      // errors are; anything else is the service's fault.
      if (recorded.code() == StatusCode::kThrottling) {
        return Status::Throttling("the audit log could not record this call: " +
                                  recorded.message());
      }
      return Status::Internal("the audit log could not record this call: " + recorded.message());
    }
  }
  if (origin && origin->wrote()) service.collections->ResolveAuditJournal(caller.request_id);
  return result;
}

}  // namespace candor::server
