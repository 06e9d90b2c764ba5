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

#include "audit/audit_crypto.h"
#include "audit/audit_db.h"
#include "audit/audit_log.h"
#include "candor/status.h"

namespace candor::audit {

// What a checkpoint's Ed25519 signature covers:
// "candor-audit-checkpoint\n<seq>\n<hash>\n<time_ms>\n".
std::string CheckpointMessage(int64_t seq, std::string_view hash, int64_t time_ms);

// Reads the log in one read transaction (a consistent snapshot while another
// connection or process appends) and reports every problem with its seq.
// Checkpoints are checked against `trusted_key`, which `key_source` names in
// the report (a key file, or the log's own key).
StatusOr<VerifyReport> VerifyAuditLog(AuditDb& db, const SigningKey& trusted_key,
                                      const std::string& key_source);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_VERIFY_H_
