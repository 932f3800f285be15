// Typed errors of the core. The addon maps `code` onto the JS error's `code`.
#pragma once

#include <stdexcept>
#include <string>

namespace grape {

enum class ErrorCode {
  kInvalidArgument,  // wrong type, missing field, bad option value
  kShapeMismatch,    // array length or dimension disagrees with the spec
  kOutOfRange,       // token id >= B, negative index, bad segment offsets
  kNonFinite,        // NaN or Inf in an input
  kDisposed,         // handle used after dispose()
  kDevice,           // device selection or a device call failed
  kInternal,
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace grape
