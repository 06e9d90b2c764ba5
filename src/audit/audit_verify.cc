#include "audit/audit_verify.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_event.h"

namespace candor::audit {
namespace {

// Column values quoted in a problem are cut to this many bytes.
constexpr size_t kMaxQuotedBytes = 80;

constexpr char kSelectRecords[] =
    "SELECT seq, time_ms, principal, operation, collection_id, event_json, prev_hash, hash"
    " FROM events ORDER BY seq";
// Each checkpoint with the hash of the record it names (NULL when that
// record is gone).
constexpr char kSelectCheckpoints[] =
    "SELECT c.seq, c.hash, c.time_ms, c.signature, e.hash FROM checkpoints AS c"
    " LEFT JOIN events AS e ON e.seq = c.seq ORDER BY c.seq";

std::string Quote(std::string_view value) {
  std::string quoted = "'";
  quoted += value.substr(0, kMaxQuotedBytes);
  if (value.size() > kMaxQuotedBytes) quoted += "...";
  quoted += "'";
  return quoted;
}

}  // namespace

void ProblemList::Add(std::string problem) {
  if (problems_->size() < kMaxProblems) {
    problems_->push_back(std::move(problem));
  } else {
    ++left_out_;
  }
}

void ProblemList::Finish() {
  if (left_out_ > 0) problems_->push_back("... and " + std::to_string(left_out_) + " more");
}

void CheckRecord(const StoredRecord& r, int64_t prev_seq, const std::string& prev_hash,
                 ProblemList& problems) {
  const std::string at = "record " + std::to_string(r.seq) + ": ";
  size_t found = 0;
  auto add = [&](std::string problem) {
    ++found;
    problems.Add(at + problem);
  };
  if (r.seq != prev_seq + 1) {
    const std::string deleted = r.seq == prev_seq + 2 ? "record " + std::to_string(prev_seq + 1)
                                                      : "records " + std::to_string(prev_seq + 1) +
                                                            " to " + std::to_string(r.seq - 1);
    add("follows record " + std::to_string(prev_seq) + " (" + deleted +
        " deleted, or records reordered)");
  } else if (r.prev_hash != prev_hash) {
    add("its prev_hash is not the hash of record " + std::to_string(prev_seq) +
        " (a record inserted or replaced before it, or records reordered)");
  }
  if (ChainHash(r.prev_hash, r.json) != r.hash) {
    add("its hash does not match its contents (edited)");
  }

  const nlohmann::json body = nlohmann::json::parse(r.json, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return add("its JSON cannot be parsed (edited)");
  StatusOr<AuditEvent> event = EventFromJson(body);
  if (!event.ok()) return add(event.status().message() + " (edited)");
  if (event->seq != r.seq) {
    add("its JSON says seq " + std::to_string(event->seq) + " (records reordered or renumbered)");
  }
  if (event->prev_hash != r.prev_hash) add("column prev_hash differs from its JSON (edited)");
  if (event->time_ms != r.time_ms) {
    add("column time_ms " + std::to_string(r.time_ms) + " differs from its JSON " +
        std::to_string(event->time_ms) + " (edited)");
  }
  const std::pair<const char*, std::pair<const std::string*, const std::string*>> columns[] = {
      {"principal", {&r.principal, &event->principal}},
      {"operation", {&r.operation, &event->operation}},
      {"collection_id", {&r.collection_id, &event->collection_id}},
  };
  for (const auto& [name, values] : columns) {
    if (*values.first != *values.second) {
      add(std::string("column ") + name + " " + Quote(*values.first) + " differs from its JSON " +
          Quote(*values.second) + " (edited)");
    }
  }
  // Fields added or re-encoded with the hash recomputed; only worth a line
  // when nothing else was found.
  if (found == 0 && CanonicalJson(*event) != r.json) {
    add("its JSON is not in canonical form (edited)");
  }
}

std::string CheckpointMessage(int64_t seq, std::string_view hash, int64_t time_ms) {
  std::string message = "candor-audit-checkpoint\n";
  message += std::to_string(seq);
  message += '\n';
  message += hash;
  message += '\n';
  message += std::to_string(time_ms);
  message += '\n';
  return message;
}

StatusOr<VerifyReport> VerifyAuditLog(AuditDb& db, const SigningKey& trusted_key,
                                      const std::string& key_source) {
  VerifyReport report;
  ProblemList problems(&report.problems);
  CANDOR_RETURN_IF_ERROR(db.InTransaction(false, "verify the audit log", [&]() -> Status {
    {
      CANDOR_ASSIGN_OR_RETURN(store::Statement meta,
                              db.Prepare("SELECT public_key_pem FROM meta WHERE id = 1"));
      const int rc = meta.Step();
      if (rc == SQLITE_ROW) {
        StatusOr<SigningKey> log_key = SigningKey::FromPublicPem(meta.Text(0));
        if (!log_key.ok()) {
          problems.Add("the log's public key cannot be read (edited)");
        } else if (!log_key->SamePublicKey(trusted_key)) {
          problems.Add("the log's public key is not the key of " + key_source +
                       " (the key file was replaced, or the log's key rewritten); checkpoints"
                       " are checked against " +
                       key_source);
        }
      } else if (rc == SQLITE_DONE) {
        problems.Add("the log has no public key (its meta row was deleted)");
      } else {
        return db.Error(rc, "read the audit log's public key");
      }
    }

    CANDOR_ASSIGN_OR_RETURN(store::Statement records, db.Prepare(kSelectRecords));
    int64_t prev_seq = 0;
    std::string prev_hash(kGenesisHash);
    StoredRecord r;
    int rc;
    while ((rc = records.Step()) == SQLITE_ROW) {
      r.seq = records.Int(0);
      r.time_ms = records.Int(1);
      r.principal = records.Text(2);
      r.operation = records.Text(3);
      r.collection_id = records.Text(4);
      r.json = records.Text(5);
      r.prev_hash = records.Text(6);
      r.hash = records.Text(7);
      ++report.records;
      CheckRecord(r, prev_seq, prev_hash, problems);
      prev_seq = r.seq;
      prev_hash = std::move(r.hash);
    }
    if (rc != SQLITE_DONE) return db.Error(rc, "read the audit log's records");
    report.last_seq = prev_seq;

    CANDOR_ASSIGN_OR_RETURN(store::Statement checkpoints, db.Prepare(kSelectCheckpoints));
    int64_t beyond_end = 0;
    while ((rc = checkpoints.Step()) == SQLITE_ROW) {
      const int64_t seq = checkpoints.Int(0);
      const std::string hash = checkpoints.Text(1);
      const std::string at = "checkpoint at " + std::to_string(seq) + ": ";
      ++report.checkpoints;
      report.last_checkpoint_seq = seq;
      const std::optional<std::string> signature = HexDecode(checkpoints.Text(3));
      if (!signature ||
          !trusted_key.Verify(CheckpointMessage(seq, hash, checkpoints.Int(2)), *signature)) {
        problems.Add(at + "bad signature");
      }
      if (seq > report.last_seq) {
        beyond_end = seq;
      } else if (checkpoints.IsNull(4)) {
        problems.Add(at + "record " + std::to_string(seq) + " is missing (deleted)");
      } else if (checkpoints.Text(4) != hash) {
        problems.Add(at + "its hash is not record " + std::to_string(seq) +
                     "'s (records rewritten)");
      }
    }
    if (rc != SQLITE_DONE) return db.Error(rc, "read the audit log's checkpoints");
    if (beyond_end > 0) {
      problems.Add("records end at " + std::to_string(report.last_seq) + " but checkpoint " +
                   std::to_string(beyond_end) + " covers more (tail deleted)");
    }
    return Status::Ok();
  }));
  problems.Finish();
  report.ok = report.problems.empty();
  return report;
}

}  // namespace candor::audit
