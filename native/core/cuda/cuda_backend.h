// The CUDA backend, built only when nvcc is found (GRAPE_WITH_CUDA). This header has no CUDA
// types, so the rest of the core compiles with a plain C++ compiler.
#pragma once

#include <memory>
#include <string>

#include "../backend.h"

namespace grape::cuda {

struct DeviceProbe {
  int count = 0;
  std::string error;  // why there is no usable device (driver missing, no device, ...)
};

// Never throws: a machine without a driver or GPU reports count 0 and the reason.
DeviceProbe probe();
// Throws kDevice when the device cannot be used.
std::unique_ptr<Backend> make_backend(int device);
// The architectures this build carries code for, e.g. "sm_80 sm_86 sm_89 sm_90 compute_90".
std::string compiled_architectures();

}  // namespace grape::cuda
