#include "store/write_journal.h"

#include <utility>

namespace candor::store {
namespace {

thread_local const WriteOrigin* current_origin = nullptr;
thread_local nlohmann::json* current_changes = nullptr;

std::string& JournalNode() {
  static std::string node;
  return node;
}

}  // namespace

ScopedWriteOrigin::ScopedWriteOrigin(WriteOrigin origin)
    : origin_(std::move(origin)), outer_(current_origin) {
  current_origin = &origin_;
}

ScopedWriteOrigin::~ScopedWriteOrigin() { current_origin = outer_; }

const WriteOrigin* CurrentWriteOrigin() { return current_origin; }

void SetJournalNode(std::string node) { JournalNode() = std::move(node); }

void NoteChange(nlohmann::json change) {
  if (current_changes != nullptr) current_changes->push_back(std::move(change));
}

ScopedChangeList::ScopedChangeList() : outer_(current_changes) { current_changes = &changes_; }

ScopedChangeList::~ScopedChangeList() { current_changes = outer_; }

nlohmann::json JournalJson(const WriteOrigin& origin, const std::string& what,
                           const nlohmann::json& changes) {
  nlohmann::json entry = {{"RequestId", origin.request_id}, {"Operation", origin.operation},
                          {"Principal", origin.principal},  {"Source", origin.source},
                          {"Reason", origin.reason},        {"CollectionId", origin.collection_id},
                          {"TimeMs", origin.time_ms},       {"What", what},
                          {"Changes", changes}};
  if (!JournalNode().empty()) entry["Node"] = JournalNode();
  return entry;
}

}  // namespace candor::store
