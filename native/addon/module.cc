// Module entry: the Head class, build facts and device selection.
#include <napi.h>

#include "../core/device.h"
#include "convert.h"
#include "errors.h"
#include "head_wrap.h"
#include "trainer_wrap.h"

namespace grape::addon {

namespace {

Napi::Value BuildInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BuildInfo b = build_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("builder", GRAPE_BUILDER);
  o.Set("cuda", b.cuda_compiled);
  o.Set("cudaArchitectures", b.cuda_architectures);
  o.Set("compiler", b.compiler);
  o.Set("cpuKernels", b.cpu_isas);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

// selectDevice(requested?) → { requested, selected, reason }
Napi::Value SelectDeviceJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    DeviceReport r;
    acquire_backend(get_string(info[0], "", "device"), &r);
    Napi::Object o = Napi::Object::New(env);
    o.Set("requested", r.requested);
    o.Set("selected", r.selected);
    o.Set("reason", r.reason);
    return o;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Head", HeadWrap::Define(env));
  exports.Set("Trainer", TrainerWrap::Define(env));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfoJs, "buildInfo"));
  exports.Set("selectDevice", Napi::Function::New(env, SelectDeviceJs, "selectDevice"));
  return exports;
}

}  // namespace

NODE_API_MODULE(grape, Init)

}  // namespace grape::addon
