#include "objective.h"

#include <cmath>

#include "error.h"

namespace grape {

namespace {

// -log sigmoid(m) and its derivative, stable for any m.
double neg_log_sigmoid(double m) { return m >= 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m)); }
double sigmoid(double m) { return m >= 0 ? 1.0 / (1.0 + std::exp(-m)) : std::exp(m) / (1.0 + std::exp(m)); }

struct Span {
  size_t begin, end;
  size_t size() const { return end - begin; }
};

}  // namespace

Objective parse_objective(const std::string& name) {
  if (name == "sft") return Objective::kSft;
  if (name == "tpo") return Objective::kTpo;
  if (name == "tpo+nll") return Objective::kTpoNll;
  if (name == "step-dpo") return Objective::kStepDpo;
  fail(ErrorCode::kInvalidArgument, "objective must be 'sft', 'tpo', 'tpo+nll' or 'step-dpo', got '" + name + "'");
}

const char* objective_name(Objective o) {
  switch (o) {
    case Objective::kSft:
      return "sft";
    case Objective::kTpo:
      return "tpo";
    case Objective::kTpoNll:
      return "tpo+nll";
    case Objective::kStepDpo:
      return "step-dpo";
  }
  return "?";
}

bool objective_uses_pairs(Objective o) { return o != Objective::kSft; }

ObjectiveResult evaluate_objective(const ObjectiveSettings& s, const ObjectiveBatch& batch) {
  ObjectiveResult r;
  const size_t steps = batch.offsets.empty() ? 0 : batch.offsets.back();
  r.coef.assign(steps, 0.0f);
  std::vector<double> coef(steps, 0.0);
  auto span = [&](size_t u) { return Span{batch.offsets[u], batch.offsets[u + 1]}; };
  auto sum = [&](const float* v, Span sp) {
    double total = 0.0;
    for (size_t i = sp.begin; i < sp.end; ++i) total += v[i];
    return total;
  };

  if (s.objective == Objective::kSft) {
    // Mean NLL over every step of every trajectory in the batch.
    for (size_t i = 0; i < steps; ++i) {
      r.nll -= batch.logp[i];
      coef[i] = -1.0 / static_cast<double>(steps);
    }
    r.nll = steps ? r.nll / static_cast<double>(steps) : 0.0;
    r.loss = r.nll;
    r.comparisons = batch.offsets.size() - 1;
  } else if (s.objective == Objective::kStepDpo) {
    // Step t of the chosen against step t of the rejected, up to the shorter; mean over all.
    size_t n = 0;
    for (const auto& [w, l] : batch.pairs) n += std::min(span(w).size(), span(l).size());
    for (const auto& [w, l] : batch.pairs) {
      const Span sw = span(w), sl = span(l);
      for (size_t t = 0; t < std::min(sw.size(), sl.size()); ++t) {
        const size_t iw = sw.begin + t, il = sl.begin + t;
        const double rw = s.beta * (static_cast<double>(batch.logp[iw]) - batch.ref[iw]);
        const double rl = s.beta * (static_cast<double>(batch.logp[il]) - batch.ref[il]);
        r.loss += neg_log_sigmoid(rw - rl) / static_cast<double>(n);
        const double g = -sigmoid(-(rw - rl)) / static_cast<double>(n);  // dL/d(rw - rl)
        coef[iw] += g * s.beta;
        coef[il] -= g * s.beta;
        r.chosen_reward += rw / static_cast<double>(n);
        r.rejected_reward += rl / static_cast<double>(n);
        r.accuracy += (rw > rl ? 1.0 : 0.0) / static_cast<double>(n);
      }
    }
    r.comparisons = n;
  } else {
    // Whole trajectories: L = mean over pairs of -log sigmoid(beta [(S_w - Sref_w) - (S_l - Sref_l)]).
    const double pairs = static_cast<double>(batch.pairs.size());
    for (const auto& [w, l] : batch.pairs) {
      const Span sw = span(w), sl = span(l);
      const double rw = s.beta * (sum(batch.logp, sw) - sum(batch.ref, sw));
      const double rl = s.beta * (sum(batch.logp, sl) - sum(batch.ref, sl));
      r.loss += neg_log_sigmoid(rw - rl) / pairs;
      const double g = -sigmoid(-(rw - rl)) / pairs;
      for (size_t i = sw.begin; i < sw.end; ++i) coef[i] += g * s.beta;
      for (size_t i = sl.begin; i < sl.end; ++i) coef[i] -= g * s.beta;
      r.chosen_reward += rw / pairs;
      r.rejected_reward += rl / pairs;
      r.accuracy += (rw > rl ? 1.0 : 0.0) / pairs;
    }
    r.comparisons = batch.pairs.size();
  }
  r.margin = r.chosen_reward - r.rejected_reward;

  if (s.objective != Objective::kSft && !batch.pairs.empty()) {
    // Mean per-step NLL of the chosen trajectories: reported always, trained on by tpo+nll.
    const double pairs = static_cast<double>(batch.pairs.size());
    for (const auto& pair : batch.pairs) {
      const Span sw = span(pair.first);
      if (sw.size() == 0) continue;
      const double n = static_cast<double>(sw.size());
      r.nll -= sum(batch.logp, sw) / n / pairs;
      if (s.objective == Objective::kTpoNll)
        for (size_t i = sw.begin; i < sw.end; ++i) coef[i] -= s.nll_weight / n / pairs;
    }
    if (s.objective == Objective::kTpoNll) r.loss += s.nll_weight * r.nll;
  }
  for (size_t i = 0; i < steps; ++i) r.coef[i] = static_cast<float>(coef[i]);
  return r;
}

}  // namespace grape
