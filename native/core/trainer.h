// Training of an action head on a backend (DESIGN.md "The algorithm"): the dataset lives in
// backend memory for the whole run; each step runs a forward pass over the batch's policy steps
// (per-step log-likelihoods), evaluates the objective on the host, then a second pass that
// recomputes each block's activations and backpropagates into the trainable parameters
// (LoRA factors + biases, or the whole head), then clips the gradient norm and applies AdamW.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"
#include "head_spec.h"
#include "objective.h"

namespace grape {

enum class Trainable { kLora, kFull };

struct TrainConfig {
  ObjectiveSettings objective;
  Trainable trainable = Trainable::kLora;
  AdamWParams adam;            // lr, betas, eps, weight_decay (step and grad_scale are the trainer's)
  double max_grad_norm = 1.0;  // 0: no clipping
};

// Trajectories of logged steps, host side, as handed to upload().
struct TrainingData {
  FeatureView features;                  // N steps (host memory)
  const int32_t* tokens = nullptr;       // [N, D]
  const uint8_t* policy_mask = nullptr;  // [N]: 1 = the policy's own step (counts), 0 = excluded
  const int32_t* offsets = nullptr;      // [T + 1]: trajectory t is steps [offsets[t], offsets[t+1])
  size_t trajectories = 0;               // T
};

// What one step trains on: trajectories (sft) or (chosen, rejected) trajectory pairs.
struct TrainBatch {
  std::vector<int32_t> trajectories;
  std::vector<std::pair<int32_t, int32_t>> pairs;
};

struct StepMetrics {
  ObjectiveResult objective;  // loss, rewards, margin, accuracy, nll (coef dropped)
  double grad_norm = 0.0;     // before clipping
  size_t steps = 0;           // policy steps in the batch
};

class Trainer {
 public:
  // `initial` must hold every parameter of the spec (LoRA factors included when rank > 0).
  Trainer(HeadSpec spec, std::shared_ptr<Backend> backend, TrainConfig config,
          const std::map<std::string, std::vector<float>>& initial);

  const HeadSpec& spec() const { return spec_; }
  const TrainConfig& config() const { return config_; }
  const Backend& backend() const { return *backend_; }

  // Validates and copies the data into backend memory (features keep their dtype).
  void upload(const TrainingData& data);
  // Per-step log-likelihood of every uploaded step under the current parameters, computed by
  // the same code as training's forward pass; stored as the reference (pi_ref) for tpo/step-dpo.
  std::vector<float> compute_reference();
  void set_reference(const std::vector<float>& per_step);

  StepMetrics step(const TrainBatch& batch);      // forward, objective, backward, AdamW
  StepMetrics evaluate(const TrainBatch& batch);  // forward and objective only
  // Loss and gradient without an update (gradient checks): gradients of trainable parameters.
  StepMetrics gradients(const TrainBatch& batch, std::map<std::string, std::vector<float>>* grads);

  std::map<std::string, std::vector<float>> parameters() const;
  std::vector<std::string> trainable_names() const;
  // Optimizer state for resuming: AdamW moments (trainable parameters, flat) and the step count.
  int64_t optimizer_step() const { return adam_step_; }
  std::pair<std::vector<float>, std::vector<float>> optimizer_moments() const;
  void set_optimizer_state(int64_t step, const std::vector<float>& m, const std::vector<float>& v);

 private:
  struct Param {
    std::string name;
    size_t offset, size;
    bool trainable;
  };
  struct Layer {
    LinearShape shape;
    const Param* weight;
    const Param* bias;
    const Param* lora_a;  // null without LoRA
    const Param* lora_b;
    std::unique_ptr<LinearWeights> prepared;  // merged weights for the forward pass
    std::unique_ptr<Buffer> merged;           // the same, unpacked [out, in], for dx = dy W
  };
  struct Plan {
    std::vector<int32_t> steps;  // dataset step indices (policy steps only), trajectory by trajectory
    ObjectiveBatch objective;    // offsets into `steps`, pairs over the batch's trajectories
  };

  Plan plan(const TrainBatch& batch) const;
  std::vector<float> forward_logp(const std::vector<int32_t>& steps);
  void layer_pre(Workspace& ws, size_t l, const float* x, size_t rows, const int32_t* steps, size_t count, float* y);
  void cache_frozen_product();
  ObjectiveResult run_objective(Plan& plan, std::vector<float>& logp, std::vector<float>& ref) const;
  double backward(const Plan& plan, const std::vector<float>& coef);  // fills grad_, returns its norm
  StepMetrics forward_and_backward(const TrainBatch& batch, bool backward_pass);
  void prepare_layers();
  void check_uploaded() const;
  const Param& param(const std::string& name) const;

  HeadSpec spec_;
  std::shared_ptr<Backend> backend_;
  TrainConfig config_;
  std::vector<Param> params_;  // trainable ones first: [0, trainable_floats_) is what grad_/m_/v_ cover
  size_t trainable_floats_ = 0;
  size_t total_floats_ = 0;
  std::vector<float> host_params_;  // master copy mirrored from params_buf_ after each update
  std::unique_ptr<Buffer> params_buf_, grad_buf_, m_buf_, v_buf_;
  std::vector<Layer> layers_;
  int64_t adam_step_ = 0;
  // LoRA training leaves W0 frozen and the features fixed, so x W0^T is computed once per upload
  // (frozen_rows_, [steps, rows per step * out0]) and a step adds only the bias and (x A^T) B^T.
  // Linear layers add their bias to the finished sum, so this equals the inference head's x W0^T + b.
  std::unique_ptr<LinearWeights> frozen_w0_;  // W0 with a zero bias
  std::unique_ptr<Buffer> frozen_rows_;

  // Uploaded data.
  std::unique_ptr<Buffer> features_buf_;
  FeatureView features_;
  std::vector<int32_t> tokens_;
  std::vector<uint8_t> mask_;
  std::vector<int32_t> offsets_;
  std::vector<float> reference_;
  mutable std::mutex mutex_;  // one operation at a time
};

}  // namespace grape
