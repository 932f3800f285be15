#include "head.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <sstream>

#include "error.h"

namespace grape {

namespace {

// Workspace slots used by the head (the backend keeps negative ones for itself).
constexpr int kHiddenSlot = 0;  // 0 and 1, alternating between layers
constexpr int kLogitsSlot = 2;
constexpr int kStepOut = 0;  // output slots
constexpr int kDimOut = 1;
constexpr int kTokenOut = 2;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

}  // namespace

Head::Head(HeadSpec spec, std::shared_ptr<Backend> backend) : spec_(std::move(spec)), backend_(std::move(backend)) {
  spec_.validate();
  linears_ = spec_.linears();
  for (const ParamInfo& p : spec_.parameters()) {
    params_[p.name].assign(p.size, 0.0f);
    if (!p.lora) unset_.push_back(p.name);
  }
  prepared_.resize(linears_.size());
}

void Head::set_parameters(const std::vector<NamedParameter>& params) {
  const std::vector<ParamInfo> infos = spec_.parameters();
  std::vector<size_t> touched;
  for (const NamedParameter& p : params) {
    auto info = std::find_if(infos.begin(), infos.end(), [&](const ParamInfo& i) { return i.name == p.name; });
    if (info == infos.end()) {
      std::ostringstream msg;
      msg << "unknown parameter '" << p.name << "' for a " << spec_.describe() << " head; expected one of:";
      for (const ParamInfo& i : infos) msg << " " << i.name;
      fail(ErrorCode::kInvalidArgument, msg.str());
    }
    if (p.size != info->size) {
      std::ostringstream msg;
      msg << "parameter '" << p.name << "' has " << p.size << " values; expected " << info->size << " for shape "
          << shape_string(info->shape);
      fail(ErrorCode::kShapeMismatch, msg.str());
    }
    for (size_t i = 0; i < p.size; ++i) {
      if (std::isfinite(p.data[i])) continue;
      std::ostringstream msg;
      msg << "parameter '" << p.name << "'[" << i << "] is " << (std::isnan(p.data[i]) ? "NaN" : "infinite");
      fail(ErrorCode::kNonFinite, msg.str());
    }
  }
  std::unique_lock<std::shared_mutex> lock(mutex_);
  for (const NamedParameter& p : params) {
    std::copy(p.data, p.data + p.size, params_[p.name].begin());
    unset_.erase(std::remove(unset_.begin(), unset_.end(), p.name), unset_.end());
    for (size_t l = 0; l < linears_.size(); ++l)
      if (p.name.compare(0, linears_[l].prefix.size() + 1, linears_[l].prefix + ".") == 0) touched.push_back(l);
  }
  if (!unset_.empty()) return;  // prepared once every base parameter is known
  for (size_t l = 0; l < linears_.size(); ++l)
    if (!prepared_[l] || std::find(touched.begin(), touched.end(), l) != touched.end()) prepare(l);
}

// W_eff = W + (alpha / r) * lora_B @ lora_A: inference runs one GEMM per layer, LoRA or not.
void Head::prepare(size_t l) {
  const LinearShape& shape = linears_[l];
  const std::vector<float>& w = params_.at(shape.prefix + ".weight");
  const std::vector<float>& bias = params_.at(shape.prefix + ".bias");
  if (spec_.lora.rank == 0) {
    prepared_[l] = backend_->prepare_linear(w.data(), bias.data(), shape.out, shape.in);
    return;
  }
  const std::vector<float>& a = params_.at(shape.prefix + ".lora_A");  // [r, in]
  const std::vector<float>& b = params_.at(shape.prefix + ".lora_B");  // [out, r]
  const int r = spec_.lora.rank;
  const float scale = spec_.lora.scale();
  std::vector<float> merged(w);
  for (int o = 0; o < shape.out; ++o) {
    float* row = merged.data() + static_cast<size_t>(o) * shape.in;
    for (int k = 0; k < r; ++k) {
      const float coef = scale * b[static_cast<size_t>(o) * r + k];
      if (coef == 0.0f) continue;
      const float* arow = a.data() + static_cast<size_t>(k) * shape.in;
      for (int i = 0; i < shape.in; ++i) row[i] += coef * arow[i];
    }
  }
  prepared_[l] = backend_->prepare_linear(merged.data(), bias.data(), shape.out, shape.in);
}

std::map<std::string, std::vector<float>> Head::parameters() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return params_;
}

void Head::check_features(const FeatureView& x) const {
  if (x.step_elems != spec_.step_features()) {
    std::ostringstream msg;
    msg << "features have " << x.step_elems << " values per step; this " << spec_.describe() << " head expects "
        << spec_.step_features();
    if (spec_.kind == HeadKind::kTokenLinear)
      msg << " (D x H = " << spec_.action_dims << " x " << spec_.input_dim << ")";
    fail(ErrorCode::kShapeMismatch, msg.str());
  }
}

template <class Tail>
void Head::forward_blocks(const FeatureView& x, const Tail& tail) const {
  check_features(x);
  std::shared_lock<std::shared_mutex> lock(mutex_);
  if (!unset_.empty()) {
    std::ostringstream msg;
    msg << "parameters not set:";
    for (const std::string& n : unset_) msg << " " << n;
    fail(ErrorCode::kInvalidArgument, msg.str());
  }
  if (x.steps == 0) return;
  Backend& be = *backend_;
  const size_t block = be.block_steps(spec_);
  const size_t blocks = (x.steps + block - 1) / block;
  be.run_blocks(blocks, [&](size_t b, Workspace& ws) {
    const size_t first = b * block;
    const size_t count = std::min(block, x.steps - first);
    const size_t rows = count * spec_.rows_per_step();
    const float* h = be.stage_features(ws, x, first, count);
    for (size_t l = 0; l + 1 < linears_.size(); ++l) {
      float* y = ws.floats(kHiddenSlot + static_cast<int>(l % 2), rows * linears_[l].out);
      be.linear(ws, h, rows, *prepared_[l], linears_[l].epilogue, y);
      h = y;
    }
    // The tail runs the last linear (its output goes to logits) and whatever follows.
    tail(ws, first, count, rows, h, *prepared_.back());
    be.flush_outputs(ws);
  });
}

void Head::logits(const FeatureView& x, float* out) const {
  const size_t per_step = static_cast<size_t>(spec_.action_dims) * spec_.bins;
  forward_blocks(x,
                 [&](Workspace& ws, size_t first, size_t count, size_t rows, const float* h, const LinearWeights& w) {
                   float* z = backend_->output_floats(ws, kStepOut, out + first * per_step, count * per_step);
                   backend_->linear(ws, h, rows, w, Epilogue::kNone, z);
                 });
}

void Head::log_likelihood(const FeatureView& x, const int32_t* tokens, float* step_logp, float* dim_logp) const {
  check_tokens(tokens, x.steps, spec_.action_dims, spec_.bins);
  const int D = spec_.action_dims, B = spec_.bins;
  forward_blocks(
      x, [&](Workspace& ws, size_t first, size_t count, size_t rows, const float* h, const LinearWeights& w) {
        float* z = ws.floats(kLogitsSlot, count * D * B);
        backend_->linear(ws, h, rows, w, Epilogue::kNone, z);
        const int32_t* tok = backend_->stage_tokens(ws, tokens + first * D, count * D);
        float* steps = backend_->output_floats(ws, kStepOut, step_logp + first, count);
        float* dims = dim_logp ? backend_->output_floats(ws, kDimOut, dim_logp + first * D, count * D) : nullptr;
        backend_->log_softmax_gather(ws, z, count, D, B, tok, steps, dims);
      });
}

void Head::act(const FeatureView& x, const SampleParams& p, int32_t* tokens, float* step_logp, float* dim_logp) const {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f)
    fail(ErrorCode::kInvalidArgument, "temperature must be a finite number >= 0 (0 = greedy)");
  if (p.top_k < 0) fail(ErrorCode::kInvalidArgument, "topK must be >= 0 (0 = all bins)");
  const int D = spec_.action_dims, B = spec_.bins;
  forward_blocks(
      x, [&](Workspace& ws, size_t first, size_t count, size_t rows, const float* h, const LinearWeights& w) {
        float* z = ws.floats(kLogitsSlot, count * D * B);
        backend_->linear(ws, h, rows, w, Epilogue::kNone, z);
        SampleParams block = p;
        block.first_step = p.first_step + first;
        int32_t* tok = backend_->output_ints(ws, kTokenOut, tokens + first * D, count * D);
        float* steps = backend_->output_floats(ws, kStepOut, step_logp + first, count);
        float* dims = dim_logp ? backend_->output_floats(ws, kDimOut, dim_logp + first * D, count * D) : nullptr;
        backend_->sample(ws, z, count, D, B, block, tok, steps, dims);
      });
}

void check_tokens(const int32_t* tokens, size_t steps, int D, int B) {
  const size_t n = steps * D;
  for (size_t i = 0; i < n; ++i) {
    if (tokens[i] >= 0 && tokens[i] < B) continue;
    std::ostringstream msg;
    msg << "tokens[" << i << "] (step " << i / D << ", dim " << i % D << ") = " << tokens[i] << " is outside [0, " << B
        << ")";
    fail(ErrorCode::kOutOfRange, msg.str());
  }
}

void segment_sums(const float* values, size_t n, const uint8_t* mask, const int32_t* offsets, size_t segments,
                  double* sums) {
  if (offsets[0] != 0 || static_cast<size_t>(offsets[segments]) != n) {
    std::ostringstream msg;
    msg << "segments must start at 0 and end at the step count " << n << " (got " << offsets[0] << " .. "
        << offsets[segments] << ")";
    fail(ErrorCode::kOutOfRange, msg.str());
  }
  for (size_t s = 0; s < segments; ++s) {
    if (offsets[s + 1] < offsets[s]) {
      std::ostringstream msg;
      msg << "segments[" << s + 1 << "] = " << offsets[s + 1] << " is less than segments[" << s << "] = " << offsets[s];
      fail(ErrorCode::kOutOfRange, msg.str());
    }
  }
  for (size_t s = 0; s < segments; ++s) {
    double total = 0.0;
    for (int32_t i = offsets[s]; i < offsets[s + 1]; ++i)
      if (!mask || mask[i]) total += values[i];
    sums[s] = total;
  }
}

}  // namespace grape
