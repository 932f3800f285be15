// Built with -mavx2 -mfma -mf16c (see CMakeLists.txt / binding.gyp); used only when cpuid says so.
#include "kernels.inl"

namespace grape::cpu {

const CpuKernels* avx2_kernels() {
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
  static const CpuKernels kernels = Impl<Avx2Vec, 6, 2>::table("avx2");
  return &kernels;
#else
  return nullptr;
#endif
}

}  // namespace grape::cpu
