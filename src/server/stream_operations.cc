#include "server/stream_operations.h"

#include "protocol/stream_requests.h"
#include "video/stream_processor.h"

namespace candor::server {
namespace {

using nlohmann::json;

StatusOr<video::StreamProcessorManager*> Manager(const ServiceContext& service) {
  if (service.stream_processors == nullptr) {
    return Status::Unsupported("stream processors are not enabled on this service");
  }
  return service.stream_processors;
}

// What a call about an existing processor records: its name and collection.
void Describe(video::StreamProcessorManager* m, const std::string& name, audit::AuditEvent* e) {
  e->results["Name"] = name;
  auto info = m->Describe(name);
  if (info.ok()) e->collection_id = info->definition.collection_id;
}

}  // namespace

const std::map<std::string, StreamHandler, std::less<>>& StreamProcessorHandlers() {
  static const auto* handlers = new std::map<std::string, StreamHandler, std::less<>>{
      {"CreateStreamProcessor",
       [](const json& body, const ServiceContext& s, const CallContext&,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(auto d, protocol::ParseCreateStreamProcessor(body));
         e->collection_id = d.collection_id;
         e->threshold_requested = d.face_match_threshold;
         e->results = {{"Name", d.name}, {"Input", d.input_url}, {"Output", d.output_url}};
         CANDOR_ASSIGN_OR_RETURN(d, m->Create(std::move(d)));
         return protocol::CreateStreamProcessorResponse(d);
       }},
      {"StartStreamProcessor",
       [](const json& body, const ServiceContext& s, const CallContext& c,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(std::string name, protocol::ParseStreamProcessorName(body));
         Describe(m, name, e);
         CANDOR_ASSIGN_OR_RETURN(video::StartedSession started,
                                 m->Start(name, {c.principal, c.source, c.request_id, c.reason}));
         e->purpose = started.policy.purpose;
         e->threshold_requested = started.policy.threshold_requested;
         e->threshold_applied = started.policy.threshold_applied;
         e->max_faces = started.policy.max_matches;
         e->results["SessionId"] = started.session_id;
         if (started.policy.threshold_applied > started.policy.threshold_requested) {
           e->results["ThresholdRaised"] = true;
         }
         return protocol::StartStreamProcessorResponse(started);
       }},
      {"StopStreamProcessor",
       [](const json& body, const ServiceContext& s, const CallContext&,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(std::string name, protocol::ParseStreamProcessorName(body));
         Describe(m, name, e);
         CANDOR_RETURN_IF_ERROR(m->Stop(name));
         return json::object();
       }},
      {"DescribeStreamProcessor",
       [](const json& body, const ServiceContext& s, const CallContext&,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(std::string name, protocol::ParseStreamProcessorName(body));
         CANDOR_ASSIGN_OR_RETURN(auto info, m->Describe(name));
         e->collection_id = info.definition.collection_id;
         e->results = {{"Name", name}};
         return protocol::DescribeStreamProcessorResponse(info);
       }},
      {"ListStreamProcessors",
       [](const json& body, const ServiceContext& s, const CallContext&,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(auto r, protocol::ParseListStreamProcessors(body));
         CANDOR_ASSIGN_OR_RETURN(auto page, m->List(r.next_token, r.max_results));
         e->results = {{"Count", page.processors.size()}};
         return protocol::ListStreamProcessorsResponse(page);
       }},
      {"DeleteStreamProcessor",
       [](const json& body, const ServiceContext& s, const CallContext&,
          audit::AuditEvent* e) -> StatusOr<json> {
         CANDOR_ASSIGN_OR_RETURN(video::StreamProcessorManager * m, Manager(s));
         CANDOR_ASSIGN_OR_RETURN(std::string name, protocol::ParseStreamProcessorName(body));
         Describe(m, name, e);
         CANDOR_RETURN_IF_ERROR(m->Delete(name));
         return json::object();
       }},
  };
  return *handlers;
}

}  // namespace candor::server
