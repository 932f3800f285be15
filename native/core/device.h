// Run-time device choice: CUDA when a device exists, else CPU; GRAPE_DEVICE or an explicit
// request forces one. Backends are shared per process (one thread pool, one CUDA context).
#pragma once

#include <memory>
#include <string>

#include "backend.h"

namespace grape {

struct DeviceReport {
  std::string requested;  // "auto", "cpu", "cuda", "cuda:1" (after GRAPE_DEVICE)
  std::string selected;   // the backend's own description, e.g. "cpu (avx512, 2 threads)"
  std::string reason;     // why this one: "no CUDA device (cudaErrorNoDevice: ...)", "forced by GRAPE_DEVICE", ...
};

// `requested` is "", "auto", "cpu", "cuda" or "cuda:N"; "" defers to GRAPE_DEVICE, then auto.
std::shared_ptr<Backend> acquire_backend(const std::string& requested, DeviceReport* report);

struct BuildInfo {
  bool cuda_compiled;
  std::string cuda_architectures;  // empty without CUDA
  std::string compiler;
  std::string cpu_isas;  // kernels compiled in, e.g. "generic avx2 avx512"
};
BuildInfo build_info();

}  // namespace grape
