// What an action head is: its kind, sizes and parameters (names and shapes, PyTorch layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace grape {

enum class HeadKind { kMlp, kTokenLinear };
enum class Activation { kGeluTanh, kGeluErf };
// What runs on a linear layer's output before it is stored.
enum class Epilogue { kNone, kGeluTanh, kGeluErf };
// Element type of features crossing from JS.
enum class DType { kFloat32, kFloat16, kBFloat16 };

struct LoraSpec {
  int rank = 0;  // 0: no LoRA
  float alpha = 0.0f;
  float scale() const { return rank > 0 ? alpha / static_cast<float>(rank) : 0.0f; }
};

// One linear layer y = x W^T + b (W is [out, in]); `prefix` names its parameters.
struct LinearShape {
  std::string prefix;
  int in = 0;
  int out = 0;
  Epilogue epilogue = Epilogue::kNone;
};

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  size_t size = 0;
  bool lora = false;  // LoRA factors start at zero; base parameters must be set
};

struct HeadSpec {
  HeadKind kind = HeadKind::kMlp;
  int input_dim = 0;        // F (mlp) or H (token-linear)
  std::vector<int> hidden;  // mlp hidden widths
  int action_dims = 0;      // D
  int bins = 0;             // B
  Activation activation = Activation::kGeluTanh;
  LoraSpec lora;

  // Throws grape::Error naming the bad field.
  void validate() const;

  std::vector<LinearShape> linears() const;
  std::vector<ParamInfo> parameters() const;
  // Rows of the input matrix one step contributes (token-linear: one row per action dim).
  int rows_per_step() const { return kind == HeadKind::kMlp ? 1 : action_dims; }
  // Feature elements per step: F (mlp) or D*H (token-linear).
  size_t step_features() const { return static_cast<size_t>(rows_per_step()) * input_dim; }
  std::string describe() const;
};

const char* head_kind_name(HeadKind kind);
const char* activation_name(Activation activation);

}  // namespace grape
