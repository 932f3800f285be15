// JS values → core types, validating as it goes; every error names the argument or field.
#pragma once

#include <napi.h>

#include <string>

#include "../core/backend.h"
#include "../core/head_spec.h"

namespace grape::addon {

HeadSpec parse_spec(const Napi::Value& value);
Napi::Object spec_to_js(Napi::Env env, const HeadSpec& spec);

// Features: Float32Array (dtype float32) or Uint16Array (float16 / bfloat16), `steps` rows.
FeatureView parse_features(const Napi::Value& array, const Napi::Value& dtype, const Napi::Value& steps,
                           size_t step_elems);

// Option readers for plain objects; `where` prefixes messages ("act: options").
Napi::Object object_or_empty(Napi::Env env, const Napi::Value& v, const char* where);
bool get_bool(const Napi::Object& o, const char* key, bool fallback, const char* where);
double get_number(const Napi::Object& o, const char* key, double fallback, const char* where);
int64_t get_integer(const Napi::Object& o, const char* key, int64_t fallback, int64_t lo, int64_t hi,
                    const char* where);
std::string get_string(const Napi::Value& v, const std::string& fallback, const char* where);

// A typed array of exactly `length` elements; `what` names it in errors.
template <class T>
Napi::TypedArrayOf<T> typed_array(const Napi::Value& v, size_t length, const char* what);

}  // namespace grape::addon
