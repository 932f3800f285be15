// Built with -mavx512f (plus AVX2/FMA/F16C); used only when cpuid says so.
#include "kernels.inl"

namespace grape::cpu {

const CpuKernels* avx512_kernels() {
#if defined(__AVX512F__)
  static const CpuKernels kernels = Impl<Avx512Vec, 12, 2>::table("avx512");
  return &kernels;
#else
  return nullptr;
#endif
}

}  // namespace grape::cpu
