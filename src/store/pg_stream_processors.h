// The stream processors of a cluster in the PostgreSQL database of `candor
// serve --store`: their definitions and states, shared by every node
// (video/stream_processor.h says which node runs a RUNNING one). The columns
// are the SQLite file's (video/stream_processor_store.cc), plus the node
// that runs the processor's session and until when its lease holds (by the
// database's clock).
//
// Table stream_processors (component "stream_processors", version 1).
//
// Thread safety: safe for concurrent use (one connection behind a mutex).
#ifndef CANDOR_STORE_PG_STREAM_PROCESSORS_H_
#define CANDOR_STORE_PG_STREAM_PROCESSORS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "candor/status.h"

namespace candor::store {

namespace pg {
class PgDb;
}

struct StreamProcessorRow {
  std::string name, arn, input_url, output_url, role_arn, collection_id;
  double face_match_threshold = 0;
  int64_t created_ms = 0, updated_ms = 0;
  std::string status;  // "STOPPED", "RUNNING", "FAILED"
  std::string status_message, caller_json, session_json, extras_json;
  std::string node;  // the node running it ("" when none ever did)
};

class PgStreamProcessors {
 public:
  static StatusOr<std::unique_ptr<PgStreamProcessors>> Open(const std::string& conninfo);
  ~PgStreamProcessors();

  // ResourceInUse when the name is taken.
  Status Insert(const StreamProcessorRow& row);
  // Every processor, by name.
  StatusOr<std::vector<StreamProcessorRow>> All();
  // RUNNING on `node`, leased for `lease_ms`, unless it is RUNNING already
  // (on any node): false then. NotFound when there is no such processor.
  StatusOr<bool> Claim(const std::string& name, const std::string& node, int64_t lease_ms,
                       const std::string& caller_json, int64_t updated_ms);
  // A RUNNING processor (of `node`; any node when "") becomes `status`
  // (STOPPED or FAILED) with `message`; false when it was not RUNNING (on
  // that node).
  StatusOr<bool> EndRunning(const std::string& name, const std::string& node,
                            const std::string& status, const std::string& message,
                            int64_t updated_ms);
  Status SaveExtras(const std::string& name, const std::string& extras_json);
  Status SaveSession(const std::string& name, const std::string& session_json);
  // NotFound; ResourceInUse when it is RUNNING.
  Status Delete(const std::string& name);
  // Extends the leases of `node`'s RUNNING processors to `lease_ms` from now.
  Status Renew(const std::string& node, int64_t lease_ms);
  // Takes up to `limit` RUNNING processors whose leases ran out for `node`
  // (leased for `lease_ms`); what it took.
  StatusOr<std::vector<StreamProcessorRow>> TakeExpired(const std::string& node,
                                                        int64_t lease_ms, int64_t limit);

 private:
  explicit PgStreamProcessors(std::unique_ptr<pg::PgDb> db);

  std::mutex mutex_;
  std::unique_ptr<pg::PgDb> db_;
};

}  // namespace candor::store

#endif  // CANDOR_STORE_PG_STREAM_PROCESSORS_H_
