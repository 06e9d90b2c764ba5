#include "protocol/stream_requests.h"

#include <cctype>
#include <cmath>
#include <string_view>
#include <utility>

#include "protocol/requests.h"

namespace candor::protocol {
namespace {

using nlohmann::json;

constexpr size_t kMaxArnBytes = 2048;
constexpr size_t kMaxTokenBytes = 255;

// body[name], or nullptr when absent or null.
const json* Member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

Status CheckObject(const json& body, const std::string& what) {
  if (!body.is_object()) return Status::Serialization(what + " must be a JSON object");
  return Status::Ok();
}

// body[name] as an object; nullptr (and Ok) when absent.
StatusOr<const json*> OptionalObject(const json& body, const char* name, const std::string& path) {
  const json* v = Member(body, name);
  if (v == nullptr) return static_cast<const json*>(nullptr);
  if (!v->is_object()) return Status::Serialization(path + name + " must be an object");
  return v;
}

StatusOr<const json*> RequiredObject(const json& body, const char* name, const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(const json* v, OptionalObject(body, name, path));
  if (v == nullptr) return Status::InvalidArgument(path + name + " is required");
  return v;
}

Status OptionalString(const json& body, const char* name, const std::string& path, std::string* out,
                      bool* present = nullptr) {
  const json* v = Member(body, name);
  if (present != nullptr) *present = v != nullptr;
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Status::Serialization(path + name + " must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

Status RequiredString(const json& body, const char* name, const std::string& path,
                      std::string* out) {
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, name, path, out, &present));
  if (!present) return Status::InvalidArgument(path + name + " is required");
  return Status::Ok();
}

Status RequiredArn(const json& body, const char* name, const std::string& path, std::string* out) {
  CANDOR_RETURN_IF_ERROR(RequiredString(body, name, path, out));
  if (out->empty() || out->size() > kMaxArnBytes) {
    return Status::InvalidArgument(path + name + " must be 1 to " + std::to_string(kMaxArnBytes) +
                                   " characters");
  }
  return Status::Ok();
}

Status Unsupported(const json& body, const char* name, const std::string& path,
                   const std::string& why) {
  if (Member(body, name) == nullptr) return Status::Ok();
  return Status::InvalidArgument(path + name + " is not supported by Candor: " + why);
}

// Rekognition's KmsKeyId: ^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$.
bool ValidKmsKeyId(const std::string& id) {
  if (id.empty() || id.size() > 2048 || !std::isalnum(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view(":_/+=,@.-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

StatusOr<std::string> ParseStreamProcessorName(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body, "the request body"));
  std::string name;
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "Name", "", &name));
  CANDOR_RETURN_IF_ERROR(video::ValidateStreamProcessorName(name));
  CANDOR_RETURN_IF_ERROR(
      Unsupported(body, "StartSelector", "", "a live stream is read from its current position"));
  CANDOR_RETURN_IF_ERROR(
      Unsupported(body, "StopSelector", "", "a session runs until StopStreamProcessor"));
  return name;
}

StatusOr<video::StreamProcessorDefinition> ParseCreateStreamProcessor(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body, "the request body"));
  video::StreamProcessorDefinition d;
  CANDOR_RETURN_IF_ERROR(RequiredString(body, "Name", "", &d.name));
  CANDOR_RETURN_IF_ERROR(video::ValidateStreamProcessorName(d.name));

  CANDOR_ASSIGN_OR_RETURN(const json* input, RequiredObject(body, "Input", ""));
  CANDOR_ASSIGN_OR_RETURN(const json* kvs, RequiredObject(*input, "KinesisVideoStream", "Input."));
  CANDOR_RETURN_IF_ERROR(RequiredArn(*kvs, "Arn", "Input.KinesisVideoStream.", &d.input_url));

  CANDOR_ASSIGN_OR_RETURN(const json* output, RequiredObject(body, "Output", ""));
  CANDOR_RETURN_IF_ERROR(Unsupported(*output, "S3Destination", "Output.",
                                     "give Output.KinesisDataStream.Arn as a file:// or http:// "
                                     "URL"));
  CANDOR_ASSIGN_OR_RETURN(const json* kds, RequiredObject(*output, "KinesisDataStream", "Output."));
  CANDOR_RETURN_IF_ERROR(RequiredArn(*kds, "Arn", "Output.KinesisDataStream.", &d.output_url));

  CANDOR_ASSIGN_OR_RETURN(const json* settings, RequiredObject(body, "Settings", ""));
  CANDOR_RETURN_IF_ERROR(Unsupported(*settings, "ConnectedHome", "Settings.",
                                     "only Settings.FaceSearch is implemented"));
  CANDOR_ASSIGN_OR_RETURN(const json* search, RequiredObject(*settings, "FaceSearch", "Settings."));
  CANDOR_RETURN_IF_ERROR(
      RequiredString(*search, "CollectionId", "Settings.FaceSearch.", &d.collection_id));
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(d.collection_id));
  if (const json* t = Member(*search, "FaceMatchThreshold"); t != nullptr) {
    if (!t->is_number()) {
      return Status::Serialization("Settings.FaceSearch.FaceMatchThreshold must be a number");
    }
    const double v = t->get<double>();
    if (!(v >= 0.0 && v <= 100.0)) {  // false for NaN
      return Status::InvalidArgument(
          "Settings.FaceSearch.FaceMatchThreshold must be between 0 and 100");
    }
    d.face_match_threshold = static_cast<float>(v);
  }

  bool has_role = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "RoleArn", "", &d.role_arn, &has_role));
  if (d.role_arn.size() > kMaxArnBytes) {
    return Status::InvalidArgument("RoleArn must be at most 2048 characters");
  }
  CANDOR_RETURN_IF_ERROR(OptionalTags(body, "Tags", &d.tags));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "KmsKeyId", "", &d.kms_key_id));
  if (Member(body, "KmsKeyId") != nullptr && !ValidKmsKeyId(d.kms_key_id)) {
    return Status::InvalidArgument(
        "KmsKeyId must be 1 to 2048 characters of [A-Za-z0-9:_/+=,@.-], starting with a letter "
        "or digit");
  }
  // Kept as sent (a JSON object of the caller's) for DescribeStreamProcessor.
  for (auto [name, out] : {std::pair{"NotificationChannel", &d.notification_channel_json},
                           std::pair{"DataSharingPreference", &d.data_sharing_preference_json}}) {
    CANDOR_ASSIGN_OR_RETURN(const json* object, OptionalObject(body, name, ""));
    if (object != nullptr) *out = object->dump();
  }
  if (const json* roi = Member(body, "RegionsOfInterest"); roi != nullptr) {
    if (!roi->is_array()) return Status::Serialization("RegionsOfInterest must be a list");
    if (!roi->empty()) {
      return Status::InvalidArgument(
          "RegionsOfInterest is not supported by Candor: every face of the frame is searched");
    }
  }
  return d;
}

StatusOr<ListStreamProcessorsRequest> ParseListStreamProcessors(const json& body) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body, "the request body"));
  ListStreamProcessorsRequest r;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "NextToken", "", &r.next_token));
  if (r.next_token.size() > kMaxTokenBytes) {
    return Status::InvalidPaginationToken("NextToken is longer than 255 characters");
  }
  // The model sets no maximum; Rekognition returns at most 1000 a page.
  CANDOR_RETURN_IF_ERROR(OptionalCappedCount(body, "MaxResults", 1, 1000, &r.max_results));
  return r;
}

json CreateStreamProcessorResponse(const video::StreamProcessorDefinition& d) {
  return {{"StreamProcessorArn", d.arn}};
}

json StartStreamProcessorResponse(const video::StartedSession& s) {
  return {{"SessionId", s.session_id},
          {"CandorThresholdRequested", s.policy.threshold_requested},
          {"CandorThresholdApplied", s.policy.threshold_applied},
          {"CandorThresholdRaised", s.policy.threshold_applied > s.policy.threshold_requested},
          {"CandorMaxResultsApplied", s.policy.max_matches},
          {"CandorPurpose", s.policy.purpose}};
}

json DescribeStreamProcessorResponse(const video::StreamProcessorInfo& info) {
  const video::StreamProcessorDefinition& d = info.definition;
  json out = {
      {"Name", d.name},
      {"StreamProcessorArn", d.arn},
      {"Status", video::StatusName(info.status)},
      {"StatusMessage", info.status_message},
      {"CreationTimestamp", Seconds(d.created_ms)},
      {"LastUpdateTimestamp", Seconds(d.updated_ms)},
      {"Input", {{"KinesisVideoStream", {{"Arn", d.input_url}}}}},
      {"Output", {{"KinesisDataStream", {{"Arn", d.output_url}}}}},
      {"Settings",
       {{"FaceSearch",
         {{"CollectionId", d.collection_id}, {"FaceMatchThreshold", d.face_match_threshold}}}}}};
  if (!d.role_arn.empty()) out["RoleArn"] = d.role_arn;
  if (!d.kms_key_id.empty()) out["KmsKeyId"] = d.kms_key_id;
  for (auto [name, text] : {std::pair{"NotificationChannel", &d.notification_channel_json},
                            std::pair{"DataSharingPreference", &d.data_sharing_preference_json}}) {
    if (!text->empty()) out[name] = json::parse(*text, nullptr, false);
  }
  if (info.session) {
    const video::SessionStats& s = *info.session;
    json session = {{"SessionId", s.session_id},
                    {"StartTimestamp", Seconds(s.started_ms)},
                    {"StreamState", s.stream_state},
                    {"Connections", s.connections},
                    {"Reconnects", s.reconnects},
                    {"ConsecutiveFailures", s.consecutive_failures},
                    {"LastError", s.last_error},
                    {"FramesRead", s.frames_read},
                    {"FramesAnalysed", s.frames_analysed},
                    {"FramesDropped", s.frames_dropped},
                    {"ProcessingFps", s.processing_fps},
                    {"Searches", s.searches},
                    {"FaceMatches", s.face_matches},
                    {"EventsWritten", s.events_written},
                    {"EventsDropped", s.events_dropped},
                    {"SinkError", s.sink_error},
                    {"ThresholdRequested", s.policy.threshold_requested},
                    {"ThresholdApplied", s.policy.threshold_applied},
                    {"Purpose", s.policy.purpose}};
    if (s.last_error_ms != 0) session["LastErrorTimestamp"] = Seconds(s.last_error_ms);
    if (s.next_attempt_ms != 0) session["NextAttemptTimestamp"] = Seconds(s.next_attempt_ms);
    if (s.ended_ms != 0) session["EndTimestamp"] = Seconds(s.ended_ms);
    out["CandorSession"] = std::move(session);
  }
  return out;
}

json ListStreamProcessorsResponse(const video::StreamProcessorPage& page) {
  json list = json::array();
  for (const video::StreamProcessorInfo& p : page.processors) {
    list.push_back({{"Name", p.definition.name}, {"Status", video::StatusName(p.status)}});
  }
  json out = {{"StreamProcessors", list}};
  if (!page.next_token.empty()) out["NextToken"] = page.next_token;
  return out;
}

}  // namespace candor::protocol
