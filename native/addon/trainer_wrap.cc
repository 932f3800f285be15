#include "trainer_wrap.h"

#include <map>
#include <utility>
#include <vector>

#include "../core/device.h"
#include "convert.h"
#include "errors.h"
#include "promise_worker.h"

namespace grape::addon {

namespace {

using ParamMap = std::map<std::string, std::vector<float>>;

TrainConfig parse_config(Napi::Env env, const Napi::Value& value) {
  const Napi::Object o = object_or_empty(env, value, "trainer config");
  const char* where = "trainer config";
  TrainConfig c;
  c.objective.objective = parse_objective(get_string(o.Get("objective"), "", "trainer config.objective"));
  const std::string trainable = get_string(o.Get("trainable"), "lora", "trainer config.trainable");
  if (trainable == "lora")
    c.trainable = Trainable::kLora;
  else if (trainable == "full")
    c.trainable = Trainable::kFull;
  else
    fail(ErrorCode::kInvalidArgument, "trainer config.trainable must be 'lora' or 'full', got '" + trainable + "'");
  c.objective.beta = get_number(o, "beta", 0.1, where);
  c.objective.nll_weight = get_number(o, "nllWeight", 1.0, where);
  c.adam.lr = static_cast<float>(get_number(o, "lr", 1e-3, where));
  c.adam.beta1 = static_cast<float>(get_number(o, "beta1", 0.9, where));
  c.adam.beta2 = static_cast<float>(get_number(o, "beta2", 0.999, where));
  c.adam.eps = static_cast<float>(get_number(o, "eps", 1e-8, where));
  c.adam.weight_decay = static_cast<float>(get_number(o, "weightDecay", 0.0, where));
  c.max_grad_norm = get_number(o, "maxGradNorm", 1.0, where);
  for (const char* key : {"beta1", "beta2"}) {
    const double v = get_number(o, key, 0.9, where);
    if (v < 0.0 || v >= 1.0)
      fail(ErrorCode::kInvalidArgument, std::string("trainer config.") + key + " must be in [0, 1)");
  }
  if (c.objective.nll_weight < 0.0) fail(ErrorCode::kInvalidArgument, "trainer config.nllWeight must be >= 0");
  if (c.adam.weight_decay < 0.0f) fail(ErrorCode::kInvalidArgument, "trainer config.weightDecay must be >= 0");
  if (!(c.adam.eps > 0.0f)) fail(ErrorCode::kInvalidArgument, "trainer config.eps must be > 0");
  return c;
}

ParamMap parse_params(const Napi::Value& value, const char* what) {
  if (!value.IsObject()) fail(ErrorCode::kInvalidArgument, std::string(what) + " must be an object of Float32Arrays");
  const Napi::Object obj = value.As<Napi::Object>();
  const Napi::Array names = obj.GetPropertyNames();
  ParamMap out;
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const Napi::Value v = obj.Get(name);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(ErrorCode::kInvalidArgument, std::string(what) + " '" + name + "' must be a Float32Array");
    const auto arr = v.As<Napi::Float32Array>();
    out[name].assign(arr.Data(), arr.Data() + arr.ElementLength());
  }
  return out;
}

Napi::Object params_to_js(Napi::Env env, const ParamMap& params) {
  Napi::Object out = Napi::Object::New(env);
  for (const auto& [name, values] : params) {
    Napi::Float32Array arr = Napi::Float32Array::New(env, values.size());
    std::copy(values.begin(), values.end(), arr.Data());
    out.Set(name, arr);
  }
  return out;
}

// { pairs: Int32Array [chosen, rejected, ...] } or { trajectories: Int32Array }
TrainBatch parse_batch(Napi::Env env, const Napi::Value& value) {
  const Napi::Object o = object_or_empty(env, value, "batch");
  TrainBatch batch;
  const Napi::Value pairs = o.Get("pairs"), trajectories = o.Get("trajectories");
  if (!pairs.IsUndefined()) {
    if (!pairs.IsTypedArray() || pairs.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      fail(ErrorCode::kInvalidArgument, "batch.pairs must be an Int32Array of (chosen, rejected) trajectory indices");
    const auto arr = pairs.As<Napi::Int32Array>();
    if (arr.ElementLength() % 2 != 0)
      fail(ErrorCode::kShapeMismatch, "batch.pairs has an odd length " + std::to_string(arr.ElementLength()));
    for (size_t i = 0; i + 1 < arr.ElementLength(); i += 2) batch.pairs.emplace_back(arr[i], arr[i + 1]);
  }
  if (!trajectories.IsUndefined()) {
    if (!trajectories.IsTypedArray() || trajectories.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      fail(ErrorCode::kInvalidArgument, "batch.trajectories must be an Int32Array of trajectory indices");
    const auto arr = trajectories.As<Napi::Int32Array>();
    batch.trajectories.assign(arr.Data(), arr.Data() + arr.ElementLength());
  }
  return batch;
}

Napi::Object metrics_to_js(Napi::Env env, const StepMetrics& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", m.objective.loss);
  o.Set("chosenReward", m.objective.chosen_reward);
  o.Set("rejectedReward", m.objective.rejected_reward);
  o.Set("margin", m.objective.margin);
  o.Set("accuracy", m.objective.accuracy);
  o.Set("nll", m.objective.nll);
  o.Set("comparisons", static_cast<double>(m.objective.comparisons));
  o.Set("gradNorm", m.grad_norm);
  o.Set("steps", static_cast<double>(m.steps));
  return o;
}

}  // namespace

Napi::Function TrainerWrap::Define(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {
                         InstanceAccessor<&TrainerWrap::Device>("device"),
                         InstanceMethod<&TrainerWrap::TrainableNames>("trainableNames"),
                         InstanceMethod<&TrainerWrap::Upload>("upload"),
                         InstanceMethod<&TrainerWrap::ComputeReference>("computeReference"),
                         InstanceMethod<&TrainerWrap::SetReference>("setReference"),
                         InstanceMethod<&TrainerWrap::Step>("step"),
                         InstanceMethod<&TrainerWrap::Evaluate>("evaluate"),
                         InstanceMethod<&TrainerWrap::Gradients>("gradients"),
                         InstanceMethod<&TrainerWrap::GetParameters>("getParameters"),
                         InstanceMethod<&TrainerWrap::GetOptimizerState>("getOptimizerState"),
                         InstanceMethod<&TrainerWrap::SetOptimizerState>("setOptimizerState"),
                         InstanceMethod<&TrainerWrap::Dispose>("dispose"),
                     });
}

// new Trainer(spec, device, config, initialParameters)
TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, [&] {
    const HeadSpec spec = parse_spec(info[0]);
    DeviceReport report;
    std::shared_ptr<Backend> backend = acquire_backend(get_string(info[1], "", "device"), &report);
    const TrainConfig config = parse_config(env, info[2]);
    trainer_ = std::make_shared<Trainer>(spec, std::move(backend), config, parse_params(info[3], "initial parameter"));
    device_ = report.selected;
  });
}

std::shared_ptr<Trainer> TrainerWrap::live(Napi::Env env, const char* method) const {
  if (!trainer_) throw make_error(env, ErrorCode::kDisposed, std::string(method) + ": the trainer was disposed");
  return trainer_;
}

Napi::Value TrainerWrap::Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), device_); }

Napi::Value TrainerWrap::TrainableNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<std::string> names = live(env, "trainableNames")->trainable_names();
  Napi::Array out = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

// upload({ features, dtype, steps, tokens, policyMask, offsets }) → Promise<void>
Napi::Value TrainerWrap::Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "upload");
    const Napi::Object o = object_or_empty(env, info[0], "upload: data");
    TrainingData data;
    data.features = parse_features(o.Get("features"), o.Get("dtype"), o.Get("steps"), trainer->spec().step_features());
    const size_t n = data.features.steps;
    data.tokens = typed_array<int32_t>(o.Get("tokens"), n * trainer->spec().action_dims, "upload: tokens").Data();
    data.policy_mask = typed_array<uint8_t>(o.Get("policyMask"), n, "upload: policyMask").Data();
    const Napi::Value offsets = o.Get("offsets");
    if (!offsets.IsTypedArray() || offsets.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        offsets.As<Napi::TypedArray>().ElementLength() < 2)
      fail(ErrorCode::kInvalidArgument, "upload: offsets must be an Int32Array of trajectory offsets [0, ..., steps]");
    data.offsets = offsets.As<Napi::Int32Array>().Data();
    data.trajectories = offsets.As<Napi::TypedArray>().ElementLength() - 1;
    return PromiseWorker::Start(
        env, "grape.trainer.upload", [trainer, data] { trainer->upload(data); },
        [](Napi::Env e) { return e.Undefined(); }, {o});
  });
}

Napi::Value TrainerWrap::ComputeReference(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Trainer> trainer = live(env, "computeReference");
  auto out = std::make_shared<std::vector<float>>();
  return PromiseWorker::Start(
      env, "grape.trainer.computeReference", [trainer, out] { *out = trainer->compute_reference(); },
      [out](Napi::Env e) -> Napi::Value {
        Napi::Float32Array arr = Napi::Float32Array::New(e, out->size());
        std::copy(out->begin(), out->end(), arr.Data());
        return arr;
      },
      {});
}

Napi::Value TrainerWrap::SetReference(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "setReference");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(ErrorCode::kInvalidArgument, "setReference: expected a Float32Array of per-step log-likelihoods");
    const auto arr = info[0].As<Napi::Float32Array>();
    std::vector<float> ref(arr.Data(), arr.Data() + arr.ElementLength());
    return PromiseWorker::Start(
        env, "grape.trainer.setReference", [trainer, ref] { trainer->set_reference(ref); },
        [](Napi::Env e) { return e.Undefined(); }, {});
  });
}

Napi::Value TrainerWrap::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "step");
    const TrainBatch batch = parse_batch(env, info[0]);
    auto m = std::make_shared<StepMetrics>();
    return PromiseWorker::Start(
        env, "grape.trainer.step", [trainer, batch, m] { *m = trainer->step(batch); },
        [m](Napi::Env e) -> Napi::Value { return metrics_to_js(e, *m); }, {});
  });
}

Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "evaluate");
    const TrainBatch batch = parse_batch(env, info[0]);
    auto m = std::make_shared<StepMetrics>();
    return PromiseWorker::Start(
        env, "grape.trainer.evaluate", [trainer, batch, m] { *m = trainer->evaluate(batch); },
        [m](Napi::Env e) -> Napi::Value { return metrics_to_js(e, *m); }, {});
  });
}

Napi::Value TrainerWrap::Gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "gradients");
    const TrainBatch batch = parse_batch(env, info[0]);
    auto m = std::make_shared<StepMetrics>();
    auto grads = std::make_shared<ParamMap>();
    return PromiseWorker::Start(
        env, "grape.trainer.gradients", [trainer, batch, m, grads] { *m = trainer->gradients(batch, grads.get()); },
        [m, grads](Napi::Env e) -> Napi::Value {
          Napi::Object out = Napi::Object::New(e);
          out.Set("metrics", metrics_to_js(e, *m));
          out.Set("gradients", params_to_js(e, *grads));
          return out;
        },
        {});
  });
}

Napi::Value TrainerWrap::GetParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Trainer> trainer = live(env, "getParameters");
  auto params = std::make_shared<ParamMap>();
  return PromiseWorker::Start(
      env, "grape.trainer.getParameters", [trainer, params] { *params = trainer->parameters(); },
      [params](Napi::Env e) -> Napi::Value { return params_to_js(e, *params); }, {});
}

Napi::Value TrainerWrap::GetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<Trainer> trainer = live(env, "getOptimizerState");
  auto state = std::make_shared<std::pair<std::vector<float>, std::vector<float>>>();
  auto step = std::make_shared<int64_t>(0);
  return PromiseWorker::Start(
      env, "grape.trainer.getOptimizerState",
      [trainer, state, step] {
        *state = trainer->optimizer_moments();
        *step = trainer->optimizer_step();
      },
      [state, step](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("step", static_cast<double>(*step));
        Napi::Float32Array m = Napi::Float32Array::New(e, state->first.size());
        std::copy(state->first.begin(), state->first.end(), m.Data());
        Napi::Float32Array v = Napi::Float32Array::New(e, state->second.size());
        std::copy(state->second.begin(), state->second.end(), v.Data());
        o.Set("m", m);
        o.Set("v", v);
        return o;
      },
      {});
}

// setOptimizerState({ step, m, v }) → Promise<void>
Napi::Value TrainerWrap::SetOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::shared_ptr<Trainer> trainer = live(env, "setOptimizerState");
    const Napi::Object o = object_or_empty(env, info[0], "setOptimizerState: state");
    const int64_t step = get_integer(o, "step", -1, 0, int64_t{1} << 53, "setOptimizerState: state");
    auto vec = [&](const char* key) {
      const Napi::Value v = o.Get(key);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        fail(ErrorCode::kInvalidArgument, std::string("setOptimizerState: state.") + key + " must be a Float32Array");
      const auto arr = v.As<Napi::Float32Array>();
      return std::vector<float>(arr.Data(), arr.Data() + arr.ElementLength());
    };
    std::vector<float> m = vec("m"), v = vec("v");
    return PromiseWorker::Start(
        env, "grape.trainer.setOptimizerState", [trainer, step, m, v] { trainer->set_optimizer_state(step, m, v); },
        [](Napi::Env e) { return e.Undefined(); }, {});
  });
}

Napi::Value TrainerWrap::Dispose(const Napi::CallbackInfo& info) {
  trainer_.reset();
  return info.Env().Undefined();
}

}  // namespace grape::addon
