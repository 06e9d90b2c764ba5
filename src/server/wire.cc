#include "server/wire.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

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

namespace {

// A number token's problem, or "" when it is a number JSON readers agree on:
// "-0" (and -0.0, -0e5) is negative zero, which most readers turn into 0;
// a nonzero mantissa whose value underflows to 0 is a different number
// (overflow is already a parse error).
std::string NumberProblem(std::string_view token) {
  bool nonzero_digit = false;
  for (char c : token) {
    if (c == 'e' || c == 'E') break;
    if (c >= '1' && c <= '9') nonzero_digit = true;
  }
  if (!nonzero_digit) {
    return token.front() == '-' ? "a negative zero (" + std::string(token.substr(0, 32)) + ")"
                                : "";
  }
  const std::string text(token);
  if (std::strtod(text.c_str(), nullptr) == 0.0) {
    return "a number that underflows to zero (" + text.substr(0, 32) + ")";
  }
  return "";
}

}  // namespace

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
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = i;
      while (end < body.size() && std::strchr("+-.0123456789eE", body[end]) != nullptr) ++end;
      const std::string problem = NumberProblem(body.substr(i, end - i));
      if (!problem.empty()) {
        return Status::Serialization("the request body holds " + problem +
                                     ", which JSON readers disagree on");
      }
      i = end - 1;
    }
  }
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return nlohmann::json::object();
  // Keys of each open object, to refuse one seen twice.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  const nlohmann::json::parser_callback_t check =
      [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
          keys.emplace_back();
        } else if (event == Event::object_end) {
          if (!keys.empty()) keys.pop_back();
        } else if (event == Event::key && !keys.empty() && duplicate.empty() &&
                   !keys.back().insert(parsed.get<std::string>()).second) {
          duplicate = parsed.get<std::string>();
        }
        return true;
      };
  nlohmann::json parsed = nlohmann::json::parse(body, check, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Serialization("the request body is not valid JSON");
  if (!duplicate.empty()) {
    return Status::Serialization("the request body has the key \"" + duplicate.substr(0, 64) +
                                 "\" twice in one object");
  }
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

std::string HttpDate(std::time_t seconds_since_epoch) {
  // Not strftime: %a and %b follow the locale, and HTTP's names do not.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&seconds_since_epoch, &tm);
  char text[32];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

}  // namespace candor::server
