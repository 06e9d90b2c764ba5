// Status and StatusOr: errors as values.
//
// Every fallible call in Candor returns a Status or a StatusOr<T>. A Status is
// cheap to copy when ok (no allocation). Codes that a user can cause map onto
// the error names of Amazon Rekognition (see ErrorTypeName) so that the CLI and
// the server report the same names the AWS SDKs know.
//
// Thread safety: Status and StatusOr are values; distinct objects may be used
// from different threads freely.
#ifndef CANDOR_STATUS_H_
#define CANDOR_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace candor {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // a parameter is out of range or malformed
  kInvalidImageFormat,  // image bytes that cannot be decoded or are not an image
  kImageTooLarge,       // image bytes or pixel count above the limits
  kInvalidPaginationToken,  // a NextToken this service did not issue
  kNotFound,
  kAlreadyExists,
  kCorruption,  // stored data or a model file fails its integrity check
  kIOError,
  kUnsupported,
  kResourceExhausted,
  kPermissionDenied,
  kInternal,
  // Rekognition's ConflictException: a User that already exists, or a change
  // to a User that raced with another one.
  kConflict,
  kServiceQuotaExceeded,          // a documented quota, e.g. 100 faces per User
  kIdempotentParameterMismatch,   // a ClientRequestToken reused with other parameters
  // The wire protocol: a body that is not JSON, or a member of the wrong JSON
  // type (AWS's SerializationException).
  kSerialization,
  kInvalidS3Object,    // an S3Object image that cannot be read
  kThrottling,         // the service is saturated; retry later
  kUnknownOperation,   // an X-Amz-Target that names no operation
  // Rekognition's ResourceInUseException: a stream processor name that is
  // taken, or one in a state that does not allow the change asked for.
  kResourceInUse,
  kLimitExceeded,      // a limit on concurrent work, e.g. queued video jobs
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status InvalidImageFormat(std::string m) {
    return {StatusCode::kInvalidImageFormat, std::move(m)};
  }
  static Status ImageTooLarge(std::string m) { return {StatusCode::kImageTooLarge, std::move(m)}; }
  static Status InvalidPaginationToken(std::string m) {
    return {StatusCode::kInvalidPaginationToken, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status ServiceQuotaExceeded(std::string m) {
    return {StatusCode::kServiceQuotaExceeded, std::move(m)};
  }
  static Status IdempotentParameterMismatch(std::string m) {
    return {StatusCode::kIdempotentParameterMismatch, std::move(m)};
  }

  static Status Serialization(std::string m) { return {StatusCode::kSerialization, std::move(m)}; }
  static Status InvalidS3Object(std::string m) {
    return {StatusCode::kInvalidS3Object, std::move(m)};
  }
  static Status Throttling(std::string m) { return {StatusCode::kThrottling, std::move(m)}; }
  static Status ResourceInUse(std::string m) { return {StatusCode::kResourceInUse, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  static Status UnknownOperation(std::string m) {
    return {StatusCode::kUnknownOperation, std::move(m)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidImageFormatException: <message>", for logs and the CLI.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// The Amazon Rekognition error type (the JSON "__type") for a code, for
// example "InvalidParameterException" for kInvalidArgument.
std::string_view ErrorTypeName(StatusCode code);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(T value) : value_(std::move(value)) {}                                 // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace candor

#define CANDOR_CONCAT_INNER_(a, b) a##b
#define CANDOR_CONCAT_(a, b) CANDOR_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not ok.
#define CANDOR_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::candor::Status candor_status_ = (expr);     \
    if (!candor_status_.ok()) return candor_status_; \
  } while (0)

// CANDOR_ASSIGN_OR_RETURN(auto x, MakeX()): unwraps a StatusOr or returns its error.
#define CANDOR_ASSIGN_OR_RETURN(lhs, expr) \
  CANDOR_ASSIGN_OR_RETURN_IMPL_(CANDOR_CONCAT_(candor_statusor_, __LINE__), lhs, expr)
#define CANDOR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // CANDOR_STATUS_H_
