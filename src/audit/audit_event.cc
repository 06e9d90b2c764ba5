#include "audit/audit_event.h"

#include <optional>
#include <utility>

#include "audit/audit_crypto.h"

namespace candor::audit {
namespace {

using nlohmann::json;

nlohmann::json OptionalNumber(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

// Reads the fields of a stored body, remembering the first problem.
class FieldReader {
 public:
  explicit FieldReader(const json& body) : body_(body) {}

  void Int(const char* key, int64_t* out) {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (!value->is_number_integer()) return Wrong(key, "an integer");
    *out = value->get<int64_t>();
  }
  void OptionalInt(const char* key, std::optional<int64_t>* out) {
    const json* value = Find(key);
    if (value == nullptr || value->is_null()) return;
    if (!value->is_number_integer()) return Wrong(key, "an integer or null");
    *out = value->get<int64_t>();
  }
  void OptionalDouble(const char* key, std::optional<double>* out) {
    const json* value = Find(key);
    if (value == nullptr || value->is_null()) return;
    if (!value->is_number()) return Wrong(key, "a number or null");
    *out = value->get<double>();
  }
  void String(const char* key, std::string* out) {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (!value->is_string()) return Wrong(key, "a string");
    *out = value->get<std::string>();
  }
  void Any(const char* key, json* out) {
    if (const json* value = Find(key)) *out = *value;
  }

  Status status() const { return status_; }

 private:
  const json* Find(const char* key) {
    if (!status_.ok()) return nullptr;
    const auto it = body_.find(key);
    if (it == body_.end()) {
      status_ = Status::Corruption(std::string("audit record has no field ") + key);
      return nullptr;
    }
    return &*it;
  }
  void Wrong(const char* key, const char* expected) {
    status_ = Status::Corruption(std::string("audit record field ") + key + " is not " + expected);
  }

  const json& body_;
  Status status_;
};

}  // namespace

nlohmann::json EventBody(const AuditEvent& event) {
  json body = json::object();
  body["seq"] = event.seq;
  body["time_ms"] = event.time_ms;
  body["principal"] = event.principal;
  body["source"] = event.source;
  body["request_id"] = event.request_id;
  body["operation"] = event.operation;
  body["collection_id"] = event.collection_id;
  body["purpose"] = event.purpose;
  body["reason"] = event.reason;
  body["threshold_requested"] = OptionalNumber(event.threshold_requested);
  body["threshold_applied"] = OptionalNumber(event.threshold_applied);
  body["max_faces"] = event.max_faces ? json(*event.max_faces) : json(nullptr);
  body["faces_searched"] = event.faces_searched;
  body["results"] = event.results;
  body["outcome"] = event.outcome;
  body["prev_hash"] = event.prev_hash;
  return body;
}

std::string CanonicalJson(const AuditEvent& event) {
  return EventBody(event).dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<std::string> StrictCanonicalDump(const nlohmann::json& body) {
  try {
    return body.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("audit event cannot be recorded: ") + e.what());
  }
}

nlohmann::json ToJson(const AuditEvent& event) {
  json j = EventBody(event);
  j["hash"] = event.hash;
  return j;
}

std::string ChainHash(std::string_view prev_hash, std::string_view canonical_json) {
  return Sha256Hex(prev_hash, canonical_json);
}

std::string KeyId(std::string_view public_key_pem) {
  return Sha256Hex(public_key_pem).substr(0, 16);
}

StatusOr<AuditEvent> EventFromJson(const nlohmann::json& body) {
  if (!body.is_object()) return Status::Corruption("audit record is not a JSON object");
  AuditEvent event;
  FieldReader read(body);
  read.Int("seq", &event.seq);
  read.Int("time_ms", &event.time_ms);
  read.String("principal", &event.principal);
  read.String("source", &event.source);
  read.String("request_id", &event.request_id);
  read.String("operation", &event.operation);
  read.String("collection_id", &event.collection_id);
  read.String("purpose", &event.purpose);
  read.String("reason", &event.reason);
  read.OptionalDouble("threshold_requested", &event.threshold_requested);
  read.OptionalDouble("threshold_applied", &event.threshold_applied);
  read.OptionalInt("max_faces", &event.max_faces);
  read.Int("faces_searched", &event.faces_searched);
  read.Any("results", &event.results);
  read.String("outcome", &event.outcome);
  read.String("prev_hash", &event.prev_hash);
  CANDOR_RETURN_IF_ERROR(read.status());
  return event;
}

}  // namespace candor::audit
