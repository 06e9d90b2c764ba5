#include "server/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <set>

namespace candor::server {
namespace {

// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kScopeTerminator = "aws4_request";
constexpr size_t kSignatureHexChars = 64;  // hex of an HMAC-SHA256
// A bound on work done for an unauthenticated request. The SDKs sign a
// handful of headers (botocore: every header but a few hop-by-hop ones).
constexpr size_t kMaxSignedHeaders = 64;
constexpr size_t kMaxAuthorizationBytes = 8192;

using Digest = std::array<unsigned char, 32>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// SigV4's Trimall: no leading or trailing whitespace, inner runs as one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : Trim(value)) {
    if (IsSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int length = 0;
  // HMAC() (unlike HMAC_CTX) is not deprecated in OpenSSL 3.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string_view AsView(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// URI-encodes every byte but the unreserved ones (and '/' when keep_slash),
// with upper-case hex, as SigV4 requires.
std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays literal.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// RFC 3986 5.2.4 remove_dot_segments, also collapsing repeated slashes, as
// the AWS services (and botocore's normalize_url_path) do for every service
// but S3.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(pos, end - pos);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    pos = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out.empty() ? "/" : out;
}

std::string CanonicalQuery(std::string_view query) {
  if (query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    params.emplace_back(UriEncode(PercentDecode(name), false),
                        UriEncode(PercentDecode(value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

// The values of all headers called `lower_name`, in order.
std::vector<std::string_view> HeaderValues(const HttpRequestView& request,
                                           std::string_view lower_name) {
  std::vector<std::string_view> values;
  for (const auto& [name, value] : request.headers) {
    if (name.size() == lower_name.size() && Lower(name) == lower_name) values.push_back(value);
  }
  return values;
}

std::string SortedLowerJoined(std::vector<std::string> names, std::vector<std::string>* sorted) {
  for (std::string& n : names) n = Lower(n);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string joined;
  for (const std::string& n : names) {
    if (!joined.empty()) joined.push_back(';');
    joined += n;
  }
  if (sorted != nullptr) *sorted = std::move(names);
  return joined;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "YYYYMMDDTHHMMSSZ" to Unix seconds; nullopt for anything else, including
// impossible dates such as 20150230.
std::optional<int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto number = [&](size_t pos, size_t len) -> std::optional<int> {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const auto hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1) return std::nullopt;
  const int days_in_month = kDaysInMonth[*month - 1] + (*month == 2 && IsLeap(*year) ? 1 : 0);
  if (*day > days_in_month || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return DaysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
         *hour * 3600 + *minute * 60 + *second;
}

std::string FormatAmzDate(int64_t unix_seconds) {
  // Hinnant's civil_from_days.
  int64_t days = unix_seconds / 86400;
  int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld%02u%02uT%02lld%02lld%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buffer;
}

std::string Signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view string_to_sign) {
  const Digest k_date = HmacSha256("AWS4" + std::string(secret), date);
  const Digest k_region = HmacSha256(AsView(k_date), region);
  const Digest k_service = HmacSha256(AsView(k_region), service);
  const Digest k_signing = HmacSha256(AsView(k_service), kScopeTerminator);
  const Digest signature = HmacSha256(AsView(k_signing), string_to_sign);
  return Hex(signature.data(), signature.size());
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + std::string(scope) + "\n" +
         Sha256Hex(canonical_request);
}

AuthResult Failure(int http_status, std::string error_type, std::string message) {
  AuthResult r;
  r.http_status = http_status;
  r.error_type = std::move(error_type);
  r.message = std::move(message);
  return r;
}

AuthResult Incomplete(std::string message) {
  return Failure(400, "IncompleteSignatureException", std::move(message));
}

AuthResult InvalidSignature(std::string message) {
  return Failure(400, "InvalidSignatureException", std::move(message));
}

bool IsTokenChar(char c) {
  // RFC 9110 tchar; header names in SignedHeaders are lower-case.
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A printable excerpt of client input for an error message.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (s.size() > kMax) out += "...";
  return "'" + out + "'";
}

struct ParsedAuthorization {
  std::string_view access_key_id;
  std::string_view date;  // YYYYMMDD
  std::string_view region;
  std::string_view service;
  std::string_view scope;  // date/region/service/aws4_request
  std::vector<std::string> signed_headers;
  std::string_view signed_headers_text;
  std::string_view signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...";
// on failure returns the IncompleteSignatureException message.
std::optional<std::string> ParseAuthorization(std::string_view header, ParsedAuthorization* out) {
  header = Trim(header);
  if (header.size() > kMaxAuthorizationBytes) return "Authorization header too long";
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm ||
      (header.size() > kAlgorithm.size() && !IsSpace(header[kAlgorithm.size()]))) {
    return "Authorization header must start with " + std::string(kAlgorithm);
  }
  std::string_view rest = Trim(header.substr(kAlgorithm.size()));
  std::optional<std::string_view> credential, signed_headers, signature;
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t end = rest.find(',', pos);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view part = Trim(rest.substr(pos, end - pos));
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return "Authorization header component " + Quote(part) + " is not of the form key=value";
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr) return "unknown Authorization header component " + Quote(key);
    if (slot->has_value()) return "Authorization header repeats " + std::string(key);
    *slot = value;
  }
  std::string missing;
  if (!credential) missing += " Authorization header requires 'Credential' parameter.";
  if (!signed_headers) missing += " Authorization header requires 'SignedHeaders' parameter.";
  if (!signature) missing += " Authorization header requires 'Signature' parameter.";
  if (!missing.empty()) return missing.substr(1);

  // Credential=AKID/YYYYMMDD/region/service/aws4_request
  std::vector<std::string_view> parts;
  for (size_t p = 0; p <= credential->size() && parts.size() <= 5;) {
    size_t e = credential->find('/', p);
    if (e == std::string_view::npos) e = credential->size();
    parts.push_back(credential->substr(p, e - p));
    p = e + 1;
  }
  if (parts.size() != 5 || parts[4] != kScopeTerminator ||
      std::any_of(parts.begin(), parts.end(), [](std::string_view s) { return s.empty(); })) {
    return "Credential should be scoped to a valid region, like access-key-id/YYYYMMDD/region/"
           "service/aws4_request, not " +
           Quote(*credential);
  }
  out->access_key_id = parts[0];
  out->date = parts[1];
  out->region = parts[2];
  out->service = parts[3];
  out->scope = credential->substr(parts[0].size() + 1);

  out->signed_headers_text = *signed_headers;
  std::set<std::string_view> seen;
  for (size_t p = 0; p <= signed_headers->size();) {
    size_t e = signed_headers->find(';', p);
    if (e == std::string_view::npos) e = signed_headers->size();
    const std::string_view name = signed_headers->substr(p, e - p);
    p = e + 1;
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return "SignedHeaders holds an invalid header name " + Quote(name);
    }
    if (!seen.insert(name).second) return "SignedHeaders repeats " + Quote(name);
    if (seen.size() > kMaxSignedHeaders) {
      return "SignedHeaders names more than " + std::to_string(kMaxSignedHeaders) + " headers";
    }
    out->signed_headers.emplace_back(name);
  }
  if (!std::is_sorted(out->signed_headers.begin(), out->signed_headers.end())) {
    return "SignedHeaders must be sorted";
  }
  out->signature = *signature;
  if (signature->size() != kSignatureHexChars || !IsLowerHex(*signature)) {
    return "Signature must be 64 lower-case hex digits";
  }
  return std::nullopt;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return Hex(digest, length);
}

std::string CanonicalRequest(const HttpRequestView& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash_hex) {
  std::vector<std::string> names;
  const std::string signed_list = SortedLowerJoined(signed_headers, &names);
  std::string out = request.method + "\n";
  // The path as sent is already percent-encoded; encoding it once more is
  // what AWS does for every service but S3 (and botocore, which quotes the
  // encoded path again).
  out += UriEncode(NormalizePath(request.path), true) + "\n";
  out += CanonicalQuery(request.query) + "\n";
  for (const std::string& name : names) {
    out += name + ":";
    bool first = true;
    for (std::string_view value : HeaderValues(request, name)) {
      if (!first) out.push_back(',');
      first = false;
      out += TrimAll(value);
    }
    out.push_back('\n');
  }
  out += "\n" + signed_list + "\n";
  out += payload_hash_hex;
  return out;
}

AuthResult VerifySigV4(const HttpRequestView& request, const CredentialStore& credentials,
                       const VerifyOptions& options, int64_t now_unix_seconds) {
  const std::vector<std::string_view> authorization = HeaderValues(request, "authorization");
  if (authorization.empty()) {
    return Failure(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  if (authorization.size() > 1) return Incomplete("more than one Authorization header");
  ParsedAuthorization auth;
  if (auto error = ParseAuthorization(authorization[0], &auth)) return Incomplete(*error);

  const std::vector<std::string_view> dates = HeaderValues(request, "x-amz-date");
  if (dates.empty()) {
    return Incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a "
        "'Date' header; only X-Amz-Date is supported");
  }
  if (dates.size() > 1) return Incomplete("more than one X-Amz-Date header");
  const std::string_view amz_date = Trim(dates[0]);
  const std::optional<int64_t> request_time = ParseAmzDate(amz_date);
  if (!request_time) {
    return Incomplete("X-Amz-Date " + Quote(amz_date) + " is not a valid YYYYMMDDTHHMMSSZ time");
  }
  if (auth.date != amz_date.substr(0, 8)) {
    return Incomplete("Credential scope date " + Quote(auth.date) +
                      " does not match the date of X-Amz-Date " + Quote(amz_date));
  }
  if (auth.service != options.service) {
    return Incomplete("Credential should be scoped to correct service: '" + options.service +
                      "', not " + Quote(auth.service));
  }
  if (!options.region.empty() && auth.region != options.region) {
    return Incomplete("Credential should be scoped to a valid region: '" + options.region +
                      "', not " + Quote(auth.region));
  }
  const auto& names = auth.signed_headers;
  for (std::string_view required : {"host", "x-amz-date"}) {
    if (std::find(names.begin(), names.end(), required) == names.end()) {
      return Incomplete("SignedHeaders must include " + std::string(required));
    }
  }

  const Credential* credential = credentials.Find(auth.access_key_id);
  if (credential == nullptr) {
    AuthResult unknown = Failure(400, "UnrecognizedClientException",
                                 "The security token included in the request is invalid.");
    unknown.unknown_access_key_id = auth.access_key_id;
    return unknown;
  }

  if (*request_time < now_unix_seconds - options.max_skew_seconds) {
    return InvalidSignature("Signature expired: " + std::string(amz_date) +
                            " is now earlier than " +
                            FormatAmzDate(now_unix_seconds - options.max_skew_seconds) + " (" +
                            FormatAmzDate(now_unix_seconds) + " - " +
                            std::to_string(options.max_skew_seconds / 60) + " min.)");
  }
  if (*request_time > now_unix_seconds + options.max_skew_seconds) {
    return InvalidSignature("Signature not yet current: " + std::string(amz_date) +
                            " is still later than " +
                            FormatAmzDate(now_unix_seconds + options.max_skew_seconds) + " (" +
                            FormatAmzDate(now_unix_seconds) + " + " +
                            std::to_string(options.max_skew_seconds / 60) + " min.)");
  }

  for (const std::string& name : names) {
    if (HeaderValues(request, name).empty()) {
      return InvalidSignature("signed header " + Quote(name) + " is not in the request");
    }
  }
  const std::string payload_hash = Sha256Hex(request.body);
  const std::vector<std::string_view> content_sha = HeaderValues(request, "x-amz-content-sha256");
  if (!content_sha.empty() && (content_sha.size() > 1 || Trim(content_sha[0]) != payload_hash)) {
    return InvalidSignature("x-amz-content-sha256 does not match the SHA-256 of the body");
  }

  const std::string canonical = CanonicalRequest(request, names, payload_hash);
  const std::string expected =
      Signature(credential->secret_access_key, auth.date, auth.region, auth.service,
                StringToSign(amz_date, auth.scope, canonical));
  // Both are 64 characters (checked in ParseAuthorization).
  if (CRYPTO_memcmp(expected.data(), auth.signature.data(), kSignatureHexChars) != 0) {
    return InvalidSignature(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  }
  AuthResult ok;
  ok.ok = true;
  ok.credential = credential;
  ok.http_status = 200;
  ok.signature = std::string(auth.signature);
  ok.signed_at = *request_time;
  return ok;
}

void SignSigV4(HttpRequestView& request, const Credential& credential, std::string_view region,
               std::string_view service, int64_t now_unix_seconds) {
  auto& headers = request.headers;
  std::erase_if(headers, [](const auto& h) {
    const std::string name = Lower(h.first);
    return name == "authorization" || name == "x-amz-date";
  });
  const std::string amz_date = FormatAmzDate(now_unix_seconds);
  headers.emplace_back("X-Amz-Date", amz_date);

  std::vector<std::string> names = {"host", "x-amz-date"};
  for (std::string_view optional : {"content-type", "x-amz-target"}) {
    if (!HeaderValues(request, optional).empty()) names.emplace_back(optional);
  }
  std::vector<std::string> sorted;
  const std::string signed_list = SortedLowerJoined(names, &sorted);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" +
                            std::string(kScopeTerminator);
  const std::string canonical = CanonicalRequest(request, sorted, Sha256Hex(request.body));
  const std::string signature = Signature(credential.secret_access_key, date, region, service,
                                          StringToSign(amz_date, scope, canonical));
  headers.emplace_back("Authorization",
                       std::string(kAlgorithm) + " Credential=" + credential.access_key_id + "/" +
                           scope + ", SignedHeaders=" + signed_list + ", Signature=" + signature);
}

}  // namespace candor::server
