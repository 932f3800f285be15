// The trainer against an independent double-precision reference: every objective's loss, and
// its gradient by central finite differences, for both head kinds, LoRA and full training.
#include "core/trainer.h"

#include <algorithm>
#include <cstring>

#include "check.h"
#include "core/cpu/cpu_backend.h"
#include "core/error.h"
#include "reference.h"

using grape::ErrorCode;
using grape::HeadKind;
using grape::HeadSpec;
using grape::Objective;
using grape::Trainable;
using ParamMap = std::map<std::string, std::vector<float>>;

namespace {

std::shared_ptr<grape::Backend> cpu(int threads) {
  return std::make_shared<grape::cpu::CpuBackend>(grape::cpu::select_kernels(), threads);
}

struct Data {
  HeadSpec spec;
  std::vector<float> features;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;
  std::vector<int32_t> offsets;
  size_t steps() const { return mask.size(); }
  grape::TrainingData view() const {
    return {{features.data(), grape::DType::kFloat32, steps(), spec.step_features()},
            tokens.data(),
            mask.data(),
            offsets.data(),
            offsets.size() - 1};
  }
};

// Four trajectories (3, 4, 2, 5 steps); steps 1 and 9 are not the policy's (masked out).
Data make_data(const HeadSpec& spec, uint32_t seed) {
  Data d;
  d.spec = spec;
  d.offsets = {0, 3, 7, 9, 14};
  d.features = reference::random_vector(14 * spec.step_features(), seed, 1.0f);
  for (size_t i = 0; i < 14 * static_cast<size_t>(spec.action_dims); ++i)
    d.tokens.push_back(static_cast<int32_t>((i * 5 + seed) % spec.bins));
  d.mask.assign(14, 1);
  d.mask[1] = 0;
  d.mask[9] = 0;
  return d;
}

ParamMap random_params(const HeadSpec& spec, uint32_t seed, float scale = 0.5f) {
  ParamMap p;
  for (const grape::ParamInfo& info : spec.parameters())
    p[info.name] = reference::random_vector(info.size, seed++, scale);
  return p;
}

grape::TrainConfig config(Objective o, Trainable t) {
  grape::TrainConfig c;
  c.objective.objective = o;
  c.objective.beta = 0.7;
  c.objective.nll_weight = 0.3;
  c.trainable = t;
  c.adam.lr = 0.05f;
  c.max_grad_norm = 0.0;
  return c;
}

const grape::TrainBatch kPairs{{}, {{0, 1}, {2, 1}, {3, 0}}};
const grape::TrainBatch kTrajectories{{0, 2, 3}, {}};

// ---- the independent reference ----

template <class T>
std::vector<double> reference_logp(const Data& d, const std::map<std::string, std::vector<T>>& p) {
  const auto z = reference::head_logits(d.spec, p, d.features, d.steps());
  const int D = d.spec.action_dims, B = d.spec.bins;
  std::vector<double> lp(d.steps(), 0.0);
  for (size_t s = 0; s < d.steps(); ++s)
    for (int d2 = 0; d2 < D; ++d2)
      lp[s] += reference::log_softmax_at(z.data() + (s * D + d2) * B, B, d.tokens[s * D + d2]);
  return lp;
}

std::vector<size_t> policy_steps(const Data& d, int t) {
  std::vector<size_t> out;
  for (int32_t i = d.offsets[t]; i < d.offsets[t + 1]; ++i)
    if (d.mask[i]) out.push_back(static_cast<size_t>(i));
  return out;
}

double log_sigmoid(double m) { return -std::log1p(std::exp(-m)); }

template <class T>
double reference_loss(const Data& d, const std::map<std::string, std::vector<T>>& p, const std::vector<double>& ref,
                      const grape::TrainConfig& c, const grape::TrainBatch& batch) {
  const std::vector<double> lp = reference_logp(d, p);
  const double beta = c.objective.beta;
  auto total = [&](const std::vector<double>& v, int t) {
    double s = 0.0;
    for (size_t i : policy_steps(d, t)) s += v[i];
    return s;
  };
  switch (c.objective.objective) {
    case Objective::kSft: {
      double s = 0.0;
      size_t n = 0;
      for (int32_t t : batch.trajectories) {
        s -= total(lp, t);
        n += policy_steps(d, t).size();
      }
      return s / static_cast<double>(n);
    }
    case Objective::kStepDpo: {
      double s = 0.0;
      size_t n = 0;
      for (const auto& [w, l] : batch.pairs) {
        const auto sw = policy_steps(d, w), sl = policy_steps(d, l);
        for (size_t k = 0; k < std::min(sw.size(), sl.size()); ++k, ++n)
          s -= log_sigmoid(beta * ((lp[sw[k]] - ref[sw[k]]) - (lp[sl[k]] - ref[sl[k]])));
      }
      return s / static_cast<double>(n);
    }
    default: {
      double s = 0.0, nll = 0.0;
      for (const auto& [w, l] : batch.pairs) {
        s -= log_sigmoid(beta * ((total(lp, w) - total(ref, w)) - (total(lp, l) - total(ref, l))));
        nll -= total(lp, w) / static_cast<double>(policy_steps(d, w).size());
      }
      const double pairs = static_cast<double>(batch.pairs.size());
      return s / pairs + (c.objective.objective == Objective::kTpoNll ? c.objective.nll_weight * nll / pairs : 0.0);
    }
  }
}

void check_objective(const HeadSpec& spec, Objective o, Trainable t) {
  const std::string what =
      spec.describe() + " " + grape::objective_name(o) + (t == Trainable::kLora ? " lora" : " full");
  const Data d = make_data(spec, 3);
  const grape::TrainBatch& batch = o == Objective::kSft ? kTrajectories : kPairs;
  // The reference policy is one parameter set; the trained one another, so log-ratios are not 0.
  const ParamMap ref_params = random_params(spec, 11);
  const ParamMap params = random_params(spec, 21);
  grape::Trainer ref_trainer(spec, cpu(2), config(o, t), ref_params);
  ref_trainer.upload(d.view());
  const std::vector<float> ref = ref_trainer.compute_reference();
  const std::vector<double> ref_expected = reference_logp(d, ref_params);
  for (size_t i = 0; i < ref.size(); ++i) CHECK_NEAR(ref[i], ref_expected[i], 1e-4 * (1 + std::fabs(ref_expected[i])));

  grape::Trainer trainer(spec, cpu(2), config(o, t), params);
  trainer.upload(d.view());
  trainer.set_reference(ref);
  ParamMap grads;
  const grape::StepMetrics m = trainer.gradients(batch, &grads);
  const std::vector<double> refd(ref.begin(), ref.end());
  std::map<std::string, std::vector<double>> pd;
  for (const auto& [name, v] : params) pd[name].assign(v.begin(), v.end());
  const double loss = reference_loss(d, pd, refd, config(o, t), batch);
  CHECK_MSG(std::fabs(m.objective.loss - loss) < 1e-4 * (1 + std::fabs(loss)),
            what + ": loss " + std::to_string(m.objective.loss) + " vs " + std::to_string(loss));

  const std::vector<std::string> trainable = trainer.trainable_names();
  CHECK_MSG(grads.size() == trainable.size(), what);
  for (const std::string& name : trainable) {
    const bool expect = t == Trainable::kFull || name.find("lora_") != std::string::npos ||
                        name.compare(name.size() - 5, 5, ".bias") == 0;
    CHECK_MSG(expect, what + ": " + name + " should be frozen");
    std::vector<double>& v = pd[name];
    const std::vector<float>& g = grads[name];
    for (size_t k = 0; k < 5; ++k) {
      const size_t i = (k * 7919 + 13) % v.size();
      const double keep = v[i], h = 1e-5;
      v[i] = keep + h;
      const double up = reference_loss(d, pd, refd, config(o, t), batch);
      v[i] = keep - h;
      const double down = reference_loss(d, pd, refd, config(o, t), batch);
      v[i] = keep;
      const double fd = (up - down) / (2 * h);
      CHECK_MSG(
          std::fabs(g[i] - fd) < 2e-4 + 2e-3 * std::fabs(fd),
          what + ": d/d " + name + "[" + std::to_string(i) + "] " + std::to_string(g[i]) + " vs " + std::to_string(fd));
    }
  }
}

HeadSpec mlp(bool lora) {
  HeadSpec s;
  s.kind = HeadKind::kMlp;
  s.input_dim = 6;
  s.hidden = {5, 4};
  s.action_dims = 2;
  s.bins = 7;
  if (lora) s.lora = {2, 4.0f};
  return s;
}

HeadSpec token_linear(bool lora) {
  HeadSpec s;
  s.kind = HeadKind::kTokenLinear;
  s.input_dim = 5;
  s.action_dims = 3;
  s.bins = 6;
  if (lora) s.lora = {3, 3.0f};
  return s;
}

}  // namespace

TEST(gradients_match_finite_differences_for_every_objective_and_head) {
  for (Objective o : {Objective::kSft, Objective::kTpo, Objective::kTpoNll, Objective::kStepDpo}) {
    check_objective(mlp(true), o, Trainable::kLora);
    check_objective(mlp(false), o, Trainable::kFull);
    check_objective(token_linear(true), o, Trainable::kLora);
    check_objective(token_linear(false), o, Trainable::kFull);
  }
  HeadSpec erf = mlp(true);
  erf.activation = grape::Activation::kGeluErf;
  check_objective(erf, Objective::kTpo, Trainable::kFull);
}

TEST(the_starting_log_ratio_is_exactly_zero) {
  const HeadSpec spec = mlp(true);
  grape::Trainer trainer(spec, cpu(2), config(Objective::kTpo, Trainable::kLora), random_params(spec, 4));
  trainer.upload(make_data(spec, 5).view());
  trainer.compute_reference();
  const grape::StepMetrics m = trainer.evaluate(kPairs);
  CHECK(m.objective.chosen_reward == 0.0 && m.objective.rejected_reward == 0.0);
  CHECK_NEAR(m.objective.loss, std::log(2.0), 1e-12);
  CHECK(m.steps == 12);  // trajectories 0, 1, 2, 3 minus the two masked steps
}

TEST(tpo_raises_the_chosen_over_rejected_margin) {
  const HeadSpec spec = mlp(true);
  grape::TrainConfig c = config(Objective::kTpo, Trainable::kLora);
  c.adam.lr = 0.02f;
  ParamMap p = random_params(spec, 8, 0.3f);
  for (const grape::ParamInfo& info : spec.parameters())
    if (info.name.find("lora_B") != std::string::npos) p[info.name].assign(info.size, 0.0f);  // PEFT init
  grape::Trainer trainer(spec, cpu(2), c, p);
  trainer.upload(make_data(spec, 6).view());
  trainer.compute_reference();
  const grape::TrainBatch batch{{}, {{0, 1}, {3, 2}}};
  double last = 0.0;
  for (int i = 0; i < 40; ++i) last = trainer.step(batch).objective.margin;
  const grape::StepMetrics m = trainer.evaluate(batch);
  CHECK_MSG(m.objective.margin > 1.0, std::to_string(m.objective.margin));
  CHECK(m.objective.accuracy == 1.0);
  CHECK(m.objective.loss < std::log(2.0) - 0.3);
  CHECK(last > 0.0);
}

TEST(training_is_deterministic_whatever_the_thread_count) {
  const HeadSpec spec = mlp(false);
  const Data d = make_data(spec, 9);
  ParamMap results[2];
  for (int threads : {1, 2}) {
    grape::Trainer trainer(spec, cpu(threads), config(Objective::kTpoNll, Trainable::kFull), random_params(spec, 2));
    trainer.upload(d.view());
    trainer.compute_reference();
    for (int i = 0; i < 3; ++i) trainer.step(kPairs);
    results[threads - 1] = trainer.parameters();
  }
  CHECK(results[0] == results[1]);
}

TEST(steps_that_are_not_the_policys_change_nothing) {
  const HeadSpec spec = token_linear(true);
  Data a = make_data(spec, 4), b = a;
  for (size_t k = 0; k < spec.step_features(); ++k) b.features[9 * spec.step_features() + k] += 3.0f;  // masked
  for (int d = 0; d < spec.action_dims; ++d)
    b.tokens[1 * spec.action_dims + d] = (b.tokens[1 * spec.action_dims + d] + 1) % spec.bins;
  ParamMap ga, gb;
  for (auto [data, grads] : {std::pair{&a, &ga}, std::pair{&b, &gb}}) {
    grape::Trainer trainer(spec, cpu(2), config(Objective::kTpo, Trainable::kLora), random_params(spec, 3));
    trainer.upload(data->view());
    trainer.set_reference(std::vector<float>(14, -3.0f));
    trainer.gradients(kPairs, grads);
  }
  CHECK(ga == gb);
}

TEST(optimizer_state_resumes_exactly) {
  const HeadSpec spec = mlp(true);
  const Data d = make_data(spec, 2);
  const grape::TrainConfig c = config(Objective::kStepDpo, Trainable::kLora);
  grape::Trainer first(spec, cpu(2), c, random_params(spec, 5));
  first.upload(d.view());
  const std::vector<float> ref = first.compute_reference();
  first.step(kPairs);
  first.step(kPairs);
  grape::Trainer resumed(spec, cpu(2), c, first.parameters());
  resumed.upload(d.view());
  resumed.set_reference(ref);
  const auto [m, v] = first.optimizer_moments();
  resumed.set_optimizer_state(first.optimizer_step(), m, v);
  first.step(kPairs);
  resumed.step(kPairs);
  CHECK(first.parameters() == resumed.parameters());
}

TEST(trainer_errors_name_what_is_wrong) {
  const HeadSpec spec = mlp(true);
  const ParamMap p = random_params(spec, 1);
  CHECK_THROWS(
      grape::Trainer(mlp(false), cpu(1), config(Objective::kSft, Trainable::kLora), random_params(mlp(false), 1)),
      ErrorCode::kInvalidArgument, "lora.rank > 0");
  ParamMap missing = p;
  missing.erase("layers.1.bias");
  CHECK_THROWS(grape::Trainer(spec, cpu(1), config(Objective::kSft, Trainable::kLora), missing),
               ErrorCode::kInvalidArgument, "lack 'layers.1.bias'");
  grape::Trainer trainer(spec, cpu(1), config(Objective::kTpo, Trainable::kLora), p);
  CHECK_THROWS(trainer.step(kPairs), ErrorCode::kInvalidArgument, "call upload() first");
  Data d = make_data(spec, 1);
  d.mask[3] = 2;
  CHECK_THROWS(trainer.upload(d.view()), ErrorCode::kOutOfRange, "policyMask[3] = 2");
  d = make_data(spec, 1);
  d.offsets[2] = 2;
  CHECK_THROWS(trainer.upload(d.view()), ErrorCode::kOutOfRange, "offsets[2] is less than offsets[1]");
  d = make_data(spec, 1);
  d.features[20] = NAN;
  CHECK_THROWS(trainer.upload(d.view()), ErrorCode::kNonFinite, "features[20] (step 3, element 2) is NaN");
  d = make_data(spec, 1);
  trainer.upload(d.view());
  CHECK_THROWS(trainer.step(kPairs), ErrorCode::kInvalidArgument, "call computeReference()");
  trainer.compute_reference();
  CHECK_THROWS(trainer.step(kTrajectories), ErrorCode::kInvalidArgument, "'tpo' trains on pairs");
  CHECK_THROWS(trainer.step({{}, {{0, 4}}}), ErrorCode::kOutOfRange, "rejected trajectory 4 is outside [0, 4)");
  CHECK_THROWS(trainer.step({{}, {{2, 2}}}), ErrorCode::kInvalidArgument, "compares a trajectory with itself");
  CHECK_THROWS(trainer.set_reference({1.0f}), ErrorCode::kShapeMismatch, "expected 14");
  CHECK_THROWS(trainer.set_optimizer_state(1, {1.0f}, {1.0f}), ErrorCode::kShapeMismatch, "trainable parameters");
}

int main() { return check::run_all(); }
