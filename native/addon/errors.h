// JS errors from core errors: an Error whose `code` is the GRAPE_* name.
#pragma once

#include <napi.h>

#include <string>

#include "../core/error.h"

namespace grape::addon {

Napi::Error make_error(Napi::Env env, ErrorCode code, const std::string& message);
inline Napi::Error make_error(Napi::Env env, const Error& e) { return make_error(env, e.code(), e.what()); }

// Runs fn, turning core errors into JS exceptions (fn runs on the JS thread).
template <class F>
auto guarded(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw make_error(env, e);
  } catch (const std::bad_alloc&) {
    throw make_error(env, ErrorCode::kInternal, "out of memory");
  }
}

}  // namespace grape::addon
