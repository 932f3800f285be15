// CPU vs CUDA parity for every head operation. Exits 77 (ctest: skipped) with the reason when
// this build has no CUDA or the machine has no CUDA device.
#include <cstdio>
#include <cstring>

#include "check.h"
#include "core/cpu/cpu_backend.h"
#include "core/head.h"
#include "core/trainer.h"
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

// Trainer gradients and three AdamW steps on CPU and CUDA, fp16 features, every objective.
void compare_trainer(const grape::HeadSpec& spec, grape::Trainable trainable) {
  const size_t steps = 600;
  const std::vector<int32_t> offsets = {0, 150, 300, 420, 600};
  const auto x = reference::random_vector(steps * spec.step_features(), 4, 1.0f);
  std::vector<uint16_t> half(x.size());
  for (size_t i = 0; i < x.size(); ++i) {  // fp16 by truncation is fine: both backends read the same bits
    uint32_t bits;
    std::memcpy(&bits, &x[i], 4);
    const int e = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
    half[i] = e <= 0 ? static_cast<uint16_t>((bits >> 16) & 0x8000)
                     : static_cast<uint16_t>(((bits >> 16) & 0x8000) | (e << 10) | ((bits >> 13) & 0x3ff));
  }
  std::vector<int32_t> tokens(steps * spec.action_dims);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 37) % spec.bins);
  std::vector<uint8_t> mask(steps, 1);
  mask[7] = mask[400] = 0;
  std::map<std::string, std::vector<float>> params;
  uint32_t seed = 3;
  for (const grape::ParamInfo& info : spec.parameters())
    params[info.name] = reference::random_vector(info.size, seed++, 0.1f);
  const grape::TrainingData data{{half.data(), grape::DType::kFloat16, steps, spec.step_features()},
                                 tokens.data(),
                                 mask.data(),
                                 offsets.data(),
                                 4};
  for (grape::Objective o :
       {grape::Objective::kSft, grape::Objective::kTpo, grape::Objective::kTpoNll, grape::Objective::kStepDpo}) {
    grape::TrainConfig c;
    c.objective.objective = o;
    c.trainable = trainable;
    c.adam.lr = 1e-3f;
    grape::Trainer cpu(spec, std::make_shared<grape::cpu::CpuBackend>(grape::cpu::select_kernels(), 2), c, params);
    grape::Trainer gpu(spec, g_cuda, c, params);
    const grape::TrainBatch batch = o == grape::Objective::kSft ? grape::TrainBatch{{0, 1, 3}, {}}
                                                                : grape::TrainBatch{{}, {{0, 1}, {3, 2}, {0, 2}}};
    cpu.upload(data);
    gpu.upload(data);
    const auto rc = cpu.compute_reference(), rg = gpu.compute_reference();
    double worst = 0.0;
    for (size_t i = 0; i < rc.size(); ++i) worst = std::max(worst, std::fabs(rc[i] - rg[i]) / (1.0 + std::fabs(rc[i])));
    std::map<std::string, std::vector<float>> gc, gg;
    const grape::StepMetrics mc = cpu.gradients(batch, &gc), mg = gpu.gradients(batch, &gg);
    double gworst = 0.0;
    for (const auto& [name, v] : gc)
      for (size_t i = 0; i < v.size(); ++i)
        gworst = std::max(gworst, std::fabs(v[i] - gg[name][i]) / (1e-3 + mc.grad_norm));
    for (int i = 0; i < 3; ++i) {
      cpu.step(batch);
      gpu.step(batch);
    }
    double pworst = 0.0;
    const auto pc = cpu.parameters(), pg = gpu.parameters();
    for (const auto& [name, v] : pc)
      for (size_t i = 0; i < v.size(); ++i)
        pworst = std::max(pworst, static_cast<double>(std::fabs(v[i] - pg.at(name)[i])));
    std::printf(
        "  trainer %s %s %s: reference rel %.3g, loss %.6f vs %.6f, grad rel-to-norm %.3g, params after 3 steps %.3g\n",
        spec.describe().c_str(), trainable == grape::Trainable::kLora ? "lora" : "full", grape::objective_name(o),
        worst, mc.objective.loss, mg.objective.loss, gworst, pworst);
    CHECK(worst < 1e-4);
    CHECK(std::fabs(mc.objective.loss - mg.objective.loss) < 1e-4 * (1 + std::fabs(mc.objective.loss)));
    CHECK(gworst < 1e-3);
    CHECK(pworst < 1e-4);
  }
}

}  // namespace

TEST(trainer_parity) {
  grape::HeadSpec mlp;
  mlp.kind = grape::HeadKind::kMlp;
  mlp.input_dim = 64;
  mlp.hidden = {48};
  mlp.action_dims = 7;
  mlp.bins = 256;
  compare_trainer(mlp, grape::Trainable::kFull);
  mlp.lora = {8, 16.0f};
  compare_trainer(mlp, grape::Trainable::kLora);
  grape::HeadSpec tl;
  tl.kind = grape::HeadKind::kTokenLinear;
  tl.input_dim = 96;
  tl.action_dims = 7;
  tl.bins = 256;
  tl.lora = {16, 16.0f};
  compare_trainer(tl, grape::Trainable::kLora);
}

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
