#include "server/video_operations.h"

#include "protocol/requests.h"
#include "protocol/video_requests.h"
#include "video/video_jobs.h"

namespace candor::server {
namespace {

using nlohmann::json;

StatusOr<video::VideoJobManager*> Manager(const ServiceContext& service) {
  if (service.video_jobs == nullptr) {
    return Status::Unsupported("stored-video jobs are not enabled on this service");
  }
  return service.video_jobs;
}

StatusOr<json> Start(bool search, const json& body, const ServiceContext& s, const CallContext& c,
                     audit::AuditEvent* e) {
  CANDOR_ASSIGN_OR_RETURN(video::VideoJobManager * m, Manager(s));
  CANDOR_ASSIGN_OR_RETURN(video::VideoJobRequest r,
                          search ? protocol::ParseStartFaceSearch(body, s.request_options)
                                 : protocol::ParseStartFaceDetection(body, s.request_options));
  e->results = {{"Video", r.bucket + "/" + r.name}};
  if (search) {
    e->collection_id = r.collection_id;
    e->threshold_requested = r.face_match_threshold;
  }
  StatusOr<video::StartedVideoJob> result =
      m->Start(r, {c.principal, c.source, c.request_id, c.reason});
  if (!result.ok() && search) {
    // A refusal records the policy that refused, as SearchFacesByImage's.
    auto policy = s.collections->GetCollectionPolicy(r.collection_id);
    if (policy.ok()) {
      e->purpose = policy->purpose;
      if (r.face_match_threshold < policy->threshold_floor && policy->refuse_below_floor) {
        e->threshold_applied = policy->threshold_floor;
        e->results["ThresholdRefused"] = true;
      }
    }
  }
  CANDOR_ASSIGN_OR_RETURN(video::StartedVideoJob started, std::move(result));
  e->results["JobId"] = started.job_id;
  if (started.reused) e->results["ClientRequestTokenReused"] = true;
  json out = {{"JobId", started.job_id}};
  if (search) {
    e->purpose = started.policy.purpose;
    e->threshold_applied = started.policy.threshold_applied;
    e->max_faces = started.policy.max_matches;
    if (started.policy.threshold_applied > started.policy.threshold_requested) {
      e->results["ThresholdRaised"] = true;
    }
    out["CandorThresholdRequested"] = started.policy.threshold_requested;
    out["CandorThresholdApplied"] = started.policy.threshold_applied;
  }
  return out;
}

StatusOr<json> Get(bool search, const json& body, const ServiceContext& s, audit::AuditEvent* e) {
  CANDOR_ASSIGN_OR_RETURN(video::VideoJobManager * m, Manager(s));
  CANDOR_ASSIGN_OR_RETURN(
      protocol::GetVideoJobRequest r,
      search ? protocol::ParseGetFaceSearch(body) : protocol::ParseGetFaceDetection(body));
  e->results = {{"JobId", r.job_id}};
  CANDOR_ASSIGN_OR_RETURN(std::shared_ptr<const video::StoredVideoJob> job,
                          m->Get(r.job_id, search ? video::VideoJobKind::kFaceSearch
                                                  : video::VideoJobKind::kFaceDetection));
  if (search) e->collection_id = job->request.collection_id;
  CANDOR_ASSIGN_OR_RETURN(json out, protocol::GetVideoJobResponse(*job, r));
  const char* list = search ? "Persons" : "Faces";
  e->results["JobStatus"] = out["JobStatus"];
  e->results["Count"] = out.contains(list) ? out[list].size() : 0;
  return out;
}

// Candor.ListVideoJobs: the newest jobs of the kinds the caller may read
// (searcher: FaceSearch, analyst: FaceDetection), their state only; their
// results are GetFaceSearch's and GetFaceDetection's, audited there.
StatusOr<json> List(const json& body, const ServiceContext& s, const CallContext& c,
                    audit::AuditEvent* e) {
  CANDOR_ASSIGN_OR_RETURN(video::VideoJobManager * m, Manager(s));
  int max_results = 100;
  CANDOR_RETURN_IF_ERROR(protocol::OptionalCount(body, "MaxResults", 1, 1000, &max_results));
  std::vector<video::VideoJobKind> kinds;
  for (policy::Role role : c.roles) {
    if (role == policy::Role::kSearcher) kinds.push_back(video::VideoJobKind::kFaceSearch);
    if (role == policy::Role::kAnalyst) kinds.push_back(video::VideoJobKind::kFaceDetection);
  }
  json jobs = json::array();
  CANDOR_ASSIGN_OR_RETURN(auto listed, m->List(kinds, static_cast<size_t>(max_results)));
  for (const auto& job : listed) {
    json j = {{"JobId", job->job_id},
              {"JobType", video::VideoJobKindName(job->request.kind)},
              {"JobStatus", video::VideoJobStatusName(job->status)},
              {"Video", job->request.bucket + "/" + job->request.name},
              {"CreationTimestamp", static_cast<double>(job->created_ms) / 1000.0}};
    if (!job->status_message.empty()) j["StatusMessage"] = job->status_message;
    if (job->completed_ms > 0) {
      j["CompletionTimestamp"] = static_cast<double>(job->completed_ms) / 1000.0;
    }
    if (!job->request.collection_id.empty()) j["CollectionId"] = job->request.collection_id;
    jobs.push_back(std::move(j));
  }
  e->results = {{"Count", jobs.size()}};
  return json{{"VideoJobs", std::move(jobs)}};
}

}  // namespace

const std::map<std::string, StreamHandler, std::less<>>& VideoJobHandlers() {
  static const auto* handlers = new std::map<std::string, StreamHandler, std::less<>>{
      {"StartFaceDetection", [](const json& body, const ServiceContext& s, const CallContext& c,
                                audit::AuditEvent* e) { return Start(false, body, s, c, e); }},
      {"StartFaceSearch", [](const json& body, const ServiceContext& s, const CallContext& c,
                             audit::AuditEvent* e) { return Start(true, body, s, c, e); }},
      {"GetFaceDetection", [](const json& body, const ServiceContext& s, const CallContext&,
                              audit::AuditEvent* e) { return Get(false, body, s, e); }},
      {"GetFaceSearch", [](const json& body, const ServiceContext& s, const CallContext&,
                           audit::AuditEvent* e) { return Get(true, body, s, e); }},
      {"Candor.ListVideoJobs", List},
  };
  return *handlers;
}

}  // namespace candor::server
