#include "protocol/video_requests.h"

#include <algorithm>
#include <cmath>

namespace candor::protocol {
namespace {

using nlohmann::json;

constexpr int kMaxResultsLimit = 1000;

// body[name], or nullptr when absent or null.
const json* Member(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

Status CheckObject(const json& body) {
  if (!body.is_object()) return Status::Serialization("the request body must be a JSON object");
  return Status::Ok();
}

Status OptionalString(const json& body, const char* name, std::string* out,
                      bool* present = nullptr) {
  const json* v = Member(body, name);
  if (present != nullptr) *present = v != nullptr;
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Status::Serialization(std::string(name) + " must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

// 1..max_bytes characters, each a letter, digit or one of `extra`.
Status CheckPattern(const std::string& value, const char* name, size_t max_bytes,
                    std::string_view extra) {
  bool ok = !value.empty() && value.size() <= max_bytes;
  for (char c : value) {
    if (!ok) break;
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
  }
  if (!ok) {
    return Status::InvalidArgument(std::string(name) + " must be 1 to " +
                                   std::to_string(max_bytes) + " characters of [a-zA-Z0-9" +
                                   std::string(extra) + "]");
  }
  return Status::Ok();
}

Status OptionalPatterned(const json& body, const char* name, size_t max_bytes,
                         std::string_view extra, std::string* out) {
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, name, out, &present));
  if (!present) return Status::Ok();
  return CheckPattern(*out, name, max_bytes, extra);
}

// Fields common to both Start* operations.
Status ParseStartCommon(const json& body, const RequestOptions& options,
                        video::VideoJobRequest* r) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  if (Member(body, "NotificationChannel") != nullptr) {
    return Status::InvalidArgument(
        "NotificationChannel is not supported: this service has no SNS; poll the Get operation");
  }
  const json* video = Member(body, "Video");
  if (video == nullptr) return Status::InvalidArgument("Video is required");
  if (!video->is_object()) return Status::Serialization("Video must be an object");
  const json* s3 = Member(*video, "S3Object");
  if (s3 == nullptr) return Status::InvalidArgument("Video.S3Object is required");
  if (!s3->is_object()) return Status::Serialization("Video.S3Object must be an object");
  CANDOR_ASSIGN_OR_RETURN(r->video_path, ResolveS3Object(*s3, "Video.S3Object", options));
  // ResolveS3Object checked their types.
  r->bucket = s3->value("Bucket", "");
  r->name = s3->value("Name", "");
  const json* version = Member(*s3, "Version");
  if (version != nullptr) r->version = version->get<std::string>();
  CANDOR_RETURN_IF_ERROR(
      OptionalPatterned(body, "ClientRequestToken", 64, "-_", &r->client_request_token));
  return OptionalPatterned(body, "JobTag", 1024, "_.-:+=/", &r->job_tag);
}

// Rekognition: "Maximum number of results to return per paginated call. The
// largest value you can specify is 1000": a larger one is capped.
Status OptionalMaxResults(const json& body, int* out) {
  return OptionalCappedCount(body, "MaxResults", 1, kMaxResultsLimit, out);
}

StatusOr<GetVideoJobRequest> ParseGet(const json& body, bool has_sort) {
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  GetVideoJobRequest r;
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "JobId", &r.job_id, &present));
  if (!present) return Status::InvalidArgument("JobId is required");
  CANDOR_RETURN_IF_ERROR(CheckPattern(r.job_id, "JobId", 64, "-_"));
  CANDOR_RETURN_IF_ERROR(OptionalMaxResults(body, &r.max_results));
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "NextToken", &r.next_token));
  if (r.next_token.size() > 255) {
    return Status::InvalidPaginationToken("NextToken is not one this service gave");
  }
  if (has_sort) {
    std::string sort;
    CANDOR_RETURN_IF_ERROR(OptionalString(body, "SortBy", &sort, &present));
    if (present && sort != "INDEX" && sort != "TIMESTAMP") {
      return Status::InvalidArgument("SortBy must be INDEX or TIMESTAMP");
    }
    r.sort_by_index = sort == "INDEX";
  }
  return r;
}

// NextToken: base64 of "<JobId> <I|T> <offset>", so that a token of another
// job or sort order is refused instead of paging through the wrong list.
std::string MakeToken(const std::string& job_id, bool by_index, size_t offset) {
  return EncodeBase64(job_id + " " + (by_index ? "I" : "T") + " " + std::to_string(offset));
}

StatusOr<size_t> ReadToken(const std::string& token, const std::string& job_id, bool by_index,
                           size_t size) {
  const Status junk = Status::InvalidPaginationToken("NextToken is not one this job gave");
  auto decoded = DecodeBase64(token);
  if (!decoded.ok()) return junk;
  const std::string prefix = job_id + " " + (by_index ? "I" : "T") + " ";
  if (decoded->size() <= prefix.size() || decoded->compare(0, prefix.size(), prefix) != 0) {
    return junk;
  }
  const std::string digits = decoded->substr(prefix.size());
  if (digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return junk;
  }
  const size_t offset = std::stoull(digits);
  if (offset == 0 || offset >= size) return junk;
  return offset;
}

}  // namespace

StatusOr<video::VideoJobRequest> ParseStartFaceDetection(const json& body,
                                                         const RequestOptions& options) {
  video::VideoJobRequest r;
  r.kind = video::VideoJobKind::kFaceDetection;
  CANDOR_RETURN_IF_ERROR(ParseStartCommon(body, options, &r));
  std::string attributes;
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "FaceAttributes", &attributes, &present));
  if (present && attributes != "DEFAULT" && attributes != "ALL") {
    return Status::InvalidArgument("FaceAttributes must be DEFAULT or ALL");
  }
  r.attributes = attributes == "ALL" ? AttributeSet::kAll : AttributeSet::kDefault;
  return r;
}

StatusOr<video::VideoJobRequest> ParseStartFaceSearch(const json& body,
                                                      const RequestOptions& options) {
  video::VideoJobRequest r;
  r.kind = video::VideoJobKind::kFaceSearch;
  // The collection first: the cheap checks before the path is resolved.
  CANDOR_RETURN_IF_ERROR(CheckObject(body));
  bool present = false;
  CANDOR_RETURN_IF_ERROR(OptionalString(body, "CollectionId", &r.collection_id, &present));
  if (!present) return Status::InvalidArgument("CollectionId is required");
  CANDOR_RETURN_IF_ERROR(ValidateCollectionId(r.collection_id));
  const json* threshold = Member(body, "FaceMatchThreshold");
  if (threshold != nullptr) {
    if (!threshold->is_number()) {
      return Status::Serialization("FaceMatchThreshold must be a number");
    }
    const double d = threshold->get<double>();
    if (!(d >= 0.0 && d <= 100.0)) {
      return Status::InvalidArgument("FaceMatchThreshold must be between 0 and 100");
    }
    r.face_match_threshold = static_cast<float>(d);
  }
  CANDOR_RETURN_IF_ERROR(ParseStartCommon(body, options, &r));
  return r;
}

StatusOr<GetVideoJobRequest> ParseGetFaceDetection(const json& body) {
  return ParseGet(body, false);
}

StatusOr<GetVideoJobRequest> ParseGetFaceSearch(const json& body) { return ParseGet(body, true); }

StatusOr<json> GetVideoJobResponse(const video::StoredVideoJob& job,
                                   const GetVideoJobRequest& request) {
  const bool search = job.request.kind == video::VideoJobKind::kFaceSearch;
  const bool by_index = search && request.sort_by_index;
  const json& all = job.results;
  size_t offset = 0;
  if (!request.next_token.empty()) {
    CANDOR_ASSIGN_OR_RETURN(offset,
                            ReadToken(request.next_token, job.job_id, by_index, all.size()));
  }
  json out = {{"JobStatus", video::VideoJobStatusName(job.status)}};
  if (!job.status_message.empty()) out["StatusMessage"] = job.status_message;
  if (!job.request.job_tag.empty()) out["JobTag"] = job.request.job_tag;
  out["JobId"] = job.job_id;
  out["Video"] = {{"S3Object", {{"Bucket", job.request.bucket}, {"Name", job.request.name}}}};
  if (!job.request.version.empty()) out["Video"]["S3Object"]["Version"] = job.request.version;
  if (job.status == video::VideoJobStatus::kInProgress) return out;
  const VideoMetadata& m = job.metadata;
  out["VideoMetadata"] = {
      {"Codec", m.codec},          {"Format", m.format},          {"DurationMillis", m.duration_ms},
      {"FrameRate", m.frame_rate}, {"FrameWidth", m.frame_width}, {"FrameHeight", m.frame_height}};
  // Stored in timestamp order; INDEX: by track, then timestamp.
  std::vector<size_t> order(all.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (by_index) {
    // Entries are read back from the jobs file: nothing is assumed of them.
    const auto index = [&all](size_t i) -> int64_t {
      const json& entry = all[i];
      if (!entry.is_object()) return 0;
      const auto person = entry.find("Person");
      if (person == entry.end() || !person->is_object()) return 0;
      const auto value = person->find("Index");
      return value != person->end() && value->is_number_integer() ? value->get<int64_t>() : 0;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&index](size_t a, size_t b) { return index(a) < index(b); });
  }
  const size_t end = std::min(all.size(), offset + static_cast<size_t>(request.max_results));
  json page = json::array();
  for (size_t i = offset; i < end; ++i) page.push_back(all[order[i]]);
  out[search ? "Persons" : "Faces"] = std::move(page);
  if (search) {
    out["CandorThresholdRequested"] = job.policy.threshold_requested;
    out["CandorThresholdApplied"] = job.policy.threshold_applied;
    if (!job.policy.purpose.empty()) out["CandorPurpose"] = job.policy.purpose;
    if (!job.search.calibration_version.empty()) {
      out["CandorCalibrationVersion"] = job.search.calibration_version;
    }
    if (job.search.collection_false_match_rate) {
      out["CandorCollectionFalseMatchRate"] = *job.search.collection_false_match_rate;
    }
  }
  if (end < all.size()) out["NextToken"] = MakeToken(job.job_id, by_index, end);
  return out;
}

}  // namespace candor::protocol
