#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "error.h"
#include "feature_check.h"
#include "half.h"
#include "head.h"

namespace grape {

namespace {

// Workspace slots of the trainer (the backend keeps negative ones).
constexpr int kLogitsSlot = 0;
constexpr int kTokenSlot = 1;
constexpr int kCoefSlot = 2;
constexpr int kLoraUSlot = 3;
constexpr int kLoraVSlot = 4;
constexpr int kDxSlot = 5;  // 5 and 6, alternating between layers
constexpr int kStepOut = 7;
constexpr int kLayerSlot = 8;     // pre-activation of hidden layer l: 8 + 2l; post-activation: 9 + 2l
constexpr int kFrozenUSlot = 40;  // layer 0's x A^T on the frozen-product path, past 16 hidden layers' slots

int pre_slot(size_t l) { return kLayerSlot + 2 * static_cast<int>(l); }
int post_slot(size_t l) { return kLayerSlot + 1 + 2 * static_cast<int>(l); }

float element(const FeatureView& x, size_t i) {
  switch (x.dtype) {
    case DType::kFloat32:
      return static_cast<const float*>(x.data)[i];
    case DType::kFloat16:
      return half_to_float(static_cast<const uint16_t*>(x.data)[i]);
    case DType::kBFloat16:
      return bf16_to_float(static_cast<const uint16_t*>(x.data)[i]);
  }
  return 0.0f;
}

size_t dtype_bytes(DType t) { return t == DType::kFloat32 ? 4 : 2; }

}  // namespace

Trainer::Trainer(HeadSpec spec, std::shared_ptr<Backend> backend, TrainConfig config,
                 const std::map<std::string, std::vector<float>>& initial)
    : spec_(std::move(spec)), backend_(std::move(backend)), config_(config) {
  spec_.validate();
  if (config_.trainable == Trainable::kLora && spec_.lora.rank == 0)
    fail(ErrorCode::kInvalidArgument, "trainable 'lora' needs a head spec with lora.rank > 0");
  if (!(config_.objective.beta > 0.0) || !std::isfinite(config_.objective.beta))
    fail(ErrorCode::kInvalidArgument, "beta must be a finite number > 0");
  if (!(config_.adam.lr > 0.0f) || !std::isfinite(config_.adam.lr))
    fail(ErrorCode::kInvalidArgument, "lr must be a finite number > 0");
  if (config_.max_grad_norm < 0.0 || !std::isfinite(config_.max_grad_norm))
    fail(ErrorCode::kInvalidArgument, "maxGradNorm must be a finite number >= 0 (0: no clipping)");

  // Trainable parameters first, so one contiguous region covers gradients and optimizer state.
  const std::vector<ParamInfo> infos = spec_.parameters();
  auto trainable = [&](const ParamInfo& p) {
    if (config_.trainable == Trainable::kFull) return true;
    return p.lora || (p.name.size() > 5 && p.name.compare(p.name.size() - 5, 5, ".bias") == 0);
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const ParamInfo& p : infos) {
      if (trainable(p) != (pass == 0)) continue;
      params_.push_back({p.name, total_floats_, p.size, pass == 0});
      total_floats_ += p.size;
      if (pass == 0) trainable_floats_ += p.size;
    }
  }
  host_params_.assign(total_floats_, 0.0f);
  for (const Param& p : params_) {
    auto it = initial.find(p.name);
    if (it == initial.end()) fail(ErrorCode::kInvalidArgument, "initial parameters lack '" + p.name + "'");
    if (it->second.size() != p.size)
      fail(ErrorCode::kShapeMismatch, "initial parameter '" + p.name + "' has " + std::to_string(it->second.size()) +
                                          " values; expected " + std::to_string(p.size));
    for (size_t i = 0; i < p.size; ++i)
      if (!std::isfinite(it->second[i]))
        fail(ErrorCode::kNonFinite, "initial parameter '" + p.name + "'[" + std::to_string(i) + "] is not finite");
    std::copy(it->second.begin(), it->second.end(), host_params_.begin() + static_cast<ptrdiff_t>(p.offset));
  }
  for (const auto& [name, values] : initial) {
    (void)values;
    param(name);  // unknown names are an error too
  }
  params_buf_ = backend_->allocate(total_floats_ * sizeof(float));
  backend_->upload(params_buf_->data(), host_params_.data(), total_floats_ * sizeof(float));
  const size_t tb = std::max<size_t>(trainable_floats_, 1) * sizeof(float);
  grad_buf_ = backend_->allocate(tb);
  m_buf_ = backend_->allocate(tb);
  v_buf_ = backend_->allocate(tb);
  const std::vector<float> zeros(trainable_floats_, 0.0f);
  backend_->upload(m_buf_->data(), zeros.data(), trainable_floats_ * sizeof(float));
  backend_->upload(v_buf_->data(), zeros.data(), trainable_floats_ * sizeof(float));

  for (const LinearShape& shape : spec_.linears()) {
    Layer layer{shape, &param(shape.prefix + ".weight"), &param(shape.prefix + ".bias"), nullptr, nullptr, {}, {}};
    if (spec_.lora.rank > 0) {
      layer.lora_a = &param(shape.prefix + ".lora_A");
      layer.lora_b = &param(shape.prefix + ".lora_B");
    }
    layers_.push_back(std::move(layer));
  }
  prepare_layers();
  if (config_.trainable == Trainable::kLora) {
    const LinearShape& s = layers_[0].shape;
    const std::vector<float> zeros(static_cast<size_t>(s.out), 0.0f);
    frozen_w0_ = backend_->prepare_linear(host_params_.data() + layers_[0].weight->offset, zeros.data(), s.out, s.in);
  }
}

const Trainer::Param& Trainer::param(const std::string& name) const {
  for (const Param& p : params_)
    if (p.name == name) return p;
  fail(ErrorCode::kInvalidArgument, "unknown parameter '" + name + "' for a " + spec_.describe() + " head");
}

// Merged weights W + (alpha / r) B A for the forward pass and for dx = dy W, computed where the
// parameters live: after every step, with no round trip through the host.
void Trainer::prepare_layers() {
  Backend& be = *backend_;
  const float* params = params_buf_->floats();
  be.run_blocks(1, [&](size_t, Workspace& ws) {
    for (Layer& layer : layers_) {
      if (frozen_w0_ && &layer == &layers_.front()) continue;  // runs from the frozen product
      const size_t in = static_cast<size_t>(layer.shape.in), out = static_cast<size_t>(layer.shape.out);
      if (!layer.merged) layer.merged = be.allocate(layer.weight->size * sizeof(float));
      float* w = layer.merged->floats();
      be.copy(w, params + layer.weight->offset, layer.weight->size * sizeof(float));
      if (layer.lora_a)
        be.gemm(ws, false, false, out, in, static_cast<size_t>(spec_.lora.rank), spec_.lora.scale(),
                params + layer.lora_b->offset, static_cast<size_t>(spec_.lora.rank), params + layer.lora_a->offset, in,
                true, w, in);
      layer.prepared = be.prepare_linear(w, params + layer.bias->offset, layer.shape.out, layer.shape.in);
    }
  });
}

void Trainer::upload(const TrainingData& d) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t n = d.features.steps;
  const size_t D = static_cast<size_t>(spec_.action_dims);
  if (d.features.step_elems != spec_.step_features())
    fail(ErrorCode::kShapeMismatch, "features have " + std::to_string(d.features.step_elems) +
                                        " values per step; the head expects " + std::to_string(spec_.step_features()));
  check_tokens(d.tokens, n, spec_.action_dims, spec_.bins);
  for (size_t i = 0; i < n; ++i)
    if (d.policy_mask[i] > 1)
      fail(ErrorCode::kOutOfRange,
           "policyMask[" + std::to_string(i) + "] = " + std::to_string(d.policy_mask[i]) + " must be 0 or 1");
  if (d.trajectories == 0) fail(ErrorCode::kInvalidArgument, "training data needs at least one trajectory");
  if (d.offsets[0] != 0 || static_cast<size_t>(d.offsets[d.trajectories]) != n)
    fail(ErrorCode::kOutOfRange, "trajectory offsets must start at 0 and end at the step count " + std::to_string(n));
  for (size_t t = 0; t < d.trajectories; ++t)
    if (d.offsets[t + 1] < d.offsets[t])
      fail(ErrorCode::kOutOfRange,
           "trajectory offsets[" + std::to_string(t + 1) + "] is less than offsets[" + std::to_string(t) + "]");
  const size_t elems = n * d.features.step_elems;
  for (size_t i = 0; i < elems; ++i) {
    const float v = element(d.features, i);
    if (!std::isfinite(v)) fail_non_finite(d.features, i, v);
  }
  const size_t bytes = elems * dtype_bytes(d.features.dtype);
  features_buf_ = backend_->allocate(std::max<size_t>(bytes, 1));
  backend_->upload(features_buf_->data(), d.features.data, bytes);
  features_ = d.features;
  features_.data = features_buf_->data();
  features_.resident = true;
  tokens_.assign(d.tokens, d.tokens + n * D);
  mask_.assign(d.policy_mask, d.policy_mask + n);
  offsets_.assign(d.offsets, d.offsets + d.trajectories + 1);
  reference_.clear();
  frozen_rows_.reset();
  if (frozen_w0_) cache_frozen_product();
}

void Trainer::cache_frozen_product() {
  Backend& be = *backend_;
  const size_t row_floats = static_cast<size_t>(spec_.rows_per_step()) * layers_[0].shape.out;
  frozen_rows_ = be.allocate(std::max<size_t>(features_.steps * row_floats, 1) * sizeof(float));
  std::vector<int32_t> all(features_.steps);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i);
  const size_t block = be.block_steps(spec_);
  be.run_blocks((all.size() + block - 1) / block, [&](size_t b, Workspace& ws) {
    const size_t first = b * block, count = std::min(block, all.size() - first);
    const float* x = be.gather_features(ws, features_, all.data() + first, count);
    be.linear(ws, x, count * spec_.rows_per_step(), *frozen_w0_, Epilogue::kNone,
              frozen_rows_->floats() + first * row_floats);
  });
}

// Layer l's output before its epilogue, for a block's steps: layer 0 from the frozen product when
// training LoRA (+ bias + (alpha / r) (x A^T) B^T; upload() computed it), otherwise one GEMM with
// the merged weights.
void Trainer::layer_pre(Workspace& ws, size_t l, const float* x, size_t rows, const int32_t* steps, size_t count,
                        float* y) {
  Backend& be = *backend_;
  const Layer& layer = layers_[l];
  if (l > 0 || !frozen_w0_) {
    be.linear(ws, x, rows, *layer.prepared, Epilogue::kNone, y);
    return;
  }
  const size_t in = static_cast<size_t>(layer.shape.in), out = static_cast<size_t>(layer.shape.out);
  const size_t r = static_cast<size_t>(spec_.lora.rank);
  const float* params = params_buf_->floats();
  be.gather_rows_add_bias(ws, frozen_rows_->floats(), static_cast<size_t>(spec_.rows_per_step()) * out, steps, count,
                          params + layer.bias->offset, out, y);
  float* u = ws.floats(kFrozenUSlot, rows * r);
  be.gemm(ws, false, true, rows, r, in, 1.0f, x, in, params + layer.lora_a->offset, in, false, u, r);
  be.gemm(ws, false, true, rows, out, r, spec_.lora.scale(), u, r, params + layer.lora_b->offset, r, true, y, out);
}

void Trainer::check_uploaded() const {
  if (!features_buf_) fail(ErrorCode::kInvalidArgument, "no training data: call upload() first");
}

std::vector<float> Trainer::forward_logp(const std::vector<int32_t>& steps) {
  std::vector<float> logp(steps.size());
  if (steps.empty()) return logp;
  Backend& be = *backend_;
  const size_t block = be.block_steps(spec_);
  const size_t blocks = (steps.size() + block - 1) / block;
  const int D = spec_.action_dims, B = spec_.bins;
  be.run_blocks(blocks, [&](size_t b, Workspace& ws) {
    const size_t first = b * block, count = std::min(block, steps.size() - first);
    const size_t rows = count * spec_.rows_per_step();
    const float* h = be.gather_features(ws, features_, steps.data() + first, count);
    for (size_t l = 0; l + 1 < layers_.size(); ++l) {
      const LinearShape& s = layers_[l].shape;
      float* pre = ws.floats(pre_slot(l), rows * s.out);
      layer_pre(ws, l, h, rows, steps.data() + first, count, pre);
      float* post = ws.floats(post_slot(l), rows * s.out);
      be.activation(ws, pre, rows * s.out, s.epilogue, post);
      h = post;
    }
    float* z = ws.floats(kLogitsSlot, count * D * B);
    layer_pre(ws, layers_.size() - 1, h, rows, steps.data() + first, count, z);
    std::vector<int32_t> tok(count * D);
    for (size_t i = 0; i < count; ++i)
      std::copy_n(tokens_.data() + static_cast<size_t>(steps[first + i]) * D, D, tok.data() + i * D);
    const int32_t* t = be.stage_tokens(ws, tok.data(), tok.size());
    float* out = be.output_floats(ws, kStepOut, logp.data() + first, count);
    be.log_softmax_gather(ws, z, count, D, B, t, out, nullptr);
    be.flush_outputs(ws);
  });
  return logp;
}

std::vector<float> Trainer::compute_reference() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_uploaded();
  std::vector<int32_t> all(features_.steps);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i);
  reference_ = forward_logp(all);
  return reference_;
}

void Trainer::set_reference(const std::vector<float>& per_step) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_uploaded();
  if (per_step.size() != features_.steps)
    fail(ErrorCode::kShapeMismatch, "reference has " + std::to_string(per_step.size()) + " values; expected " +
                                        std::to_string(features_.steps) + " (one per uploaded step)");
  for (size_t i = 0; i < per_step.size(); ++i)
    if (!std::isfinite(per_step[i])) fail(ErrorCode::kNonFinite, "reference[" + std::to_string(i) + "] is not finite");
  reference_ = per_step;
}

Trainer::Plan Trainer::plan(const TrainBatch& batch) const {
  check_uploaded();
  const Objective objective = config_.objective.objective;
  const bool pairs = objective_uses_pairs(objective);
  if (pairs && batch.pairs.empty())
    fail(ErrorCode::kInvalidArgument, std::string("objective '") + objective_name(objective) + "' trains on pairs");
  if (!pairs && batch.trajectories.empty()) fail(ErrorCode::kInvalidArgument, "objective 'sft' trains on trajectories");
  const int32_t T = static_cast<int32_t>(offsets_.size() - 1);
  Plan p;
  std::unordered_map<int32_t, size_t> index;
  auto add = [&](int32_t t, const char* what) {
    if (t < 0 || t >= T)
      fail(ErrorCode::kOutOfRange,
           std::string(what) + " trajectory " + std::to_string(t) + " is outside [0, " + std::to_string(T) + ")");
    auto [it, fresh] = index.emplace(t, index.size());
    if (fresh) {
      if (p.objective.offsets.empty()) p.objective.offsets.push_back(0);
      for (int32_t i = offsets_[t]; i < offsets_[t + 1]; ++i)
        if (mask_[i]) p.steps.push_back(i);
      p.objective.offsets.push_back(p.steps.size());
    }
    return it->second;
  };
  if (pairs) {
    for (const auto& [w, l] : batch.pairs) {
      if (w == l)
        fail(ErrorCode::kInvalidArgument,
             "pair (" + std::to_string(w) + ", " + std::to_string(l) + ") compares a trajectory with itself");
      const size_t uw = add(w, "chosen");
      p.objective.pairs.emplace_back(uw, add(l, "rejected"));
    }
  } else {
    for (int32_t t : batch.trajectories) add(t, "batch");
  }
  return p;
}

ObjectiveResult Trainer::run_objective(Plan& p, std::vector<float>& logp, std::vector<float>& ref) const {
  if (objective_uses_pairs(config_.objective.objective)) {
    if (reference_.empty())
      fail(ErrorCode::kInvalidArgument,
           "no reference log-likelihoods: call computeReference() (or setReference) first");
    ref.resize(p.steps.size());
    for (size_t i = 0; i < p.steps.size(); ++i) ref[i] = reference_[static_cast<size_t>(p.steps[i])];
    p.objective.ref = ref.data();
  }
  p.objective.logp = logp.data();
  return evaluate_objective(config_.objective, p.objective);
}

double Trainer::backward(const Plan& p, const std::vector<float>& coef) {
  Backend& be = *backend_;
  const size_t block = be.block_steps(spec_);
  const size_t blocks = (p.steps.size() + block - 1) / block;
  const int D = spec_.action_dims, B = spec_.bins, r = spec_.lora.rank;
  const float scale = spec_.lora.scale();
  const float* params = params_buf_->floats();
  be.run_blocks_accumulate(blocks, trainable_floats_, grad_buf_->floats(), [&](size_t b, Workspace& ws, float* g) {
    const size_t first = b * block, count = std::min(block, p.steps.size() - first);
    const size_t rows = count * spec_.rows_per_step();
    // Forward again, keeping each hidden layer's input and pre-activation.
    std::vector<const float*> inputs{be.gather_features(ws, features_, p.steps.data() + first, count)};
    for (size_t l = 0; l + 1 < layers_.size(); ++l) {
      const LinearShape& s = layers_[l].shape;
      float* pre = ws.floats(pre_slot(l), rows * s.out);
      layer_pre(ws, l, inputs.back(), rows, p.steps.data() + first, count, pre);
      float* post = ws.floats(post_slot(l), rows * s.out);
      be.activation(ws, pre, rows * s.out, s.epilogue, post);
      inputs.push_back(post);
    }
    float* dy = ws.floats(kLogitsSlot, count * D * B);
    layer_pre(ws, layers_.size() - 1, inputs.back(), rows, p.steps.data() + first, count, dy);
    std::vector<int32_t> tok(count * D);
    for (size_t i = 0; i < count; ++i)
      std::copy_n(tokens_.data() + static_cast<size_t>(p.steps[first + i]) * D, D, tok.data() + i * D);
    const int32_t* t = be.stage_tokens(ws, tok.data(), tok.size());
    float* c = ws.floats(kCoefSlot, count);
    be.upload(c, coef.data() + first, count * sizeof(float));
    be.log_softmax_gather_backward(ws, dy, count, D, B, t, c);
    // Backward through the layers: dy is dL/d(layer output).
    for (size_t l = layers_.size(); l-- > 0;) {
      const Layer& layer = layers_[l];
      const size_t in = static_cast<size_t>(layer.shape.in), out = static_cast<size_t>(layer.shape.out);
      const float* x = inputs[l];
      if (layer.bias->trainable) be.add_column_sums(ws, dy, rows, out, g + layer.bias->offset);
      if (layer.weight->trainable)  // dW += dy^T x
        be.gemm(ws, true, false, out, in, rows, 1.0f, dy, out, x, in, true, g + layer.weight->offset, in);
      if (layer.lora_a && layer.lora_a->trainable) {
        const size_t rk = static_cast<size_t>(r);
        // u = x A^T, which the frozen-product path already computed for layer 0 on the way forward.
        float* u;
        if (l == 0 && frozen_w0_) {
          u = ws.floats(kFrozenUSlot, rows * rk);
        } else {
          u = ws.floats(kLoraUSlot, rows * rk);
          be.gemm(ws, false, true, rows, rk, in, 1.0f, x, in, params + layer.lora_a->offset, in, false, u, rk);
        }
        be.gemm(ws, true, false, out, rk, rows, scale, dy, out, u, rk, true, g + layer.lora_b->offset, rk);
        float* v = ws.floats(kLoraVSlot, rows * rk);  // v = dy B
        be.gemm(ws, false, false, rows, rk, out, 1.0f, dy, out, params + layer.lora_b->offset, rk, false, v, rk);
        be.gemm(ws, true, false, rk, in, rows, scale, v, rk, x, in, true, g + layer.lora_a->offset, in);
      }
      if (l == 0) break;
      float* dx = ws.floats(kDxSlot + static_cast<int>(l % 2), rows * in);  // dx = dy W_eff
      be.gemm(ws, false, false, rows, in, out, 1.0f, dy, out, layer.merged->floats(), in, false, dx, in);
      const LinearShape& below = layers_[l - 1].shape;
      be.activation_backward(ws, ws.floats(pre_slot(l - 1), rows * in), rows * in, below.epilogue, dx);
      dy = dx;
    }
  });
  return std::sqrt(be.sum_squares(grad_buf_->floats(), trainable_floats_));
}

StepMetrics Trainer::forward_and_backward(const TrainBatch& batch, bool backward_pass) {
  Plan p = plan(batch);
  std::vector<float> logp = forward_logp(p.steps), ref;
  StepMetrics m;
  m.objective = run_objective(p, logp, ref);
  if (backward_pass) m.grad_norm = backward(p, m.objective.coef);
  m.objective.coef.clear();
  m.steps = p.steps.size();
  return m;
}

StepMetrics Trainer::evaluate(const TrainBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  return forward_and_backward(batch, false);
}

StepMetrics Trainer::gradients(const TrainBatch& batch, std::map<std::string, std::vector<float>>* grads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const StepMetrics m = forward_and_backward(batch, true);
  std::vector<float> flat(trainable_floats_);
  backend_->download(flat.data(), grad_buf_->data(), trainable_floats_ * sizeof(float));
  for (const Param& prm : params_)
    if (prm.trainable)
      (*grads)[prm.name].assign(flat.begin() + static_cast<ptrdiff_t>(prm.offset),
                                flat.begin() + static_cast<ptrdiff_t>(prm.offset + prm.size));
  return m;
}

StepMetrics Trainer::step(const TrainBatch& batch) {
  std::lock_guard<std::mutex> lock(mutex_);
  const StepMetrics m = forward_and_backward(batch, true);
  if (!std::isfinite(m.grad_norm))
    fail(ErrorCode::kNonFinite,
         "the gradient is not finite (loss " + std::to_string(m.objective.loss) + "); parameters were not updated");
  AdamWParams a = config_.adam;
  a.step = ++adam_step_;
  a.grad_scale = config_.max_grad_norm > 0 && m.grad_norm > config_.max_grad_norm
                     ? static_cast<float>(config_.max_grad_norm / m.grad_norm)
                     : 1.0f;
  backend_->adamw(params_buf_->floats(), grad_buf_->floats(), m_buf_->floats(), v_buf_->floats(), trainable_floats_, a);
  backend_->download(host_params_.data(), params_buf_->data(), trainable_floats_ * sizeof(float));
  prepare_layers();
  return m;
}

std::map<std::string, std::vector<float>> Trainer::parameters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, std::vector<float>> out;
  for (const Param& p : params_)
    out[p.name].assign(host_params_.begin() + static_cast<ptrdiff_t>(p.offset),
                       host_params_.begin() + static_cast<ptrdiff_t>(p.offset + p.size));
  return out;
}

std::vector<std::string> Trainer::trainable_names() const {
  std::vector<std::string> out;
  for (const Param& p : params_)
    if (p.trainable) out.push_back(p.name);
  return out;
}

std::pair<std::vector<float>, std::vector<float>> Trainer::optimizer_moments() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<float> m(trainable_floats_), v(trainable_floats_);
  backend_->download(m.data(), m_buf_->data(), m.size() * sizeof(float));
  backend_->download(v.data(), v_buf_->data(), v.size() * sizeof(float));
  return {m, v};
}

void Trainer::set_optimizer_state(int64_t step, const std::vector<float>& m, const std::vector<float>& v) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (step < 0) fail(ErrorCode::kInvalidArgument, "optimizer step must be >= 0");
  if (m.size() != trainable_floats_ || v.size() != trainable_floats_)
    fail(ErrorCode::kShapeMismatch, "optimizer moments have " + std::to_string(m.size()) + " and " +
                                        std::to_string(v.size()) + " values; expected " +
                                        std::to_string(trainable_floats_) + " (the trainable parameters)");
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(m[i]) || !std::isfinite(v[i]) || v[i] < 0.0f)
      fail(ErrorCode::kNonFinite, "optimizer moments are not finite (or v < 0) at " + std::to_string(i));
  backend_->upload(m_buf_->data(), m.data(), m.size() * sizeof(float));
  backend_->upload(v_buf_->data(), v.data(), v.size() * sizeof(float));
  adam_step_ = step;
}

}  // namespace grape
