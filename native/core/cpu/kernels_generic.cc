// Baseline kernels: no instruction-set flags, so they run on any x86-64 or ARM CPU.
#include "kernels.inl"

namespace grape::cpu {

const CpuKernels& generic_kernels() {
  static const CpuKernels kernels = Impl<ScalarVec, 4, 8>::table("generic");
  return kernels;
}

}  // namespace grape::cpu
