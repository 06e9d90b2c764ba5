// Dot-product kernels for the exact index, with the SIMD path chosen at run
// time.
//
// The shipped binary is built for the x86-64 baseline (SSE2). The AVX2+FMA
// kernels are compiled with __attribute__((target("avx2,fma"))) into the same
// object and only called when the CPU reports both features, so no
// -march=native is needed. On other architectures only the portable kernels
// exist.
//
// Every kernel sums in an order that depends only on the dimension, never on
// the address of its arguments, so a row always gets the same score from the
// same kernel wherever it sits in memory (the index relies on this for ties).
//
// Thread safety: all functions are pure and may be called from any thread.
#ifndef CANDOR_INDEX_DOT_PRODUCT_H_
#define CANDOR_INDEX_DOT_PRODUCT_H_

#include <cstddef>
#include <cstdint>

namespace candor::index {

// Which implementation a kernel table holds.
enum class KernelIsa {
  kPortable,  // SSE2 intrinsics on x86-64 (its baseline), plain C++ elsewhere
  kAvx2Fma,   // x86-64 with AVX2 and FMA (Intel Haswell 2013+, AMD Zen 2017+)
};

const char* KernelIsaName(KernelIsa isa);

// True if this CPU can run the kAvx2Fma kernels.
bool CpuSupportsAvx2Fma();

// Single dot products, exposed for tests and benchmarks.
float DotProductPortable(const float* a, const float* b, size_t n);
// Only call when CpuSupportsAvx2Fma(); on other architectures this is the
// portable kernel.
float DotProductAvx2Fma(const float* a, const float* b, size_t n);

// Integer dot product of int8 vectors (exact in int32 while
// n * 127 * 127 < 2^31, that is n <= 133,000).
int32_t DotProductInt8Portable(const int8_t* a, const int8_t* b, size_t n);
int32_t DotProductInt8Avx2(const int8_t* a, const int8_t* b, size_t n);

// Largest magnitude of an int8 component (symmetric range, -128 unused).
inline constexpr float kInt8Max = 127.0f;

// Quantises `v` (n components) to int8 with one scale per vector:
// v[i] ~= out[i] * scale. Returns the scale (0 for a zero vector).
float QuantizeInt8(const float* v, size_t n, int8_t* out);

// Scores a block of rows against one query:
//   scores[i] = dot(rows + i * dim, query)                       (float rows)
//   scores[i] = dot(rows + i * dim, query) * row_scales[i] * query_scale  (int8)
// `rows` is row-major with stride `dim`.
using ScoreRowsF32Fn = void (*)(const float* rows, size_t count, size_t dim, const float* query,
                                float* scores);
using ScoreRowsInt8Fn = void (*)(const int8_t* rows, const float* row_scales, size_t count,
                                 size_t dim, const int8_t* query, float query_scale, float* scores);

struct DotProductKernels {
  KernelIsa isa;
  ScoreRowsF32Fn score_rows_f32;
  ScoreRowsInt8Fn score_rows_int8;
};

// The kernels for `isa`. kAvx2Fma must only be asked for when
// CpuSupportsAvx2Fma().
const DotProductKernels& KernelsFor(KernelIsa isa);

// The fastest kernels this CPU supports.
const DotProductKernels& BestKernels();

}  // namespace candor::index

#endif  // CANDOR_INDEX_DOT_PRODUCT_H_
