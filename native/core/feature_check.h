// Reporting bad feature values the same way on every backend.
#pragma once

#include <cstddef>

#include "backend.h"

namespace grape {

// Throws kNonFinite naming the element (flat index, step and element within the step).
[[noreturn]] void fail_non_finite(const FeatureView& x, size_t index, float value);

const char* dtype_name(DType t);

}  // namespace grape
