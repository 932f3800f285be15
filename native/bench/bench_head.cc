// Native head benchmark without Node: per-step log-likelihood throughput of the score-cpu
// workload (../shared/bench/WORKLOADS.md) on each usable backend, JSON per configuration.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/cpu/cpu_backend.h"
#include "core/device.h"
#include "core/head.h"

namespace {

std::vector<float> lcg_vector(size_t n, uint32_t& seed, float scale) {
  std::vector<float> v(n);
  for (float& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = (static_cast<float>(seed) / 4294967296.0f - 0.5f) * scale;
  }
  return v;
}

double median_ms(const std::function<void()>& fn, int reps) {
  std::vector<double> t;
  fn();  // warm-up
  for (int i = 0; i < reps; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t steps = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  grape::HeadSpec spec;
  spec.kind = grape::HeadKind::kMlp;
  spec.input_dim = 512;
  spec.hidden = {256};
  spec.action_dims = 7;
  spec.bins = 256;
  uint32_t seed = 1;
  std::map<std::string, std::vector<float>> params;
  for (const grape::ParamInfo& p : spec.parameters()) params[p.name] = lcg_vector(p.size, seed, 0.1f);
  std::vector<grape::NamedParameter> named;
  for (const auto& [name, v] : params) named.push_back({name, v.data(), v.size()});
  const std::vector<float> x = lcg_vector(steps * spec.input_dim, seed, 1.0f);
  std::vector<int32_t> tokens(steps * spec.action_dims);
  for (int32_t& t : tokens) t = static_cast<int32_t>((seed = seed * 1664525u + 1013904223u) >> 24);
  std::vector<float> out(steps);

  std::vector<std::pair<std::string, std::shared_ptr<grape::Backend>>> backends;
  for (const grape::cpu::CpuKernels* k : grape::cpu::usable_kernels())
    for (int threads : {1, grape::cpu::default_cpu_threads()})
      backends.push_back({std::string("cpu-") + k->isa, std::make_shared<grape::cpu::CpuBackend>(*k, threads)});
  grape::DeviceReport report;
  std::shared_ptr<grape::Backend> autob = grape::acquire_backend("auto", &report);
  if (autob->kind() == grape::DeviceKind::kCuda) backends.push_back({"cuda", autob});

  for (const auto& [name, backend] : backends) {
    grape::Head head(spec, backend);
    head.set_parameters(named);
    const grape::FeatureView fv{x.data(), grape::DType::kFloat32, steps, spec.step_features()};
    const double ms = median_ms([&] { head.log_likelihood(fv, tokens.data(), out.data(), nullptr); }, 7);
    std::printf(
        "{\"workload\":\"score-cpu-native\",\"backend\":\"%s\",\"device\":\"%s\",\"steps\":%zu,\"ms\":%.2f,"
        "\"steps_per_s\":%.0f,\"gflops\":%.1f}\n",
        name.c_str(), backend->describe().c_str(), steps, ms, steps / ms * 1e3,
        2.0 * steps * (512.0 * 256 + 256.0 * 1792) / ms / 1e6);
  }
  return 0;
}
