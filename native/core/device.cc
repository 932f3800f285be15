#include "device.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include "cpu/cpu_backend.h"
#include "error.h"
#ifdef GRAPE_WITH_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace grape {

namespace {

std::mutex g_mutex;
std::shared_ptr<Backend> g_cpu;
std::map<int, std::shared_ptr<Backend>> g_cuda;

std::shared_ptr<Backend> cpu_backend() {
  if (!g_cpu) g_cpu = std::make_shared<cpu::CpuBackend>(cpu::select_kernels(), cpu::default_cpu_threads());
  return g_cpu;
}

std::shared_ptr<Backend> cuda_backend(int device) {
#ifdef GRAPE_WITH_CUDA
  auto it = g_cuda.find(device);
  if (it != g_cuda.end()) return it->second;
  std::shared_ptr<Backend> b = cuda::make_backend(device);
  g_cuda[device] = b;
  return b;
#else
  (void)device;
  fail(ErrorCode::kDevice,
       "CUDA was requested but this build of the addon has no CUDA (nvcc was not found at build time)");
#endif
}

// "cuda" → 0, "cuda:N" → N, anything else → -1.
int parse_cuda(const std::string& s) {
  if (s == "cuda") return 0;
  if (s.rfind("cuda:", 0) != 0 || s.size() == 5 || s.size() > 8) return -1;
  for (size_t i = 5; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return -1;
  return std::atoi(s.c_str() + 5);
}

}  // namespace

std::shared_ptr<Backend> acquire_backend(const std::string& requested, DeviceReport* report) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::string want = requested;
  std::string source = "requested";
  if (want.empty()) {
    const char* env = std::getenv("GRAPE_DEVICE");
    want = env && *env ? env : "auto";
    source = env && *env ? "forced by GRAPE_DEVICE" : "auto";
  }
  std::shared_ptr<Backend> backend;
  std::string reason;
  if (want == "cpu") {
    backend = cpu_backend();
    reason = source;
  } else if (const int device = parse_cuda(want); device >= 0) {
    backend = cuda_backend(device);
    reason = source;
  } else if (want == "auto") {
#ifdef GRAPE_WITH_CUDA
    const cuda::DeviceProbe probe = cuda::probe();
    if (probe.count > 0) {
      backend = cuda_backend(0);
      reason = "auto: CUDA device found";
    } else {
      backend = cpu_backend();
      reason = "auto: no CUDA device (" + probe.error + ")";
    }
#else
    backend = cpu_backend();
    reason = "auto: addon built without CUDA";
#endif
  } else {
    fail(ErrorCode::kInvalidArgument,
         "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got '" + want + "' (" + source + ")");
  }
  if (report) *report = {want, backend->describe(), reason};
  return backend;
}

BuildInfo build_info() {
  BuildInfo info;
#ifdef GRAPE_WITH_CUDA
  info.cuda_compiled = true;
  info.cuda_architectures = cuda::compiled_architectures();
#else
  info.cuda_compiled = false;
#endif
#if defined(__clang__)
  info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  info.compiler = "gcc " __VERSION__;
#else
  info.compiler = "unknown";
#endif
  info.cpu_isas = "generic";
  if (cpu::avx2_kernels()) info.cpu_isas += " avx2";
  if (cpu::avx512_kernels()) info.cpu_isas += " avx512";
  return info;
}

}  // namespace grape
