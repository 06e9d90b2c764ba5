// VerifyPgAuditLog (pg_audit_db.h): the SQLite log's checks (CheckRecord)
// on the PostgreSQL tables, with each checkpoint checked against the key
// recorded beside it, and against the trusted keys when there are any.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_verify.h"
#include "audit/pg_audit_db.h"

namespace candor::audit {
namespace {

using store::pg::Param;
using store::pg::PgDb;
using store::pg::Result;

// Rows read per statement: the snapshot is one, the memory a page's.
constexpr int64_t kPageRows = 5000;

constexpr char kSelectRecords[] =
    "SELECT seq, time_ms, principal, operation, collection_id, event_json, prev_hash, hash"
    " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2";
// Each checkpoint with the hash of the record it names (NULL when that
// record is gone).
constexpr char kSelectCheckpoints[] =
    "SELECT c.seq, c.hash, c.time_ms, c.signature, c.signer_public_key_pem, e.hash"
    " FROM audit_checkpoints AS c LEFT JOIN audit_events AS e ON e.seq = c.seq"
    " WHERE c.seq > $1 ORDER BY c.seq LIMIT $2";

// The signers met so far, by PEM text (nullopt: a PEM that cannot be read).
class Signers {
 public:
  explicit Signers(std::vector<std::string>* ids) : ids_(ids) {}
  const std::optional<SigningKey>& Get(const std::string& pem) {
    auto it = keys_.find(pem);
    if (it != keys_.end()) return it->second;
    StatusOr<SigningKey> key = SigningKey::FromPublicPem(pem);
    std::optional<SigningKey> parsed;
    if (key.ok()) {
      parsed = std::move(*key);
      ids_->push_back(KeyId(parsed->public_pem()));
    }
    return keys_.emplace(pem, std::move(parsed)).first->second;
  }

 private:
  std::vector<std::string>* ids_;
  std::map<std::string, std::optional<SigningKey>> keys_;
};

}  // namespace

StatusOr<VerifyReport> VerifyPgAuditLog(PgDb& db, const std::vector<SigningKey>& trusted,
                                        const std::string& trusted_source) {
  VerifyReport report;
  std::vector<std::string> problem_lines;
  CANDOR_RETURN_IF_ERROR(db.InTransaction(false, "verify the audit log", [&]() -> Status {
    // From scratch at every attempt.
    report = VerifyReport();
    problem_lines.clear();
    ProblemList problems(&problem_lines);
    CANDOR_ASSIGN_OR_RETURN(Result meta, db.Exec("SELECT 1 FROM audit_meta WHERE id = 1", {},
                                                 "read the audit log's meta row"));
    if (meta.rows() != 1) problems.Add("the log has no meta row (deleted)");

    int64_t prev_seq = 0;
    std::string prev_hash(kGenesisHash);
    StoredRecord r;
    // Below any seq, a tampered one included.
    int64_t cursor = std::numeric_limits<int64_t>::min();
    for (;;) {
      CANDOR_ASSIGN_OR_RETURN(Result page,
                              db.Exec(kSelectRecords, {Param::Int(cursor), Param::Int(kPageRows)},
                                      "read the audit log's records"));
      for (int i = 0; i < page.rows(); ++i) {
        r.seq = page.Int(i, 0);
        r.time_ms = page.Int(i, 1);
        r.principal = page.Bytes(i, 2);
        r.operation = page.Bytes(i, 3);
        r.collection_id = page.Bytes(i, 4);
        r.json = page.Bytes(i, 5);
        r.prev_hash = page.Bytes(i, 6);
        r.hash = page.Bytes(i, 7);
        ++report.records;
        CheckRecord(r, prev_seq, prev_hash, problems);
        prev_seq = cursor = r.seq;
        prev_hash = std::move(r.hash);
      }
      if (page.rows() < kPageRows) break;
    }
    report.last_seq = prev_seq;

    Signers signers(&report.signers);
    int64_t beyond_end = 0;
    int64_t after = std::numeric_limits<int64_t>::min();
    for (;;) {
      CANDOR_ASSIGN_OR_RETURN(Result page,
                              db.Exec(kSelectCheckpoints, {Param::Int(after), Param::Int(kPageRows)},
                                      "read the audit log's checkpoints"));
      for (int i = 0; i < page.rows(); ++i) {
        const int64_t seq = page.Int(i, 0);
        after = seq;
        const std::string hash = page.Bytes(i, 1);
        const std::string at = "checkpoint at " + std::to_string(seq) + ": ";
        ++report.checkpoints;
        report.last_checkpoint_seq = seq;
        const std::optional<SigningKey>& signer = signers.Get(page.Bytes(i, 4));
        const std::optional<std::string> signature = HexDecode(page.Bytes(i, 3));
        if (!signer) {
          problems.Add(at + "its signer's public key cannot be read (edited)");
        } else if (!signature ||
                   !signer->Verify(CheckpointMessage(seq, hash, page.Int(i, 2)), *signature)) {
          problems.Add(at + "bad signature");
        } else if (!trusted.empty() &&
                   std::none_of(trusted.begin(), trusted.end(), [&](const SigningKey& k) {
                     return k.SamePublicKey(*signer);
                   })) {
          problems.Add(at + "signed by key " + KeyId(signer->public_pem()) +
                       ", which is not among the trusted keys (" + trusted_source + ")");
        }
        if (seq > report.last_seq) {
          beyond_end = seq;
        } else if (page.IsNull(i, 5)) {
          problems.Add(at + "record " + std::to_string(seq) + " is missing (deleted)");
        } else if (page.Bytes(i, 5) != hash) {
          problems.Add(at + "its hash is not record " + std::to_string(seq) +
                       "'s (records rewritten)");
        }
      }
      if (page.rows() < kPageRows) break;
    }
    if (beyond_end > 0) {
      problems.Add("records end at " + std::to_string(report.last_seq) + " but checkpoint " +
                   std::to_string(beyond_end) + " covers more (tail deleted)");
    }
    problems.Finish();
    return Status::Ok();
  }));
  report.problems = std::move(problem_lines);
  report.ok = report.problems.empty();
  return report;
}

}  // namespace candor::audit
