#include "head_spec.h"

#include <cmath>
#include <sstream>

#include "error.h"

namespace grape {

namespace {

constexpr int kMaxDim = 1 << 20;
constexpr int kMaxBins = 1 << 16;

void check_size(const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    std::ostringstream msg;
    msg << "spec." << field << " must be an integer in [" << lo << ", " << hi << "], got " << value;
    fail(ErrorCode::kInvalidArgument, msg.str());
  }
}

Epilogue activation_epilogue(Activation a) {
  return a == Activation::kGeluErf ? Epilogue::kGeluErf : Epilogue::kGeluTanh;
}

}  // namespace

const char* head_kind_name(HeadKind kind) { return kind == HeadKind::kMlp ? "mlp" : "token-linear"; }

const char* activation_name(Activation activation) { return activation == Activation::kGeluErf ? "gelu" : "gelu_tanh"; }

void HeadSpec::validate() const {
  check_size("inputDim", input_dim, 1, kMaxDim);
  check_size("actionDims", action_dims, 1, 64);
  check_size("bins", bins, 2, kMaxBins);
  if (kind == HeadKind::kTokenLinear && !hidden.empty())
    fail(ErrorCode::kInvalidArgument, "spec.hidden must be empty for a token-linear head");
  for (size_t i = 0; i < hidden.size(); ++i) {
    const std::string field = "hidden[" + std::to_string(i) + "]";
    check_size(field.c_str(), hidden[i], 1, kMaxDim);
  }
  if (hidden.size() > 16) fail(ErrorCode::kInvalidArgument, "spec.hidden has more than 16 layers");
  if (kind == HeadKind::kMlp && static_cast<int64_t>(action_dims) * bins > kMaxDim)
    fail(ErrorCode::kInvalidArgument, "spec.actionDims * spec.bins is too large for an mlp head");
  if (lora.rank != 0) {
    check_size("lora.rank", lora.rank, 1, 1024);
    if (!std::isfinite(lora.alpha) || lora.alpha <= 0.0f)
      fail(ErrorCode::kInvalidArgument, "spec.lora.alpha must be a finite number > 0");
  }
}

std::vector<LinearShape> HeadSpec::linears() const {
  std::vector<LinearShape> out;
  if (kind == HeadKind::kTokenLinear) {
    out.push_back({"proj", input_dim, bins, Epilogue::kNone});
    return out;
  }
  int in = input_dim;
  for (size_t i = 0; i < hidden.size(); ++i) {
    out.push_back({"layers." + std::to_string(i), in, hidden[i], activation_epilogue(activation)});
    in = hidden[i];
  }
  out.push_back({"layers." + std::to_string(hidden.size()), in, action_dims * bins, Epilogue::kNone});
  return out;
}

std::vector<ParamInfo> HeadSpec::parameters() const {
  std::vector<ParamInfo> out;
  for (const LinearShape& l : linears()) {
    const size_t in = static_cast<size_t>(l.in), o = static_cast<size_t>(l.out);
    out.push_back({l.prefix + ".weight", {l.out, l.in}, o * in, false});
    out.push_back({l.prefix + ".bias", {l.out}, o, false});
    if (lora.rank > 0) {
      const size_t r = static_cast<size_t>(lora.rank);
      out.push_back({l.prefix + ".lora_A", {lora.rank, l.in}, r * in, true});
      out.push_back({l.prefix + ".lora_B", {l.out, lora.rank}, o * r, true});
    }
  }
  return out;
}

std::string HeadSpec::describe() const {
  std::ostringstream s;
  s << head_kind_name(kind) << " in=" << input_dim;
  if (!hidden.empty()) {
    s << " hidden=";
    for (size_t i = 0; i < hidden.size(); ++i) s << (i ? "," : "") << hidden[i];
  }
  s << " D=" << action_dims << " B=" << bins;
  if (lora.rank > 0) s << " lora(r=" << lora.rank << ", alpha=" << lora.alpha << ")";
  return s.str();
}

}  // namespace grape
