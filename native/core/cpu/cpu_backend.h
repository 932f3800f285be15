#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "../backend.h"
#include "kernels.h"
#include "thread_pool.h"

namespace grape::cpu {

// Kernel tables compiled in and supported by this CPU, narrowest first (generic is always there).
std::vector<const CpuKernels*> usable_kernels();

// Picks the kernel table: GRAPE_CPU_ISA=generic|avx2|avx512 forces one (an error if this CPU
// or build lacks it); otherwise the widest the CPU supports.
const CpuKernels& select_kernels();

class CpuBackend final : public Backend {
 public:
  CpuBackend(const CpuKernels& kernels, int threads);
  DeviceKind kind() const override { return DeviceKind::kCpu; }
  std::string describe() const override;
  const CpuKernels& kernels() const { return kernels_; }
  int threads() const { return pool_.threads(); }

  std::unique_ptr<LinearWeights> prepare_linear(const float* w, const float* bias, int out, int in) override;
  size_t block_steps(const HeadSpec& spec) const override;
  void run_blocks(size_t blocks, const std::function<void(size_t, Workspace&)>& fn) override;
  void run_blocks_accumulate(size_t blocks, size_t grad_floats, float* grad,
                             const std::function<void(size_t, Workspace&, float*)>& fn) override;
  std::unique_ptr<Buffer> allocate(size_t bytes) override;
  void upload(void* dst, const void* host, size_t bytes) override;
  void download(void* host, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  const float* stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) override;
  const float* gather_features(Workspace& ws, const FeatureView& x, const int32_t* steps, size_t count) override;
  void gather_rows_add_bias(Workspace& ws, const float* table, size_t row_floats, const int32_t* steps, size_t count,
                            const float* bias, size_t cols, float* y) override;
  const int32_t* stage_tokens(Workspace& ws, const int32_t* host, size_t count) override;
  float* output_floats(Workspace& ws, int slot, float* host, size_t count) override;
  int32_t* output_ints(Workspace& ws, int slot, int32_t* host, size_t count) override;
  void flush_outputs(Workspace& ws) override;
  void linear(Workspace& ws, const float* x, size_t rows, const LinearWeights& w, Epilogue ep, float* y) override;
  void log_softmax_gather(Workspace& ws, const float* z, size_t steps, int D, int B, const int32_t* tokens,
                          float* step_logp, float* dim_logp) override;
  void sample(Workspace& ws, const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens,
              float* step_logp, float* dim_logp) override;
  void gemm(Workspace& ws, bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha, const float* A,
            size_t lda, const float* B, size_t ldb, bool accumulate, float* C, size_t ldc) override;
  void activation(Workspace& ws, const float* pre, size_t n, Epilogue ep, float* post) override;
  void activation_backward(Workspace& ws, const float* pre, size_t n, Epilogue ep, float* grad) override;
  void log_softmax_gather_backward(Workspace& ws, float* z, size_t steps, int D, int B, const int32_t* tokens,
                                   const float* coef) override;
  void add_column_sums(Workspace& ws, const float* x, size_t rows, size_t cols, float* out) override;
  double sum_squares(const float* x, size_t n) override;
  void adamw(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p) override;

 private:
  const CpuKernels& kernels_;
  ThreadPool pool_;
  std::mutex accumulate_mutex_;  // one accumulating run at a time: the lane buffers are shared
  std::vector<std::vector<float>> lane_grads_;
};

// Threads for the CPU backend: GRAPE_THREADS if set, else the hardware's count.
int default_cpu_threads();

}  // namespace grape::cpu
