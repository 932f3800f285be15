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

// Features as they arrive from JS: `steps` rows of `step_elems` elements of `dtype`.
struct FeatureView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  size_t steps = 0;
  size_t step_elems = 0;
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

  // W is [out, in] row-major (PyTorch layout), bias [out].
  virtual std::unique_ptr<LinearWeights> prepare_linear(const float* w, const float* bias, int out, int in) = 0;

  // Steps per block for this head: the block's activations should stay in cache (CPU) or
  // amortise launches (CUDA).
  virtual size_t block_steps(const HeadSpec& spec) const = 0;
  // Runs fn(block, workspace) for every block; rethrows the first error after all stop.
  virtual void run_blocks(size_t blocks, const std::function<void(size_t, Workspace&)>& fn) = 0;

  // Checks (NaN/Inf, naming the element) and converts steps [first, first+count) of x to fp32
  // in backend memory. May return a pointer into x itself (CPU, fp32: zero copy).
  virtual const float* stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) = 0;
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
};

}  // namespace grape
