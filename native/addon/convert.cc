#include "convert.h"

#include <cmath>
#include <limits>

#include "../core/error.h"

namespace grape::addon {

namespace {

[[noreturn]] void invalid(const std::string& message) { fail(ErrorCode::kInvalidArgument, message); }

int get_int_field(const Napi::Object& o, const char* key, const char* where) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) invalid(std::string(where) + "." + key + " must be an integer");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != std::floor(d) || d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max())
    invalid(std::string(where) + "." + key + " must be an integer, got " + std::to_string(d));
  return static_cast<int>(d);
}

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array:
      return "Float32Array";
    case napi_uint16_array:
      return "Uint16Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint8_array:
      return "Uint8Array";
    case napi_float64_array:
      return "Float64Array";
    default:
      return "another typed array";
  }
}

template <class T>
constexpr napi_typedarray_type typed_array_type();
template <>
constexpr napi_typedarray_type typed_array_type<float>() {
  return napi_float32_array;
}
template <>
constexpr napi_typedarray_type typed_array_type<int32_t>() {
  return napi_int32_array;
}
template <>
constexpr napi_typedarray_type typed_array_type<uint8_t>() {
  return napi_uint8_array;
}
template <>
constexpr napi_typedarray_type typed_array_type<uint16_t>() {
  return napi_uint16_array;
}

}  // namespace

HeadSpec parse_spec(const Napi::Value& value) {
  if (!value.IsObject()) invalid("spec must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  HeadSpec spec;
  const std::string kind = get_string(o.Get("kind"), "", "spec.kind");
  if (kind == "mlp")
    spec.kind = HeadKind::kMlp;
  else if (kind == "token-linear")
    spec.kind = HeadKind::kTokenLinear;
  else
    invalid("spec.kind must be 'mlp' or 'token-linear', got '" + kind + "'");
  spec.input_dim = get_int_field(o, "inputDim", "spec");
  spec.action_dims = get_int_field(o, "actionDims", "spec");
  spec.bins = get_int_field(o, "bins", "spec");
  const Napi::Value hidden = o.Get("hidden");
  if (!hidden.IsUndefined()) {
    if (!hidden.IsArray()) invalid("spec.hidden must be an array of integers");
    const Napi::Array arr = hidden.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const Napi::Value v = arr.Get(i);
      if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() != std::floor(v.As<Napi::Number>().DoubleValue()))
        invalid("spec.hidden[" + std::to_string(i) + "] must be an integer");
      spec.hidden.push_back(v.As<Napi::Number>().Int32Value());
    }
  }
  const std::string activation = get_string(o.Get("activation"), "gelu_tanh", "spec.activation");
  if (activation == "gelu_tanh")
    spec.activation = Activation::kGeluTanh;
  else if (activation == "gelu")
    spec.activation = Activation::kGeluErf;
  else
    invalid("spec.activation must be 'gelu' or 'gelu_tanh', got '" + activation + "'");
  const Napi::Value lora = o.Get("lora");
  if (!lora.IsUndefined() && !lora.IsNull()) {
    if (!lora.IsObject()) invalid("spec.lora must be an object { rank, alpha }");
    const Napi::Object l = lora.As<Napi::Object>();
    spec.lora.rank = get_int_field(l, "rank", "spec.lora");
    const Napi::Value alpha = l.Get("alpha");
    if (!alpha.IsNumber()) invalid("spec.lora.alpha must be a number");
    spec.lora.alpha = alpha.As<Napi::Number>().FloatValue();
  }
  spec.validate();
  return spec;
}

Napi::Object spec_to_js(Napi::Env env, const HeadSpec& spec) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", head_kind_name(spec.kind));
  o.Set("inputDim", spec.input_dim);
  Napi::Array hidden = Napi::Array::New(env, spec.hidden.size());
  for (size_t i = 0; i < spec.hidden.size(); ++i) hidden.Set(static_cast<uint32_t>(i), spec.hidden[i]);
  o.Set("hidden", hidden);
  o.Set("actionDims", spec.action_dims);
  o.Set("bins", spec.bins);
  o.Set("activation", activation_name(spec.activation));
  if (spec.lora.rank > 0) {
    Napi::Object l = Napi::Object::New(env);
    l.Set("rank", spec.lora.rank);
    l.Set("alpha", spec.lora.alpha);
    o.Set("lora", l);
  }
  return o;
}

FeatureView parse_features(const Napi::Value& array, const Napi::Value& dtype, const Napi::Value& steps,
                           size_t step_elems) {
  if (!array.IsTypedArray()) invalid("features must be a Float32Array or a Uint16Array (float16/bfloat16 bits)");
  const Napi::TypedArray ta = array.As<Napi::TypedArray>();
  FeatureView x;
  const std::string dt = get_string(dtype, "float32", "features dtype");
  if (dt == "float32")
    x.dtype = DType::kFloat32;
  else if (dt == "float16")
    x.dtype = DType::kFloat16;
  else if (dt == "bfloat16")
    x.dtype = DType::kBFloat16;
  else
    invalid("features dtype must be 'float32', 'float16' or 'bfloat16', got '" + dt + "'");
  const napi_typedarray_type want = x.dtype == DType::kFloat32 ? napi_float32_array : napi_uint16_array;
  if (ta.TypedArrayType() != want)
    invalid(std::string("features of dtype ") + dt + " must be a " + typed_array_name(want) + ", got a " +
            typed_array_name(ta.TypedArrayType()));
  if (!steps.IsNumber()) invalid("steps must be an integer >= 0");
  const double s = steps.As<Napi::Number>().DoubleValue();
  if (s < 0 || s != std::floor(s) || s > 1e12) invalid("steps must be an integer >= 0");
  x.steps = static_cast<size_t>(s);
  x.step_elems = step_elems;
  if (ta.ElementLength() != x.steps * step_elems)
    fail(ErrorCode::kShapeMismatch, "features has " + std::to_string(ta.ElementLength()) + " values; expected steps " +
                                        std::to_string(x.steps) + " x " + std::to_string(step_elems) + " = " +
                                        std::to_string(x.steps * step_elems));
  x.data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return x;
}

Napi::Object object_or_empty(Napi::Env env, const Napi::Value& v, const char* where) {
  if (v.IsUndefined() || v.IsNull()) return Napi::Object::New(env);
  if (!v.IsObject()) invalid(std::string(where) + " must be an object");
  return v.As<Napi::Object>();
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback, const char* where) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) invalid(std::string(where) + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

double get_number(const Napi::Object& o, const char* key, double fallback, const char* where) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) invalid(std::string(where) + "." + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) invalid(std::string(where) + "." + key + " must be finite");
  return d;
}

int64_t get_integer(const Napi::Object& o, const char* key, int64_t fallback, int64_t lo, int64_t hi,
                    const char* where) {
  const double d = get_number(o, key, static_cast<double>(fallback), where);
  if (d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    invalid(std::string(where) + "." + key + " must be an integer in [" + std::to_string(lo) + ", " +
            std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

std::string get_string(const Napi::Value& v, const std::string& fallback, const char* where) {
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) invalid(std::string(where) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

template <class T>
Napi::TypedArrayOf<T> typed_array(const Napi::Value& v, size_t length, const char* what) {
  constexpr napi_typedarray_type want = typed_array_type<T>();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want)
    invalid(std::string(what) + " must be a " + typed_array_name(want));
  const auto arr = v.As<Napi::TypedArrayOf<T>>();
  if (arr.ElementLength() != length)
    fail(ErrorCode::kShapeMismatch, std::string(what) + " has " + std::to_string(arr.ElementLength()) +
                                        " values; expected " + std::to_string(length));
  return arr;
}

template Napi::TypedArrayOf<float> typed_array<float>(const Napi::Value&, size_t, const char*);
template Napi::TypedArrayOf<int32_t> typed_array<int32_t>(const Napi::Value&, size_t, const char*);
template Napi::TypedArrayOf<uint8_t> typed_array<uint8_t>(const Napi::Value&, size_t, const char*);

}  // namespace grape::addon
