// Rekognition's stored-video requests and responses (StartFaceDetection,
// GetFaceDetection, StartFaceSearch, GetFaceSearch), with the conventions of
// requests.h: SerializationException for a member of the wrong JSON type,
// InvalidParameterException for a required member missing or a value out of
// range; unknown members ignored, null counts as absent.
//
//   Video.S3Object {Bucket, Name, Version}  resolved under --s3-root as
//       images are (ResolveS3Object): a Name escaping the bucket (by "..",
//       an absolute path or a symbolic link) or no object root:
//       InvalidS3ObjectException. Version is accepted and ignored.
//   NotificationChannel  InvalidParameter: Candor has no SNS; poll Get*.
//   ClientRequestToken   1..64 of [a-zA-Z0-9-_]; JobTag 1..1024 of
//       [a-zA-Z0-9_.\-:+=/].
//   FaceAttributes       DEFAULT or ALL (StartFaceDetection).
//   CollectionId, FaceMatchThreshold (0..100, default 80)  StartFaceSearch.
//   JobId                1..64 of [a-zA-Z0-9-_].
//   MaxResults           1..1000, default 1000.
//   NextToken            as returned by the previous page of the same job
//                        and SortBy; anything else:
//                        InvalidPaginationTokenException.
//   SortBy               GetFaceSearch: INDEX or TIMESTAMP (default).
//
// Thread safety: pure functions (Start* resolve a path on disk).
#ifndef CANDOR_PROTOCOL_VIDEO_REQUESTS_H_
#define CANDOR_PROTOCOL_VIDEO_REQUESTS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "candor/status.h"
#include "protocol/requests.h"
#include "video/video_job_store.h"

namespace candor::protocol {

StatusOr<video::VideoJobRequest> ParseStartFaceDetection(const nlohmann::json& body,
                                                         const RequestOptions& options);
StatusOr<video::VideoJobRequest> ParseStartFaceSearch(const nlohmann::json& body,
                                                      const RequestOptions& options);

struct GetVideoJobRequest {
  std::string job_id;
  int max_results = 1000;
  std::string next_token;
  bool sort_by_index = false;  // GetFaceSearch's SortBy INDEX
};
StatusOr<GetVideoJobRequest> ParseGetFaceDetection(const nlohmann::json& body);
StatusOr<GetVideoJobRequest> ParseGetFaceSearch(const nlohmann::json& body);

// GetFaceDetection's or GetFaceSearch's response (by the job's kind): one
// page of its results. InvalidPaginationToken for a NextToken that is not
// one this job (and SortBy) gave.
StatusOr<nlohmann::json> GetVideoJobResponse(const video::StoredVideoJob& job,
                                             const GetVideoJobRequest& request);

}  // namespace candor::protocol

#endif  // CANDOR_PROTOCOL_VIDEO_REQUESTS_H_
