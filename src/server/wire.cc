#include "server/wire.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace candor::server {

StatusOr<std::string> OperationFromTarget(std::string_view target) {
  if (target.substr(0, kCandorPrefix.size()) == kCandorPrefix &&
      target.size() > kCandorPrefix.size() && target.size() <= kCandorPrefix.size() + 64) {
    return std::string(target);  // "Candor.PutCollectionPolicy"
  }
  if (target.substr(0, kTargetPrefix.size()) != kTargetPrefix ||
      target.size() == kTargetPrefix.size() || target.size() > kTargetPrefix.size() + 64) {
    return Status::UnknownOperation(
        "X-Amz-Target must be RekognitionService.<Operation> or Candor.<Operation>");
  }
  return std::string(target.substr(kTargetPrefix.size()));
}

StatusOr<nlohmann::json> ParseRequestBody(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return Status::Serialization("the request body nests JSON deeper than " +
                                     std::to_string(max_depth) + " levels");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Serialization("the request body is not valid JSON");
  if (!parsed.is_object()) return Status::Serialization("the request body must be a JSON object");
  return parsed;
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kInternal:
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kResourceExhausted:
      return 500;
    default:
      return 400;
  }
}

std::string_view WireErrorName(StatusCode code) {
  switch (code) {
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kResourceExhausted:
      return "InternalServerError";
    case StatusCode::kUnsupported:
      return "InvalidParameterException";
    default:
      return ErrorTypeName(code);
  }
}

std::string ErrorBody(std::string_view type, std::string_view message) {
  nlohmann::json j = {{"__type", type}, {"message", message}, {"Message", message}};
  // Messages may quote caller input that is not UTF-8; replace, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    for (unsigned char& x : b) x = static_cast<unsigned char>(std::rand());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace candor::server
