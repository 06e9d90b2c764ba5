#include "candor/status.h"

namespace candor {

std::string_view ErrorTypeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "Ok";
    case StatusCode::kInvalidArgument:
      return "InvalidParameterException";
    case StatusCode::kInvalidImageFormat:
      return "InvalidImageFormatException";
    case StatusCode::kImageTooLarge:
      return "ImageTooLargeException";
    case StatusCode::kInvalidPaginationToken:
      return "InvalidPaginationTokenException";
    case StatusCode::kNotFound:
      return "ResourceNotFoundException";
    case StatusCode::kAlreadyExists:
      return "ResourceAlreadyExistsException";
    case StatusCode::kCorruption:
      return "CorruptionException";
    case StatusCode::kIOError:
      return "IOErrorException";
    case StatusCode::kUnsupported:
      return "UnsupportedException";
    case StatusCode::kResourceExhausted:
      return "ProvisionedThroughputExceededException";
    case StatusCode::kPermissionDenied:
      return "AccessDeniedException";
    case StatusCode::kInternal:
      return "InternalServerError";
    case StatusCode::kConflict:
      return "ConflictException";
    case StatusCode::kServiceQuotaExceeded:
      return "ServiceQuotaExceededException";
    case StatusCode::kIdempotentParameterMismatch:
      return "IdempotentParameterMismatchException";
    case StatusCode::kSerialization:
      return "SerializationException";
    case StatusCode::kInvalidS3Object:
      return "InvalidS3ObjectException";
    case StatusCode::kThrottling:
      return "ThrottlingException";
    case StatusCode::kUnknownOperation:
      return "UnknownOperationException";
    case StatusCode::kResourceInUse:
      return "ResourceInUseException";
    case StatusCode::kLimitExceeded:
      return "LimitExceededException";
  }
  return "InternalServerError";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(ErrorTypeName(code_)) + ": " + message_;
}

}  // namespace candor
