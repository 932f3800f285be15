#pragma once

#include <memory>
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
  const float* stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) override;
  const int32_t* stage_tokens(Workspace& ws, const int32_t* host, size_t count) override;
  float* output_floats(Workspace& ws, int slot, float* host, size_t count) override;
  int32_t* output_ints(Workspace& ws, int slot, int32_t* host, size_t count) override;
  void flush_outputs(Workspace& ws) override;
  void linear(Workspace& ws, const float* x, size_t rows, const LinearWeights& w, Epilogue ep, float* y) override;
  void log_softmax_gather(Workspace& ws, const float* z, size_t steps, int D, int B, const int32_t* tokens,
                          float* step_logp, float* dim_logp) override;
  void sample(Workspace& ws, const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens,
              float* step_logp, float* dim_logp) override;

 private:
  const CpuKernels& kernels_;
  ThreadPool pool_;
};

// Threads for the CPU backend: GRAPE_THREADS if set, else the hardware's count.
int default_cpu_threads();

}  // namespace grape::cpu
