// Naive double-precision reference of the head math, and seeded test data, for the C++ tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/head_spec.h"

namespace reference {

inline std::vector<float> random_vector(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

inline double gelu(double x, grape::Epilogue ep) {
  if (ep == grape::Epilogue::kGeluErf) return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  if (ep == grape::Epilogue::kGeluTanh)
    return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  return x;
}

// y[rows, out] = x W^T + b, epilogue; all in double.
template <class T>
inline std::vector<double> linear(const std::vector<double>& x, size_t rows, int in, const T* w, const T* b, int out,
                                  grape::Epilogue ep) {
  std::vector<double> y(rows * out);
  for (size_t r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      double s = b[o];
      for (int k = 0; k < in; ++k) s += x[r * in + k] * static_cast<double>(w[static_cast<size_t>(o) * in + k]);
      y[r * out + o] = gelu(s, ep);
    }
  return y;
}

// Logits [steps, D, B] of a head in double, LoRA applied unmerged; T is float or double.
template <class T>
inline std::vector<double> head_logits(const grape::HeadSpec& spec, const std::map<std::string, std::vector<T>>& p,
                                       const std::vector<float>& features, size_t steps) {
  size_t rows = steps * spec.rows_per_step();
  std::vector<double> h(features.begin(), features.end());
  for (const grape::LinearShape& l : spec.linears()) {
    std::vector<double> y = linear(h, rows, l.in, p.at(l.prefix + ".weight").data(), p.at(l.prefix + ".bias").data(),
                                   l.out, grape::Epilogue::kNone);
    if (spec.lora.rank > 0) {
      const int r = spec.lora.rank;
      const std::vector<T>& A = p.at(l.prefix + ".lora_A");
      const std::vector<T>& Bm = p.at(l.prefix + ".lora_B");
      for (size_t row = 0; row < rows; ++row) {
        std::vector<double> xa(r, 0.0);
        for (int k = 0; k < r; ++k)
          for (int i = 0; i < l.in; ++i) xa[k] += h[row * l.in + i] * A[static_cast<size_t>(k) * l.in + i];
        for (int o = 0; o < l.out; ++o) {
          double s = 0.0;
          for (int k = 0; k < r; ++k) s += xa[k] * Bm[static_cast<size_t>(o) * r + k];
          y[row * l.out + o] += spec.lora.scale() * s;
        }
      }
    }
    for (double& v : y) v = gelu(v, l.epilogue);
    h = std::move(y);
  }
  return h;
}

inline double log_softmax_at(const double* z, int B, int token) {
  double m = z[0];
  for (int b = 1; b < B; ++b) m = std::max(m, z[b]);
  double s = 0.0;
  for (int b = 0; b < B; ++b) s += std::exp(z[b] - m);
  return z[token] - m - std::log(s);
}

}  // namespace reference
