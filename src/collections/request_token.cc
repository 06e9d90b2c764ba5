#include "collections/request_token.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace candor {
namespace {

constexpr char kNone[] = "-";

std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string joined;
  for (const std::string& r : reasons) joined += (joined.empty() ? "" : ",") + r;
  return joined.empty() ? kNone : joined;
}

std::vector<std::string> SplitReasons(const std::string& joined) {
  std::vector<std::string> reasons;
  if (joined == kNone) return reasons;
  std::stringstream in(joined);
  for (std::string r; std::getline(in, r, ',');) reasons.push_back(r);
  return reasons;
}

std::string StatusWord(UserStatus status) { return std::string(UserStatusName(status)); }

StatusOr<UserStatus> ParseStatusWord(const std::string& word) {
  if (word == "ACTIVE") return UserStatus::kActive;
  if (word == "CREATED") return UserStatus::kCreated;
  return Status::Corruption("stored response has an unknown UserStatus '" + word + "'");
}

Status Malformed(const std::string& line) {
  return Status::Corruption("stored response of a ClientRequestToken is malformed: '" +
                            line.substr(0, 200) + "'");
}

// Lines: "F <face_id>" (a face that was changed), "U <face_id> <user_id|->
// <confidence|-> <reasons|->" (unsuccessful), "S <UserStatus>".
template <typename Result>
std::string Encode(const std::vector<std::string>& changed, const Result& result,
                   const std::vector<std::optional<float>>& confidences) {
  std::string out;
  for (const std::string& f : changed) out += "F " + f + "\n";
  for (size_t i = 0; i < result.unsuccessful.size(); ++i) {
    const auto& u = result.unsuccessful[i];
    out += "U " + u.face_id + " " + (u.user_id.empty() ? kNone : u.user_id) + " " +
           (confidences[i] ? FingerprintFloat(*confidences[i]) : kNone) + " " +
           JoinReasons(u.reasons) + "\n";
  }
  out += "S " + StatusWord(result.user_status) + "\n";
  return out;
}

struct Decoded {
  std::vector<std::string> changed;
  struct Unsuccessful {
    std::string face_id, user_id;
    std::optional<float> confidence;
    std::vector<std::string> reasons;
  };
  std::vector<Unsuccessful> unsuccessful;
  UserStatus status = UserStatus::kCreated;
};

StatusOr<Decoded> Decode(const std::string& text) {
  Decoded d;
  bool has_status = false;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::stringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "F") {
      std::string face_id;
      if (!(words >> face_id)) return Malformed(line);
      d.changed.push_back(face_id);
    } else if (kind == "U") {
      std::string face_id, user_id, confidence, reasons;
      if (!(words >> face_id >> user_id >> confidence >> reasons)) return Malformed(line);
      Decoded::Unsuccessful u{face_id, user_id == kNone ? "" : user_id, std::nullopt,
                              SplitReasons(reasons)};
      if (confidence != kNone) {
        char* end = nullptr;
        u.confidence = std::strtof(confidence.c_str(), &end);
        if (end == confidence.c_str() || *end != '\0') return Malformed(line);
      }
      d.unsuccessful.push_back(std::move(u));
    } else if (kind == "S") {
      std::string word;
      if (!(words >> word)) return Malformed(line);
      CANDOR_ASSIGN_OR_RETURN(d.status, ParseStatusWord(word));
      has_status = true;
    } else {
      return Malformed(line);
    }
  }
  if (!has_status) return Malformed(text);
  return d;
}

}  // namespace

std::string FingerprintFloat(float value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", static_cast<double>(value));
  return text;
}

std::string Fingerprint(const std::vector<std::string>& values) {
  std::string line;
  for (const std::string& v : values) line += (line.empty() ? "" : " ") + v;
  return line;
}

std::string TokenValue(const std::string& fingerprint, const std::string& response) {
  return fingerprint + "\n" + response;
}

StatusOr<std::optional<std::string>> LookUpToken(store::Store* store,
                                                 const std::string& collection_id,
                                                 const std::string& operation,
                                                 const std::string& token,
                                                 const std::string& fingerprint) {
  if (token.empty()) return std::optional<std::string>();
  CANDOR_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                          store->GetTokenResponse(collection_id, operation, token));
  if (!stored) return stored;
  const size_t newline = stored->find('\n');
  if (newline == std::string::npos || stored->compare(0, newline, fingerprint) != 0) {
    return Status::IdempotentParameterMismatch("ClientRequestToken " + token +
                                               " was used with other parameters for " + operation);
  }
  return std::optional<std::string>(stored->substr(newline + 1));
}

std::string EncodeResult(const AssociateFacesResult& result) {
  std::vector<std::optional<float>> confidences;
  for (const auto& u : result.unsuccessful) confidences.push_back(u.confidence);
  return Encode(result.associated_faces, result, confidences);
}

std::string EncodeResult(const DisassociateFacesResult& result) {
  std::vector<std::optional<float>> confidences(result.unsuccessful.size());
  return Encode(result.disassociated_faces, result, confidences);
}

StatusOr<AssociateFacesResult> DecodeAssociateFacesResult(const std::string& text) {
  CANDOR_ASSIGN_OR_RETURN(Decoded d, Decode(text));
  AssociateFacesResult result;
  result.associated_faces = std::move(d.changed);
  for (auto& u : d.unsuccessful) {
    result.unsuccessful.push_back({u.face_id, u.user_id, u.confidence, std::move(u.reasons)});
  }
  result.user_status = d.status;
  return result;
}

StatusOr<DisassociateFacesResult> DecodeDisassociateFacesResult(const std::string& text) {
  CANDOR_ASSIGN_OR_RETURN(Decoded d, Decode(text));
  DisassociateFacesResult result;
  result.disassociated_faces = std::move(d.changed);
  for (auto& u : d.unsuccessful) {
    result.unsuccessful.push_back({u.face_id, u.user_id, std::move(u.reasons)});
  }
  result.user_status = d.status;
  return result;
}

}  // namespace candor
