// The device interface the head runs on. CPU and CUDA implement the same kernels, one for one,
// so a head's forward pass is the same sequence of calls on either (see head.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "head_spec.h"

namespace grape {

enum class DeviceKind { kCpu, kCuda };

// Features of `steps` rows of `step_elems` elements of `dtype`: host memory as they arrive from JS,
// or a training dataset already in backend memory (`resident`, checked when it was uploaded).
struct FeatureView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  size_t steps = 0;
  size_t step_elems = 0;
  bool resident = false;
};

// Backend memory that lives longer than a call (training data, parameters, optimizer state).
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() = 0;
  virtual size_t bytes() const = 0;
  float* floats() { return static_cast<float*>(data()); }
};

struct AdamWParams {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  float grad_scale = 1.0f;  // applied to the gradient first (norm clipping)
  int64_t step = 1;         // 1-based, for bias correction
};

struct SampleParams {
  float temperature = 1.0f;  // 0: greedy (argmax)
  int top_k = 0;             // 0: all bins
  uint64_t seed = 0;
  uint64_t first_step = 0;  // counter offset, so a step's draw does not depend on batching
};

// A linear layer's parameters in the backend's preferred form (packed panels, device copy).
class LinearWeights {
 public:
  virtual ~LinearWeights() = default;
  int in = 0;
  int out = 0;
};

// Scratch memory of one worker, reused across blocks; pointers are backend memory.
class Workspace {
 public:
  virtual ~Workspace() = default;
  virtual float* floats(int slot, size_t count) = 0;
  virtual int32_t* ints(int slot, size_t count) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceKind kind() const = 0;
  virtual std::string describe() const = 0;

  // W is [out, in] row-major (PyTorch layout), bias [out], in host or backend memory.
  virtual std::unique_ptr<LinearWeights> prepare_linear(const float* w, const float* bias, int out, int in) = 0;

  // Steps per block for this head: the block's activations should stay in cache (CPU) or
  // amortise launches (CUDA).
  virtual size_t block_steps(const HeadSpec& spec) const = 0;
  // Runs fn(block, workspace) for every block; rethrows the first error after all stop.
  virtual void run_blocks(size_t blocks, const std::function<void(size_t, Workspace&)>& fn) = 0;
  // Like run_blocks, for blocks that accumulate into a gradient of `grad_floats` values:
  // fn gets a zeroed accumulator of its own, and the sum over blocks lands in `grad` (backend
  // memory, overwritten). The summation order is fixed, so results do not depend on threads.
  virtual void run_blocks_accumulate(size_t blocks, size_t grad_floats, float* grad,
                                     const std::function<void(size_t, Workspace&, float*)>& fn) = 0;

  // Memory for data that outlives a call; upload/download copy host <-> backend.
  virtual std::unique_ptr<Buffer> allocate(size_t bytes) = 0;
  virtual void upload(void* dst, const void* host, size_t bytes) = 0;
  virtual void download(void* host, const void* src, size_t bytes) = 0;
  // dst = src, both backend memory.
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;

  // Checks (NaN/Inf, naming the element) and converts steps [first, first+count) of x to fp32
  // in backend memory. May return a pointer into x itself (CPU, fp32: zero copy).
  virtual const float* stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) = 0;
  // Resident features of the listed steps (steps[i] indexes x), gathered and converted to fp32.
  virtual const float* gather_features(Workspace& ws, const FeatureView& x, const int32_t* steps, size_t count) = 0;
  // y[i, :] = table[steps[i], :] + bias for rows of `row_floats` values, bias [cols] repeating
  // along each row (row_floats is a multiple of cols). table, bias, y: backend memory; steps: host.
  virtual void gather_rows_add_bias(Workspace& ws, const float* table, size_t row_floats, const int32_t* steps,
                                    size_t count, const float* bias, size_t cols, float* y) = 0;
  virtual const int32_t* stage_tokens(Workspace& ws, const int32_t* host, size_t count) = 0;
  // Where a kernel writes an output destined for host memory; flush_outputs() delivers it.
  virtual float* output_floats(Workspace& ws, int slot, float* host, size_t count) = 0;
  virtual int32_t* output_ints(Workspace& ws, int slot, int32_t* host, size_t count) = 0;
  virtual void flush_outputs(Workspace& ws) = 0;

  // y[rows, out] = x[rows, in] W^T + b, then the epilogue.
  virtual void linear(Workspace& ws, const float* x, size_t rows, const LinearWeights& w, Epilogue ep, float* y) = 0;
  // z is [steps, D, B] logits. dim_logp[s, d] = log_softmax(z[s, d])[tokens[s, d]] (optional),
  // step_logp[s] = sum over d, in order.
  virtual void log_softmax_gather(Workspace& ws, const float* z, size_t steps, int D, int B, const int32_t* tokens,
                                  float* step_logp, float* dim_logp) = 0;
  // Draws tokens from softmax(z / T) restricted to the top-k bins (argmax when T == 0) and
  // reports the untempered log-likelihood of the drawn tokens, like log_softmax_gather.
  virtual void sample(Workspace& ws, const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens,
                      float* step_logp, float* dim_logp) = 0;

  // ---- training kernels (all pointers are backend memory) ----
  // C[M, N] = alpha op(A)[M, K] op(B)[K, N] (+ C when accumulate), row-major with leading
  // dimensions lda, ldb, ldc; op transposes when asked.
  virtual void gemm(Workspace& ws, bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                    const float* A, size_t lda, const float* B, size_t ldb, bool accumulate, float* C, size_t ldc) = 0;
  // post = GELU(pre) for a GELU epilogue.
  virtual void activation(Workspace& ws, const float* pre, size_t n, Epilogue ep, float* post) = 0;
  // grad (dL/d post) becomes dL/d pre, in place.
  virtual void activation_backward(Workspace& ws, const float* pre, size_t n, Epilogue ep, float* grad) = 0;
  // z [steps, D, B] becomes dL/dz = coef[s] * (onehot(token) - softmax(z)), in place, where
  // coef[s] = dL/d logp_s.
  virtual void log_softmax_gather_backward(Workspace& ws, float* z, size_t steps, int D, int B, const int32_t* tokens,
                                           const float* coef) = 0;
  // out[c] += sum over rows of x[r, c].
  virtual void add_column_sums(Workspace& ws, const float* x, size_t rows, size_t cols, float* out) = 0;
  // Sum of squares of x[0, n), accumulated in double.
  virtual double sum_squares(const float* x, size_t n) = 0;
  // Decoupled-weight-decay Adam over n parameters.
  virtual void adamw(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p) = 0;
};

}  // namespace grape
