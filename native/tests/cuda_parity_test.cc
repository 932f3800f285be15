// CPU vs CUDA parity for every head operation. Exits 77 (ctest: skipped) with the reason when
// this build has no CUDA or the machine has no CUDA device.
#include <cstdio>
#include <cstring>

#include "check.h"
#include "core/cpu/cpu_backend.h"
#include "core/head.h"
#include "reference.h"
#ifdef GRAPE_WITH_CUDA
#include "core/cuda/cuda_backend.h"
#endif

#ifdef GRAPE_WITH_CUDA
namespace {

std::shared_ptr<grape::Backend> g_cuda;

struct Pair {
  std::unique_ptr<grape::Head> cpu;
  std::unique_ptr<grape::Head> gpu;
};

Pair make_pair(const grape::HeadSpec& spec, uint32_t seed) {
  Pair p{std::make_unique<grape::Head>(spec, std::make_shared<grape::cpu::CpuBackend>(grape::cpu::select_kernels(), 2)),
         std::make_unique<grape::Head>(spec, g_cuda)};
  std::map<std::string, std::vector<float>> params;
  for (const grape::ParamInfo& info : spec.parameters())
    params[info.name] = reference::random_vector(info.size, seed++, 0.3f);
  std::vector<grape::NamedParameter> named;
  for (const auto& [name, v] : params) named.push_back({name, v.data(), v.size()});
  p.cpu->set_parameters(named);
  p.gpu->set_parameters(named);
  return p;
}

void compare_head(const grape::HeadSpec& spec, size_t steps) {
  Pair heads = make_pair(spec, 3);
  const auto x = reference::random_vector(steps * spec.step_features(), 9, 1.0f);
  const grape::FeatureView fv{x.data(), grape::DType::kFloat32, steps, spec.step_features()};
  const size_t D = spec.action_dims, B = spec.bins;
  std::vector<float> lc(steps * D * B), lg(lc.size());
  heads.cpu->logits(fv, lc.data());
  heads.gpu->logits(fv, lg.data());
  double worst = 0.0;
  for (size_t i = 0; i < lc.size(); ++i) worst = std::max(worst, std::fabs(lc[i] - lg[i]) / (1.0 + std::fabs(lc[i])));
  std::printf("  %s steps=%zu logits max rel diff %.3g\n", spec.describe().c_str(), steps, worst);
  CHECK(worst < 1e-4);

  std::vector<int32_t> tok(steps * D);
  for (size_t i = 0; i < tok.size(); ++i) tok[i] = static_cast<int32_t>((i * 13) % B);
  std::vector<float> sc(steps), sg(steps), dc(steps * D), dg(steps * D);
  heads.cpu->log_likelihood(fv, tok.data(), sc.data(), dc.data());
  heads.gpu->log_likelihood(fv, tok.data(), sg.data(), dg.data());
  worst = 0.0;
  for (size_t i = 0; i < steps; ++i) worst = std::max(worst, std::fabs(sc[i] - sg[i]) / (1.0 + std::fabs(sc[i])));
  std::printf("  logLikelihood max rel diff %.3g\n", worst);
  CHECK(worst < 1e-4);

  grape::SampleParams p;
  for (float temperature : {0.0f, 1.0f, 0.7f}) {
    for (int top_k : {0, 5}) {
      p.temperature = temperature;
      p.top_k = top_k;
      p.seed = 1234;
      std::vector<int32_t> tc(steps * D), tg(steps * D);
      heads.cpu->act(fv, p, tc.data(), sc.data(), nullptr);
      heads.gpu->act(fv, p, tg.data(), sg.data(), nullptr);
      size_t same = 0;
      for (size_t i = 0; i < tc.size(); ++i) same += tc[i] == tg[i];
      const double agree = static_cast<double>(same) / tc.size();
      std::printf("  act T=%.1f top_k=%d token agreement %.5f\n", temperature, top_k, agree);
      // Draws may differ only where a float rounding moves a CDF boundary past the draw.
      CHECK(temperature == 0.0f ? agree == 1.0 : agree > 0.999);
    }
  }
}

}  // namespace

TEST(mlp_parity) {
  grape::HeadSpec spec;
  spec.kind = grape::HeadKind::kMlp;
  spec.input_dim = 512;
  spec.hidden = {256};
  spec.action_dims = 7;
  spec.bins = 256;
  compare_head(spec, 1000);
  spec.lora = {8, 16.0f};
  spec.bins = 100;
  compare_head(spec, 33);
}

TEST(token_linear_parity) {
  grape::HeadSpec spec;
  spec.kind = grape::HeadKind::kTokenLinear;
  spec.input_dim = 512;
  spec.action_dims = 7;
  spec.bins = 256;
  compare_head(spec, 777);
}

int main() {
  const grape::cuda::DeviceProbe probe = grape::cuda::probe();
  if (probe.count == 0) {
    std::printf("SKIP cuda_parity_test: no CUDA device (%s)\n", probe.error.c_str());
    return 77;
  }
  g_cuda = grape::cuda::make_backend(0);
  std::printf("cuda_parity_test on %s\n", g_cuda->describe().c_str());
  return check::run_all();
}
#else
int main() {
  std::printf("SKIP cuda_parity_test: this build has no CUDA (nvcc was not found at configure time)\n");
  return 77;
}
#endif
