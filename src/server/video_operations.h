// The stored-video operations (StartFaceDetection, GetFaceDetection,
// StartFaceSearch, GetFaceSearch, and Candor.ListVideoJobs) as handlers
// that operations.cc merges into its table, so that they pass through
// RunOperation's authorisation and audit like every other call. A search job leaves its own audit record when
// it ends (video/video_jobs.h).
//
// Thread safety: the handlers may run concurrently (the manager is
// thread-safe).
#ifndef CANDOR_SERVER_VIDEO_OPERATIONS_H_
#define CANDOR_SERVER_VIDEO_OPERATIONS_H_

#include <functional>
#include <map>
#include <string>

#include "server/stream_operations.h"

namespace candor::server {

// By operation name, with the stream processors' handler signature. Without
// a manager (ServiceContext::video_jobs null) each answers
// UnsupportedException.
const std::map<std::string, StreamHandler, std::less<>>& VideoJobHandlers();

}  // namespace candor::server

#endif  // CANDOR_SERVER_VIDEO_OPERATIONS_H_
