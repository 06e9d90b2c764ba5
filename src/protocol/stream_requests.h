// Rekognition's stream-processor requests and responses
// (CreateStreamProcessor, StartStreamProcessor, StopStreamProcessor,
// DescribeStreamProcessor, ListStreamProcessors, DeleteStreamProcessor), with
// the conventions of requests.h: SerializationException for a member of the
// wrong JSON type, InvalidParameterException for a required member missing or
// a value out of range; unknown members ignored, null counts as absent.
//
// What Candor maps or refuses (see video/stream_processor.h):
//   Input.KinesisVideoStream.Arn    the live stream's URL
//   Output.KinesisDataStream.Arn    the sink's URL (file:// or http://)
//   Output.S3Destination, Settings.ConnectedHome, RegionsOfInterest,
//   StartSelector, StopSelector      InvalidParameter: not supported (they
//                                   would change what is searched)
//   RoleArn, KmsKeyId, NotificationChannel, DataSharingPreference, Tags
//                                   type-checked, stored (RoleArn) or ignored
//
// Thread safety: pure functions.
#ifndef CANDOR_PROTOCOL_STREAM_REQUESTS_H_
#define CANDOR_PROTOCOL_STREAM_REQUESTS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "candor/status.h"
#include "video/stream_processor.h"

namespace candor::protocol {

StatusOr<video::StreamProcessorDefinition> ParseCreateStreamProcessor(const nlohmann::json& body);
// StartStreamProcessor, StopStreamProcessor, DescribeStreamProcessor,
// DeleteStreamProcessor: the Name.
StatusOr<std::string> ParseStreamProcessorName(const nlohmann::json& body);

struct ListStreamProcessorsRequest {
  std::string next_token;
  int max_results = 0;  // 0: the default (1000)
};
StatusOr<ListStreamProcessorsRequest> ParseListStreamProcessors(const nlohmann::json& body);

nlohmann::json CreateStreamProcessorResponse(const video::StreamProcessorDefinition& d);
// {"SessionId"} and Candor's threshold fields, as a search response has them.
nlohmann::json StartStreamProcessorResponse(const video::StartedSession& s);
// Rekognition's shape, and CandorSession: the session's counters.
nlohmann::json DescribeStreamProcessorResponse(const video::StreamProcessorInfo& info);
nlohmann::json ListStreamProcessorsResponse(const video::StreamProcessorPage& page);

}  // namespace candor::protocol

#endif  // CANDOR_PROTOCOL_STREAM_REQUESTS_H_
