// Runs work on the libuv pool and settles a Promise: the only way heavy calls leave the JS thread.
// Typed arrays the work reads or writes are pinned by references until it settles.
#pragma once

#include <napi.h>

#include <functional>
#include <string>
#include <vector>

#include "../core/error.h"

namespace grape::addon {

class PromiseWorker final : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Result = std::function<Napi::Value(Napi::Env)>;

  // Queues the work and returns its promise.
  static Napi::Promise Start(Napi::Env env, const char* name, Work work, Result result,
                             const std::vector<Napi::Value>& pinned);

 private:
  PromiseWorker(Napi::Env env, const char* name, Work work, Result result);
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

  Napi::Promise::Deferred deferred_;
  Work work_;
  Result result_;
  std::vector<Napi::Reference<Napi::Value>> pinned_;
  ErrorCode code_ = ErrorCode::kInternal;
  std::string message_;
  bool failed_ = false;
};

}  // namespace grape::addon
