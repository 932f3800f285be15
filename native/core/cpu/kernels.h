// The CPU kernel table: one per instruction set, chosen once at run time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../backend.h"

namespace grape::cpu {

constexpr int kKc = 256;  // depth of one GEMM pass: an mr x kKc A panel plus a kKc x nr B panel fit L1

struct CpuKernels {
  const char* isa;
  int mr;  // rows of the GEMM micro-tile
  int nr;  // columns of the GEMM micro-tile (weights are packed in panels of nr)

  // W [out, in] → panels of nr output columns, each [in][nr], zero padded to a multiple of nr.
  void (*pack_weights)(const float* w, int out, int in, float* packed);
  // y[rows, out] = x[rows, in] W^T + bias (bias padded to a multiple of nr), then the epilogue.
  // a_scratch holds mr * min(in, kKc) * ceil(rows / mr) floats.
  void (*linear)(const float* x, size_t rows, int in, const float* packed, const float* bias, int out, Epilogue ep,
                 float* y, float* a_scratch);
  void (*log_softmax_gather)(const float* z, size_t steps, int D, int B, const int32_t* tokens, float* step_logp,
                             float* dim_logp);
  // row_scratch holds 2 * B floats.
  void (*sample)(const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens, float* step_logp,
                 float* dim_logp, float* row_scratch);
  void (*half_to_float)(const uint16_t* src, float* dst, size_t n);
  // Index of the first NaN/Inf in x[0, n), or -1.
  ptrdiff_t (*find_non_finite)(const float* x, size_t n);

  // Training kernels; see Backend for their contracts. gemm needs gemm_scratch_floats() floats.
  void (*gemm)(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha, const float* A, size_t lda,
               const float* B, size_t ldb, bool accumulate, float* C, size_t ldc, float* scratch);
  void (*activation)(const float* pre, size_t n, Epilogue ep, float* post);
  void (*activation_backward)(const float* pre, size_t n, Epilogue ep, float* grad);
  void (*log_softmax_gather_backward)(float* z, size_t steps, int D, int B, const int32_t* tokens, const float* coef);
  void (*add_column_sums)(const float* x, size_t rows, size_t cols, float* out);
  double (*sum_squares)(const float* x, size_t n);
  void (*adamw)(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p);
};

// Scratch floats gemm needs for an M x N x K product: packed A, one packed B panel, a zero row.
inline size_t gemm_scratch_floats(const CpuKernels& k, size_t M, size_t K) {
  const size_t kc = K < static_cast<size_t>(kKc) ? K : static_cast<size_t>(kKc);
  const size_t mr = static_cast<size_t>(k.mr), nr = static_cast<size_t>(k.nr);
  return (M + mr - 1) / mr * mr * kc + kc * nr;
}

const CpuKernels& generic_kernels();
const CpuKernels* avx2_kernels();    // null when not compiled in
const CpuKernels* avx512_kernels();  // null when not compiled in

}  // namespace grape::cpu
