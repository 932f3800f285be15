#include "errors.h"

namespace grape::addon {

Napi::Error make_error(Napi::Env env, ErrorCode code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, error_code_name(code)));
  return err;
}

}  // namespace grape::addon
