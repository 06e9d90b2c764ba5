#include "server/audit_journal.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "store/inventory.h"

namespace candor::server {
namespace {

using nlohmann::json;
using Key = std::pair<std::string, std::string>;  // (collection, id)

// Calls `fn` with every record from `from_ms` on, in order.
Status ForEachRecord(audit::AuditLog& log, int64_t from_ms,
                     const std::function<void(const audit::AuditEvent&)>& fn) {
  audit::AuditQuery q;
  q.from_ms = from_ms;
  q.max_results = 1000;
  for (;;) {
    CANDOR_ASSIGN_OR_RETURN(audit::AuditPage page, log.Query(q));
    for (const audit::AuditEvent& e : page.events) fn(e);
    if (page.next_token.empty()) return Status::Ok();
    q.next_token = page.next_token;
  }
}

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a record, or a journal row's changes, account for.
struct Accounted {
  std::set<std::string> collections;
  std::set<Key> faces, users, associations;
  std::set<std::string> policies;

  void AddChanges(const std::string& operation, const std::string& collection_id,
                  const json& changes) {
    if (operation == "CreateCollection" && !collection_id.empty()) collections.insert(collection_id);
    if (operation == "Candor.PutCollectionPolicy" && !collection_id.empty()) {
      policies.insert(collection_id);
    }
    if (!changes.is_array()) return;
    for (const json& c : changes) {
      if (!c.is_object()) continue;
      const std::string collection = Text(c, "CollectionId");
      if (auto ids = c.find("FaceIds"); ids != c.end() && ids->is_array()) {
        for (const json& id : *ids) {
          if (id.is_string()) faces.insert({collection, id.get<std::string>()});
        }
      }
      const std::string user = Text(c, "UserId");
      if (!user.empty()) {
        users.insert({collection, user});
        associations.insert({collection, user});
      }
    }
  }

  void AddRecord(const audit::AuditEvent& e) {
    const json& r = e.results;
    if (!r.is_object()) return;
    if (r.contains("Recovered")) {
      AddChanges(e.operation, e.collection_id, r.value("Changes", json::array()));
      return;
    }
    if (e.outcome != "ok") return;
    if (e.operation == "CreateCollection") collections.insert(e.collection_id);
    if (e.operation == "Candor.PutCollectionPolicy") policies.insert(e.collection_id);
    if (e.operation == "IndexFaces") {
      for (const json& id : r.value("FaceIds", json::array())) {
        if (id.is_string()) faces.insert({e.collection_id, id.get<std::string>()});
      }
    }
    if (e.operation == "CreateUser") users.insert({e.collection_id, Text(r, "UserId")});
    if (e.operation == "AssociateFaces") associations.insert({e.collection_id, Text(r, "UserId")});
  }
};

}  // namespace

std::string JournalNode(const std::string& audit_path) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::weakly_canonical(audit_path, ec);
  return std::string(host) + ":" + (ec ? audit_path : path.string());
}

StatusOr<JournalRecovery> RecoverAuditJournal(Collections& collections, audit::AuditLog& audit,
                                              const std::string& node) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<Collections::JournalRow> rows,
                          collections.PendingAuditJournal());
  JournalRecovery out;
  if (rows.empty()) return out;
  std::set<std::string> others;
  // The calls, in the order of their first row.
  std::vector<std::string> order;
  std::map<std::string, std::vector<json>> by_call;
  int64_t earliest = INT64_MAX;
  for (const Collections::JournalRow& row : rows) {
    json entry = json::parse(row.entry_json, nullptr, false);
    if (!entry.is_object()) continue;
    const std::string writer = Text(entry, "Node");
    if (!writer.empty() && writer != node) {
      others.insert(row.request_id);
      continue;
    }
    earliest = std::min<int64_t>(earliest, entry.value("TimeMs", int64_t{0}));
    if (!by_call.count(row.request_id)) order.push_back(row.request_id);
    by_call[row.request_id].push_back(std::move(entry));
  }
  out.calls = static_cast<int64_t>(order.size());
  out.other_nodes = static_cast<int64_t>(others.size());
  // Records appended after the call began (a minute of clock slack).
  std::set<std::string> recorded;
  CANDOR_RETURN_IF_ERROR(ForEachRecord(audit, std::max<int64_t>(0, earliest - 60000),
                                       [&](const audit::AuditEvent& e) {
                                         if (by_call.count(e.request_id)) recorded.insert(e.request_id);
                                       }));
  for (const std::string& id : order) {
    if (!recorded.count(id)) {
      const std::vector<json>& entries = by_call[id];
      const json& first = entries.front();
      audit::AuditEvent e;
      e.principal = Text(first, "Principal");
      e.source = Text(first, "Source");
      e.request_id = id;
      e.operation = Text(first, "Operation");
      e.collection_id = Text(first, "CollectionId");
      e.reason = Text(first, "Reason");
      json changes = json::array(), what = json::array();
      for (const json& entry : entries) {
        what.push_back(entry.value("What", ""));
        for (const json& c : entry.value("Changes", json::array())) changes.push_back(c);
      }
      e.results = {{"Recovered",
                    "the store committed this call's changes but the service stopped before "
                    "its audit record was written; this record was written from the store's "
                    "journal at the next start"},
                   {"CallTimeMs", first.value("TimeMs", int64_t{0})},
                   {"Transactions", what},
                   {"Changes", changes}};
      e.outcome = "ok";
      CANDOR_RETURN_IF_ERROR(audit.Append(e));
      ++out.recovered;
    }
    collections.ResolveAuditJournal(id);
  }
  CANDOR_RETURN_IF_ERROR(collections.FlushAuditJournal());
  return out;
}

StatusOr<StoreCheck> CrossCheckStore(const std::string& data_dir, audit::AuditLog& log) {
  // The store first: a write that commits after this snapshot is not
  // looked for, and one before it has its record by the time the log is
  // read, unless its call is still being answered.
  CANDOR_ASSIGN_OR_RETURN(store::Inventory inv, store::ReadInventory(data_dir));
  return CrossCheckInventory(inv, log);
}

StatusOr<StoreCheck> CrossCheckInventory(const store::Inventory& inv, audit::AuditLog& log) {
  Accounted logged;
  std::set<std::string> request_ids;
  CANDOR_RETURN_IF_ERROR(ForEachRecord(log, 0, [&](const audit::AuditEvent& e) {
    logged.AddRecord(e);
    if (!e.request_id.empty()) request_ids.insert(e.request_id);
  }));
  StoreCheck check;
  check.collections = static_cast<int64_t>(inv.collections.size());
  check.faces = static_cast<int64_t>(inv.faces.size());
  check.users = static_cast<int64_t>(inv.users.size());
  check.policies = static_cast<int64_t>(inv.policies.size());
  // Journal rows of calls with no record: pending (accounted for by the
  // journal, but not yet in the log).
  Accounted pending;
  std::set<std::string> pending_calls;
  for (const store::JournalEntry& row : inv.journal) {
    if (request_ids.count(row.request_id)) continue;
    pending.AddChanges(Text(row.entry, "Operation"), Text(row.entry, "CollectionId"),
                       row.entry.value("Changes", json::array()));
    if (pending_calls.insert(row.request_id).second) {
      check.problems.push_back(
          "call " + row.request_id + " (" + Text(row.entry, "Operation") + " by " +
          Text(row.entry, "Principal") + "): committed to the store, its audit record is not "
          "written yet (the service stopped before writing it, or is writing it now); "
          "`candor serve` writes it from the store's journal when it starts");
    }
  }
  check.pending_calls = static_cast<int64_t>(pending_calls.size());
  const auto unaccounted = [&](const char* what, const std::string& collection,
                               const std::string& id) {
    check.problems.push_back(std::string(what) + " " + id + " in collection " + collection +
                             ": in the store with no audit record");
  };
  for (const std::string& c : inv.collections) {
    if (!logged.collections.count(c) && !pending.collections.count(c)) {
      check.problems.push_back("collection " + c + ": in the store with no audit record");
    }
  }
  for (const store::Inventory::Face& f : inv.faces) {
    const Key key{f.collection_id, f.face_id};
    if (!logged.faces.count(key) && !pending.faces.count(key)) {
      unaccounted("face", f.collection_id, f.face_id);
    }
    if (!f.user_id.empty()) {
      const Key user{f.collection_id, f.user_id};
      if (!logged.associations.count(user) && !pending.associations.count(user)) {
        check.problems.push_back("face " + f.face_id + " in collection " + f.collection_id +
                                 ": associated with user " + f.user_id +
                                 " with no audit record of an association");
      }
    }
  }
  for (const store::Inventory::User& u : inv.users) {
    const Key key{u.collection_id, u.user_id};
    if (!logged.users.count(key) && !pending.users.count(key)) {
      unaccounted("user", u.collection_id, u.user_id);
    }
  }
  for (const std::string& c : inv.policies) {
    if (!logged.policies.count(c) && !pending.policies.count(c)) {
      check.problems.push_back("the policy of collection " + c +
                               ": in the store with no audit record");
    }
  }
  return check;
}

}  // namespace candor::server
