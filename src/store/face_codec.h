// Checks on a FaceRecord before it is stored, and the stored form of its
// embedding: kEmbeddingDimension float32 values, little-endian, packed
// (kEmbeddingBytes bytes), whatever the host's byte order, so that a data
// directory can move between machines.
//
// Thread safety: pure functions.
#ifndef CANDOR_STORE_FACE_CODEC_H_
#define CANDOR_STORE_FACE_CODEC_H_

#include <cstddef>
#include <string>
#include <vector>

#include "candor/status.h"
#include "store/store.h"

namespace candor::store {

// InvalidArgument naming the face unless it has a face_id, a finite box and
// confidence, and a valid embedding.
Status ValidateFace(const FaceRecord& face);

// InvalidArgument unless `embedding` has kEmbeddingDimension finite values.
Status ValidateEmbedding(const std::vector<float>& embedding);

// The blob for a valid embedding (see ValidateEmbedding).
std::string EncodeEmbedding(const std::vector<float>& embedding);

// Decodes a blob; false (and `out` untouched) unless it is exactly
// kEmbeddingBytes long.
bool DecodeEmbedding(const void* data, size_t size, std::vector<float>* out);

}  // namespace candor::store

#endif  // CANDOR_STORE_FACE_CODEC_H_
