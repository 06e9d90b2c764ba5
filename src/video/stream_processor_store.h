// Persistence of stream processors: their own SQLite file
// (<data-dir>/stream_processors.db, WAL, synchronous=FULL), apart from the
// face store, whose schema is not touched. It holds definitions and the
// status each was left in, never vectors or images.
//
// A file that is not empty and not a Candor stream-processor file (another
// SQLite database, a newer format, not SQLite at all) is refused with
// Corruption or Unsupported and left unchanged.
//
// Thread safety: all methods may be called concurrently (one mutex).
#ifndef CANDOR_VIDEO_STREAM_PROCESSOR_STORE_H_
#define CANDOR_VIDEO_STREAM_PROCESSOR_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "candor/status.h"
#include "store/pg_stream_processors.h"
#include "video/stream_processor_types.h"

namespace candor::store {
class SqliteDb;
}

namespace candor::video {

// A processor as a cluster's database row holds it
// (store/pg_stream_processors.h; the node is left empty), and back:
// Corruption naming `where` for a row that does not read as one.
store::StreamProcessorRow EncodeStreamProcessor(const StoredStreamProcessor& p);
StatusOr<StoredStreamProcessor> DecodeStreamProcessor(const store::StreamProcessorRow& row,
                                                      const std::string& where);

class StreamProcessorStore {
 public:
  static StatusOr<std::unique_ptr<StreamProcessorStore>> Open(const std::string& path);
  ~StreamProcessorStore();

  // AlreadyExists when the name is taken.
  Status Insert(const StoredStreamProcessor& processor);
  // NotFound when there is no such processor.
  Status UpdateStatus(const std::string& name, StreamProcessorStatus status,
                      const std::string& message, const SessionCaller& caller, int64_t updated_ms);
  // Stores d's tags, NotificationChannel, KmsKeyId and DataSharingPreference.
  Status SaveExtras(const StreamProcessorDefinition& d);
  // Sets (or, with "", clears) the open session's audit record.
  Status SaveSession(const std::string& name, const std::string& session_json);
  Status Delete(const std::string& name);
  // Every processor, by name.
  StatusOr<std::vector<StoredStreamProcessor>> LoadAll();

 private:
  explicit StreamProcessorStore(std::unique_ptr<store::SqliteDb> db);

  std::mutex mutex_;
  std::unique_ptr<store::SqliteDb> db_;
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_STREAM_PROCESSOR_STORE_H_
