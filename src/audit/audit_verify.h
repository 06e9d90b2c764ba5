// Verifying a whole audit log: the hash chain, the columns kept beside the
// JSON, the signed checkpoints and the log's key (AuditLog::Verify).
//
// Thread safety: VerifyAuditLog uses `db` alone; its caller serialises use of
// the connection.
#ifndef CANDOR_AUDIT_AUDIT_VERIFY_H_
#define CANDOR_AUDIT_AUDIT_VERIFY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_crypto.h"
#include "audit/audit_db.h"
#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

// What a checkpoint's Ed25519 signature covers:
// "candor-audit-checkpoint\n<seq>\n<hash>\n<time_ms>\n".
std::string CheckpointMessage(int64_t seq, std::string_view hash, int64_t time_ms);

// Beyond this many problems a report only counts the rest: a log whose
// every record was renumbered would otherwise list millions of lines.
class ProblemList {
 public:
  static constexpr size_t kMaxProblems = 1000;
  explicit ProblemList(std::vector<std::string>* problems) : problems_(problems) {}
  void Add(std::string problem);
  // Appends "... and N more" when problems were left out.
  void Finish();

 private:
  std::vector<std::string>* problems_;
  int64_t left_out_ = 0;
};

// One stored record as its columns hold it.
struct StoredRecord {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string principal;
  std::string operation;
  std::string collection_id;
  std::string json;
  std::string prev_hash;
  std::string hash;
};

// The checks of one record against itself and against the record before it
// (`prev_seq`, `prev_hash`: seq and hash of the previous row, 0 and hash_0
// before the first): the chain, the hash, the JSON and the columns that
// repeat it. Shared by both logs, so that they report the same problems.
void CheckRecord(const StoredRecord& r, int64_t prev_seq, const std::string& prev_hash,
                 ProblemList& problems);

// Reads the log in one read transaction (a consistent snapshot while another
// connection or process appends) and reports every problem with its seq.
// Checkpoints are checked against `trusted_key`, which `key_source` names in
// the report (a key file, or the log's own key).
StatusOr<VerifyReport> VerifyAuditLog(AuditDb& db, const SigningKey& trusted_key,
                                      const std::string& key_source);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_VERIFY_H_
