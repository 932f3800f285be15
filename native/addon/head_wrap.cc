#include "head_wrap.h"

#include <map>
#include <utility>
#include <vector>

#include "../core/device.h"
#include "convert.h"
#include "errors.h"
#include "promise_worker.h"

namespace grape::addon {

namespace {

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

}  // namespace

Napi::Function HeadWrap::Define(Napi::Env env) {
  return DefineClass(env, "Head",
                     {
                         InstanceAccessor<&HeadWrap::Spec>("spec"),
                         InstanceAccessor<&HeadWrap::Device>("device"),
                         InstanceAccessor<&HeadWrap::DeviceReason>("deviceReason"),
                         InstanceAccessor<&HeadWrap::Disposed>("disposed"),
                         InstanceMethod<&HeadWrap::ParameterInfo>("parameterInfo"),
                         InstanceMethod<&HeadWrap::SetParameters>("setParameters"),
                         InstanceMethod<&HeadWrap::GetParameters>("getParameters"),
                         InstanceMethod<&HeadWrap::Logits>("logits"),
                         InstanceMethod<&HeadWrap::LogLikelihood>("logLikelihood"),
                         InstanceMethod<&HeadWrap::Act>("act"),
                         InstanceMethod<&HeadWrap::Dispose>("dispose"),
                     });
}

// new Head(spec, device?)
HeadWrap::HeadWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HeadWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    const HeadSpec spec = parse_spec(info[0]);
    const std::string device = get_string(info[1], "", "device");
    DeviceReport report;
    std::shared_ptr<Backend> backend = acquire_backend(device, &report);
    head_ = std::make_shared<Head>(spec, std::move(backend));
    device_ = report.selected;
    device_reason_ = report.reason;
  });
}

std::shared_ptr<Head> HeadWrap::live(Napi::Env env, const char* method) const {
  if (!head_) throw make_error(env, ErrorCode::kDisposed, std::string(method) + ": the head was disposed");
  return head_;
}

Napi::Value HeadWrap::Spec(const Napi::CallbackInfo& info) {
  return spec_to_js(info.Env(), live(info.Env(), "spec")->spec());
}

Napi::Value HeadWrap::Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }

Napi::Value HeadWrap::DeviceReason(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_reason_);
}

Napi::Value HeadWrap::Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !head_); }

Napi::Value HeadWrap::ParameterInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<ParamInfo> params = live(env, "parameterInfo")->spec().parameters();
  Napi::Array out = Napi::Array::New(env, params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", params[i].name);
    Napi::Array shape = Napi::Array::New(env, params[i].shape.size());
    for (size_t d = 0; d < params[i].shape.size(); ++d)
      shape.Set(static_cast<uint32_t>(d), static_cast<double>(params[i].shape[d]));
    p.Set("shape", shape);
    p.Set("lora", params[i].lora);
    out.Set(static_cast<uint32_t>(i), p);
  }
  return out;
}

// setParameters({ name: Float32Array, ... }) → Promise<void>
Napi::Value HeadWrap::SetParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Head> head = live(env, "setParameters");
    if (!info[0].IsObject()) fail(ErrorCode::kInvalidArgument, "setParameters: expected an object of Float32Arrays");
    const Napi::Object obj = info[0].As<Napi::Object>();
    const Napi::Array names = obj.GetPropertyNames();
    std::vector<NamedParameter> params;
    std::vector<Napi::Value> pinned;
    for (uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      const Napi::Value v = obj.Get(name);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        fail(ErrorCode::kInvalidArgument, "setParameters: parameter '" + name + "' must be a Float32Array");
      const auto arr = v.As<Napi::Float32Array>();
      params.push_back({name, arr.Data(), arr.ElementLength()});
      pinned.push_back(v);
    }
    return PromiseWorker::Start(
        env, "grape.setParameters", [head, params] { head->set_parameters(params); },
        [](Napi::Env e) { return e.Undefined(); }, pinned);
  });
}

// getParameters() → Promise<{ name: Float32Array }>
Napi::Value HeadWrap::GetParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Head> head = live(env, "getParameters");
  auto copy = std::make_shared<std::map<std::string, std::vector<float>>>();
  return PromiseWorker::Start(
      env, "grape.getParameters", [head, copy] { *copy = head->parameters(); },
      [copy](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        for (const auto& [name, values] : *copy) {
          Napi::Float32Array arr = Napi::Float32Array::New(e, values.size());
          std::copy(values.begin(), values.end(), arr.Data());
          out.Set(name, arr);
        }
        return out;
      },
      {});
}

// logits(features, steps, dtype) → Promise<Float32Array [steps, D, B]>
Napi::Value HeadWrap::Logits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Head> head = live(env, "logits");
    const FeatureView x = parse_features(info[0], info[2], info[1], head->spec().step_features());
    const size_t n = x.steps * head->spec().action_dims * head->spec().bins;
    Napi::Float32Array out = Napi::Float32Array::New(env, n);
    float* dst = out.Data();
    return PromiseWorker::Start(
        env, "grape.logits", [head, x, dst] { head->logits(x, dst); },
        [ref = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(out.As<Napi::Value>()))](Napi::Env) {
          return ref->Value();
        },
        {info[0]});
  });
}

// logLikelihood(features, steps, dtype, tokens, { perDim, segments, mask })
//   → Promise<{ steps: Float32Array, dims?: Float32Array, segments?: Float64Array }>
Napi::Value HeadWrap::LogLikelihood(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Head> head = live(env, "logLikelihood");
    const HeadSpec& spec = head->spec();
    const FeatureView x = parse_features(info[0], info[2], info[1], spec.step_features());
    const size_t D = static_cast<size_t>(spec.action_dims);
    const auto tokens = typed_array<int32_t>(info[3], x.steps * D, "tokens");
    const Napi::Object opts = object_or_empty(env, info[4], "logLikelihood: options");
    const bool per_dim = get_bool(opts, "perDim", false, "logLikelihood: options");

    Napi::Object result = Napi::Object::New(env);
    Napi::Float32Array steps = Napi::Float32Array::New(env, x.steps);
    result.Set("steps", steps);
    float* dims = nullptr;
    if (per_dim) {
      Napi::Float32Array d = Napi::Float32Array::New(env, x.steps * D);
      result.Set("dims", d);
      dims = d.Data();
    }
    std::vector<Napi::Value> pinned{info[0], info[3]};
    const int32_t* offsets = nullptr;
    size_t segments = 0;
    double* sums = nullptr;
    const uint8_t* mask = nullptr;
    const Napi::Value seg = opts.Get("segments");
    if (!seg.IsUndefined()) {
      if (!seg.IsTypedArray() || seg.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
          seg.As<Napi::TypedArray>().ElementLength() < 1)
        fail(ErrorCode::kInvalidArgument,
             "logLikelihood: options.segments must be an Int32Array of offsets (length >= 1)");
      const auto s = seg.As<Napi::Int32Array>();
      offsets = s.Data();
      segments = s.ElementLength() - 1;
      Napi::Float64Array out = Napi::Float64Array::New(env, segments);
      result.Set("segments", out);
      sums = out.Data();
      pinned.push_back(seg);
      const Napi::Value m = opts.Get("mask");
      if (!m.IsUndefined()) {
        mask = typed_array<uint8_t>(m, x.steps, "logLikelihood: options.mask").Data();
        pinned.push_back(m);
      }
    } else if (!opts.Get("mask").IsUndefined()) {
      fail(ErrorCode::kInvalidArgument, "logLikelihood: options.mask needs options.segments");
    }
    const int32_t* tok = tokens.Data();
    float* step_out = steps.Data();
    auto ref = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(result.As<Napi::Value>()));
    return PromiseWorker::Start(
        env, "grape.logLikelihood",
        [head, x, tok, step_out, dims, offsets, segments, sums, mask] {
          head->log_likelihood(x, tok, step_out, dims);
          if (offsets) segment_sums(step_out, x.steps, mask, offsets, segments, sums);
        },
        [ref](Napi::Env) { return ref->Value(); }, pinned);
  });
}

// act(features, steps, dtype, { temperature, topK, seed, firstStep, perDim })
//   → Promise<{ tokens: Int32Array, logp: Float32Array, dims?: Float32Array }>
Napi::Value HeadWrap::Act(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Head> head = live(env, "act");
    const HeadSpec& spec = head->spec();
    const FeatureView x = parse_features(info[0], info[2], info[1], spec.step_features());
    const Napi::Object opts = object_or_empty(env, info[3], "act: options");
    SampleParams p;
    p.temperature = static_cast<float>(get_number(opts, "temperature", 1.0, "act: options"));
    p.top_k = static_cast<int>(get_integer(opts, "topK", 0, 0, spec.bins, "act: options"));
    p.seed = static_cast<uint64_t>(get_integer(opts, "seed", 0, 0, kMaxSafeInteger, "act: options"));
    p.first_step = static_cast<uint64_t>(get_integer(opts, "firstStep", 0, 0, kMaxSafeInteger, "act: options"));
    if (p.temperature < 0.0f) fail(ErrorCode::kInvalidArgument, "act: options.temperature must be >= 0 (0 = greedy)");
    const bool per_dim = get_bool(opts, "perDim", false, "act: options");
    const size_t D = static_cast<size_t>(spec.action_dims);

    Napi::Object result = Napi::Object::New(env);
    Napi::Int32Array tokens = Napi::Int32Array::New(env, x.steps * D);
    Napi::Float32Array logp = Napi::Float32Array::New(env, x.steps);
    result.Set("tokens", tokens);
    result.Set("logp", logp);
    float* dims = nullptr;
    if (per_dim) {
      Napi::Float32Array d = Napi::Float32Array::New(env, x.steps * D);
      result.Set("dims", d);
      dims = d.Data();
    }
    int32_t* tok = tokens.Data();
    float* lp = logp.Data();
    auto ref = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(result.As<Napi::Value>()));
    return PromiseWorker::Start(
        env, "grape.act", [head, x, p, tok, lp, dims] { head->act(x, p, tok, lp, dims); },
        [ref](Napi::Env) { return ref->Value(); }, {info[0]});
  });
}

Napi::Value HeadWrap::Dispose(const Napi::CallbackInfo& info) {
  head_.reset();  // in-flight work holds its own reference and finishes first
  return info.Env().Undefined();
}

}  // namespace grape::addon
