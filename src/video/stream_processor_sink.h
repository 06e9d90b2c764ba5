// Where a stream processor writes its face-search records (Rekognition writes
// them to a Kinesis data stream; Candor maps Output.KinesisDataStream.Arn to
// one of these):
//   file:///abs/path/events.jsonl  JSON lines appended to a file (created
//       0600), fsync'ed after each batch. The path must lie inside the
//       operator's file-sink root (`candor serve --stream-output-dir`), so
//       that whoever may create processors cannot make the service write
//       anywhere else.
//   http://host[:port]/path  each batch POSTed as application/x-ndjson
//       (one record a line), over a plain socket; any 2xx is delivery.
//       https is not supported (no TLS client here): InvalidArgument.
//
// Thread safety: a sink is used by one session thread; not safe for
// concurrent use.
#ifndef CANDOR_VIDEO_STREAM_PROCESSOR_SINK_H_
#define CANDOR_VIDEO_STREAM_PROCESSOR_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::video {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Delivers `lines` (each one JSON record, without a newline) as one batch:
  // all of them, or an IOError and none known to be delivered.
  virtual Status Write(const std::vector<std::string>& lines) = 0;
};

// InvalidArgument unless `url` is a sink URL as above (for file://, inside
// `file_root`; an empty `file_root` refuses every file sink).
Status ValidateSinkUrl(const std::string& url, const std::string& file_root);

// Opens the sink (for a file, creates it); IOError when it cannot.
StatusOr<std::unique_ptr<EventSink>> OpenSink(const std::string& url, const std::string& file_root);

}  // namespace candor::video

#endif  // CANDOR_VIDEO_STREAM_PROCESSOR_SINK_H_
