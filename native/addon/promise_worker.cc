#include "promise_worker.h"

#include <new>

#include "errors.h"

namespace grape::addon {

PromiseWorker::PromiseWorker(Napi::Env env, const char* name, Work work, Result result)
    : Napi::AsyncWorker(env, name),
      deferred_(Napi::Promise::Deferred::New(env)),
      work_(std::move(work)),
      result_(std::move(result)) {}

Napi::Promise PromiseWorker::Start(Napi::Env env, const char* name, Work work, Result result,
                                   const std::vector<Napi::Value>& pinned) {
  auto* worker = new PromiseWorker(env, name, std::move(work), std::move(result));
  for (const Napi::Value& v : pinned) worker->pinned_.push_back(Napi::Persistent(v));
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();
  return promise;
}

void PromiseWorker::Execute() {
  // Text is captured here, on the worker thread; OnOK builds the JS error from it.
  try {
    work_();
  } catch (const Error& e) {
    failed_ = true;
    code_ = e.code();
    message_ = e.what();
  } catch (const std::bad_alloc&) {
    failed_ = true;
    code_ = ErrorCode::kInternal;
    message_ = "out of memory";
  } catch (const std::exception& e) {
    failed_ = true;
    code_ = ErrorCode::kInternal;
    message_ = e.what();
  }
}

void PromiseWorker::OnOK() {
  Napi::Env env = Env();
  if (failed_) {
    deferred_.Reject(make_error(env, code_, message_).Value());
    return;
  }
  try {
    deferred_.Resolve(result_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void PromiseWorker::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

}  // namespace grape::addon
