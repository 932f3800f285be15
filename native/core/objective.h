// Training objectives on per-step log-likelihoods (DESIGN.md "The algorithm"): the loss, the
// DPO-style metrics, and dL/dlogp for every step, which the backward pass turns into gradients.
// Host math in double; only policy steps ever reach it.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace grape {

enum class Objective { kSft, kTpo, kTpoNll, kStepDpo };

Objective parse_objective(const std::string& name);  // "sft", "tpo", "tpo+nll", "step-dpo"
const char* objective_name(Objective o);
bool objective_uses_pairs(Objective o);

struct ObjectiveSettings {
  Objective objective = Objective::kTpo;
  double beta = 0.1;        // preference temperature
  double nll_weight = 1.0;  // weight of the NLL term of tpo+nll
};

// A batch seen through its trajectories: trajectory u owns steps [offsets[u], offsets[u+1]) of
// logp/ref (policy steps only, in order). Pairs index trajectories: (chosen, rejected).
struct ObjectiveBatch {
  std::vector<size_t> offsets;
  std::vector<std::pair<size_t, size_t>> pairs;
  const float* logp = nullptr;
  const float* ref = nullptr;
};

struct ObjectiveResult {
  double loss = 0.0;
  // Mean implicit rewards beta * (log pi - log pi_ref) of chosen / rejected, their mean margin and
  // the share of pairs whose chosen reward is higher (TRL's rewards/* metrics). Zero for sft.
  double chosen_reward = 0.0;
  double rejected_reward = 0.0;
  double margin = 0.0;
  double accuracy = 0.0;
  // Mean per-step negative log-likelihood of the chosen (sft: all) trajectories.
  double nll = 0.0;
  size_t comparisons = 0;   // pairs (tpo), aligned step pairs (step-dpo), trajectories (sft)
  std::vector<float> coef;  // dL/dlogp per step
};

ObjectiveResult evaluate_objective(const ObjectiveSettings& s, const ObjectiveBatch& batch);

}  // namespace grape
