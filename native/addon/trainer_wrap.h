// JS class `Trainer`: owns a core Trainer; every heavy method returns a Promise.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "../core/trainer.h"

namespace grape::addon {

class TrainerWrap final : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  std::shared_ptr<Trainer> live(Napi::Env env, const char* method) const;

  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value TrainableNames(const Napi::CallbackInfo& info);
  Napi::Value Upload(const Napi::CallbackInfo& info);
  Napi::Value ComputeReference(const Napi::CallbackInfo& info);
  Napi::Value SetReference(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Gradients(const Napi::CallbackInfo& info);
  Napi::Value GetParameters(const Napi::CallbackInfo& info);
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<Trainer> trainer_;
  std::string device_;
};

}  // namespace grape::addon
