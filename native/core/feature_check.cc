#include "feature_check.h"

#include <cmath>
#include <sstream>

#include "error.h"

namespace grape {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "?";
}

void fail_non_finite(const FeatureView& x, size_t index, float value) {
  std::ostringstream msg;
  msg << "features[" << index << "] (step " << index / x.step_elems << ", element " << index % x.step_elems << ") is "
      << (std::isnan(value) ? "NaN" : "infinite") << " (" << dtype_name(x.dtype) << ")";
  fail(ErrorCode::kNonFinite, msg.str());
}

}  // namespace grape
