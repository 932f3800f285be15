// JS class `Head`: owns a core Head; every heavy method returns a Promise.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "../core/head.h"

namespace grape::addon {

class HeadWrap final : public Napi::ObjectWrap<HeadWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit HeadWrap(const Napi::CallbackInfo& info);

 private:
  // The live head, or a GRAPE_DISPOSED error.
  std::shared_ptr<Head> live(Napi::Env env, const char* method) const;

  Napi::Value Spec(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value DeviceReason(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  Napi::Value ParameterInfo(const Napi::CallbackInfo& info);
  Napi::Value SetParameters(const Napi::CallbackInfo& info);
  Napi::Value GetParameters(const Napi::CallbackInfo& info);
  Napi::Value Logits(const Napi::CallbackInfo& info);
  Napi::Value LogLikelihood(const Napi::CallbackInfo& info);
  Napi::Value Act(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<Head> head_;
  std::string device_;
  std::string device_reason_;
};

}  // namespace grape::addon
