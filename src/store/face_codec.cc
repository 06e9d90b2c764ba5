#include "store/face_codec.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "store/schema.h"

namespace candor::store {
namespace {

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "the stored format is IEEE-754 binary32");

uint32_t ToLittleEndian(uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) return v;
  return ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) | ((v >> 8) & 0xff00u) | (v >> 24);
}

}  // namespace

Status ValidateFace(const FaceRecord& face) {
  if (face.face_id.empty()) return Status::InvalidArgument("face has an empty face_id");
  const float numbers[] = {face.box.left, face.box.top, face.box.width, face.box.height,
                           face.confidence};
  for (float v : numbers) {
    if (!std::isfinite(v)) {
      return Status::InvalidArgument("face " + face.face_id +
                                     " has a box or confidence that is "
                                     "not finite");
    }
  }
  Status status = ValidateEmbedding(face.embedding);
  if (!status.ok())
    return Status::InvalidArgument("face " + face.face_id + ": " + status.message());
  return Status::Ok();
}

Status ValidateEmbedding(const std::vector<float>& embedding) {
  if (embedding.size() != static_cast<size_t>(kEmbeddingDimension)) {
    return Status::InvalidArgument("embedding has " + std::to_string(embedding.size()) +
                                   " values, expected " + std::to_string(kEmbeddingDimension));
  }
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (!std::isfinite(embedding[i])) {
      return Status::InvalidArgument("embedding value " + std::to_string(i) + " is not finite");
    }
  }
  return Status::Ok();
}

std::string EncodeEmbedding(const std::vector<float>& embedding) {
  std::string blob(embedding.size() * 4, '\0');
  for (size_t i = 0; i < embedding.size(); ++i) {
    const uint32_t bits = ToLittleEndian(std::bit_cast<uint32_t>(embedding[i]));
    std::memcpy(blob.data() + 4 * i, &bits, 4);
  }
  return blob;
}

bool DecodeEmbedding(const void* data, size_t size, std::vector<float>* out) {
  if (size != static_cast<size_t>(kEmbeddingBytes) || data == nullptr) return false;
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->resize(kEmbeddingDimension);
  for (int i = 0; i < kEmbeddingDimension; ++i) {
    uint32_t bits;
    std::memcpy(&bits, bytes + 4 * i, 4);
    (*out)[i] = std::bit_cast<float>(ToLittleEndian(bits));
  }
  return true;
}

}  // namespace candor::store
