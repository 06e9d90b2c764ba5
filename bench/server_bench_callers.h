// server_bench's requests and the two ways of sending them: in-process
// (server::RunOperation) and over HTTP with SigV4, as an AWS SDK does.
#ifndef CANDOR_BENCH_SERVER_BENCH_CALLERS_H_
#define CANDOR_BENCH_SERVER_BENCH_CALLERS_H_

#include <httplib.h>

#include <array>
#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "candor/status.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/operations.h"
#include "server/sigv4.h"

namespace candor::bench {

using candor::StatusCode;

constexpr char kCollection[] = "load";
constexpr int kMaxFaces = 10;
constexpr int kFaceMatchThreshold = 80;
constexpr char kRegion[] = "us-east-1";
constexpr char kService[] = "rekognition";

// The operations a run can send; the tables below are indexed by Op.
enum Op { kDetect = 0, kSearchImage = 1, kSearchFace = 2, kOps = 3 };
constexpr const char* kOpNames[kOps] = {"DetectFaces", "SearchFacesByImage", "SearchFaces"};
constexpr const char* kOpFlags[kOps] = {"detect", "search-image", "search-face"};  // in --ops
// Whether the operation's requests carry an image (else a face id).
constexpr bool kTakesImage[kOps] = {true, true, false};

// The fraction of the requests of each operation; they sum to 1.
using Shares = std::array<double, kOps>;

// The benchmark calls as a principal with every role.
candor::server::CallContext BenchCaller() {
  candor::server::CallContext call;
  call.principal = "server-bench";
  call.roles = candor::policy::AllRoles();
  call.source = "bench";
  return call;
}

// One prepared request: its body as sent over HTTP and as parsed for
// RunOperation.
struct Request {
  std::string body;
  nlohmann::json parsed;
};

// The prepared requests of each operation: one per image for DetectFaces and
// SearchFacesByImage (none in a run that sends neither), one per face id for
// SearchFaces (none in a run that does not send it).
using Requests = std::array<std::vector<Request>, kOps>;

// `subject` is the base64 image, or the face id for SearchFaces.
Request MakeRequest(Op op, const std::string& subject) {
  nlohmann::json parsed;
  switch (op) {
    case kDetect:
      parsed = {{"Image", {{"Bytes", subject}}}, {"Attributes", {"DEFAULT"}}};
      break;
    case kSearchImage:
      parsed = {{"CollectionId", kCollection}, {"Image", {{"Bytes", subject}}}};
      break;
    case kSearchFace:
      parsed = {{"CollectionId", kCollection}, {"FaceId", subject}};
      break;
    case kOps:
      break;
  }
  if (op != kDetect) {
    parsed["MaxFaces"] = kMaxFaces;
    parsed["FaceMatchThreshold"] = kFaceMatchThreshold;
  }
  std::string body = parsed.dump();
  return {std::move(body), std::move(parsed)};
}

enum class Outcome { kOk, kThrottled, kError };

// One client's way of making a request, in-process or over HTTP. Used by one
// thread only.
class Caller {
 public:
  virtual ~Caller() = default;
  virtual Outcome Call(Op op, const Request& request, std::string* error) = 0;
};

class InProcessCaller : public Caller {
 public:
  explicit InProcessCaller(const candor::server::ServiceContext& service) : service_(service) {}
  Outcome Call(Op op, const Request& request, std::string* error) override {
    auto result =
        candor::server::RunOperation(kOpNames[op], request.parsed, service_, BenchCaller());
    if (result.ok()) return Outcome::kOk;
    if (result.status().code() == StatusCode::kThrottling) return Outcome::kThrottled;
    *error = result.status().ToString();
    return Outcome::kError;
  }

 private:
  const candor::server::ServiceContext& service_;
};

class HttpCaller : public Caller {
 public:
  HttpCaller(int port, const candor::server::Credential& credential)
      : client_("127.0.0.1", port),
        host_("127.0.0.1:" + std::to_string(port)),
        credential_(credential) {
    client_.set_keep_alive(true);
    client_.set_read_timeout(120, 0);  // a saturated queue answers late, not never
  }
  Outcome Call(Op op, const Request& request, std::string* error) override {
    candor::server::HttpRequestView view;
    view.method = "POST";
    view.path = "/";
    view.headers = {{"Host", host_},
                    {"Content-Type", "application/x-amz-json-1.1"},
                    {"X-Amz-Target", std::string("RekognitionService.") + kOpNames[op]}};
    view.body = request.body;
    candor::server::SignSigV4(view, credential_, kRegion, kService, std::time(nullptr));
    httplib::Headers headers;
    for (const auto& [name, value] : view.headers) {
      if (name != "Content-Type") headers.emplace(name, value);
    }
    auto response = client_.Post("/", headers, request.body, "application/x-amz-json-1.1");
    if (!response) {
      *error = "HTTP: " + httplib::to_string(response.error());
      return Outcome::kError;
    }
    if (response->status == 200) return Outcome::kOk;
    const auto body = nlohmann::json::parse(response->body, nullptr, false);
    const std::string type = body.is_object() ? body.value("__type", "") : "";
    if (type == "ThrottlingException") return Outcome::kThrottled;
    *error = std::to_string(response->status) + " " + response->body.substr(0, 300);
    return Outcome::kError;
  }

 private:
  httplib::Client client_;
  const std::string host_;
  const candor::server::Credential& credential_;
};

}  // namespace candor::bench

#endif  // CANDOR_BENCH_SERVER_BENCH_CALLERS_H_
