#include "error.h"

namespace grape {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "GRAPE_INVALID_ARGUMENT";
    case ErrorCode::kShapeMismatch:
      return "GRAPE_SHAPE_MISMATCH";
    case ErrorCode::kOutOfRange:
      return "GRAPE_OUT_OF_RANGE";
    case ErrorCode::kNonFinite:
      return "GRAPE_NON_FINITE";
    case ErrorCode::kDisposed:
      return "GRAPE_DISPOSED";
    case ErrorCode::kDevice:
      return "GRAPE_DEVICE";
    case ErrorCode::kInternal:
      return "GRAPE_INTERNAL";
  }
  return "GRAPE_INTERNAL";
}

}  // namespace grape
