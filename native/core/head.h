// An action head on a backend: parameters (fp32 master copy), the prepared form the backend
// runs (LoRA merged for inference), and the batched operations over N steps.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "backend.h"
#include "head_spec.h"

namespace grape {

struct NamedParameter {
  std::string name;
  const float* data;
  size_t size;
};

class Head {
 public:
  Head(HeadSpec spec, std::shared_ptr<Backend> backend);

  const HeadSpec& spec() const { return spec_; }
  const Backend& backend() const { return *backend_; }

  // Sets any subset of parameters. Everything is validated (names, sizes, finite values)
  // before anything changes. LoRA factors start at zero; base parameters must be set once.
  void set_parameters(const std::vector<NamedParameter>& params);
  std::map<std::string, std::vector<float>> parameters() const;

  // out: [steps, D, B] logits.
  void logits(const FeatureView& x, float* out) const;
  // step_logp [steps]; dim_logp [steps, D] or null.
  void log_likelihood(const FeatureView& x, const int32_t* tokens, float* step_logp, float* dim_logp) const;
  // tokens [steps, D]; the log-likelihoods are untempered whatever the sampling temperature.
  void act(const FeatureView& x, const SampleParams& p, int32_t* tokens, float* step_logp, float* dim_logp) const;

  // Throws unless x has step_features() elements per step.
  void check_features(const FeatureView& x) const;

 private:
  template <class Tail>
  void forward_blocks(const FeatureView& x, const Tail& tail) const;
  void prepare(size_t linear);

  HeadSpec spec_;
  std::vector<LinearShape> linears_;
  std::shared_ptr<Backend> backend_;
  std::map<std::string, std::vector<float>> params_;
  std::vector<std::string> unset_;  // base parameters not set yet
  std::vector<std::unique_ptr<LinearWeights>> prepared_;
  mutable std::shared_mutex mutex_;  // operations share; set_parameters is exclusive
};

// sums[i] = sum of values[offsets[i] .. offsets[i+1]) where mask (if given) is non-zero, in double.
// offsets: segments + 1 entries, non-decreasing, from 0 to n.
void segment_sums(const float* values, size_t n, const uint8_t* mask, const int32_t* offsets, size_t segments,
                  double* sums);

// Throws kOutOfRange naming the first token outside [0, B).
void check_tokens(const int32_t* tokens, size_t steps, int D, int B);

}  // namespace grape
