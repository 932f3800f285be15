// CPU kernels, written once over a SIMD wrapper (simd.h) and compiled per instruction set by
// kernels_<isa>.cc. Rules for this file: internal linkage only, and no std templates that emit
// out-of-line code (vector, algorithm): a weak symbol compiled with AVX flags could otherwise be
// picked by the linker for the generic path. Scratch memory comes from the caller.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "../rng.h"
#include "kernels.h"
#include "simd.h"

namespace grape::cpu {
namespace {

constexpr float kNegInf = -INFINITY;

inline float max_f(float a, float b) { return a > b ? a : b; }
inline size_t min_z(size_t a, size_t b) { return a < b ? a : b; }

// k-th largest (k >= 1) of x[0, n), reordering x (quickselect).
float kth_largest(float* x, int n, int k) {
  int lo = 0, hi = n - 1;
  const int target = k - 1;  // index in descending order
  while (lo < hi) {
    const float pivot = x[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (x[i] > pivot) ++i;
      while (x[j] < pivot) --j;
      if (i <= j) {
        const float t = x[i];
        x[i] = x[j];
        x[j] = t;
        ++i;
        --j;
      }
    }
    if (target <= j)
      hi = j;
    else if (target >= i)
      lo = i;
    else
      return x[target];
  }
  return x[target];
}

template <class Vec, int MR, int NV>
struct Impl {
  using V = typename Vec::V;
  static constexpr int L = Vec::kLanes;
  static constexpr int NR = NV * L;

  static void pack_weights(const float* w, int out, int in, float* packed) {
    const int panels = (out + NR - 1) / NR;
    for (int j = 0; j < panels; ++j) {
      float* dst = packed + static_cast<size_t>(j) * NR * in;
      for (int c = 0; c < NR; ++c) {
        const int o = j * NR + c;
        for (int k = 0; k < in; ++k)
          dst[static_cast<size_t>(k) * NR + c] = o < out ? w[static_cast<size_t>(o) * in + k] : 0.0f;
      }
    }
  }

  // C[M, n] (+)= A_panel[kc][MR] * B_panel[kc][NR]; the first pass starts from zero and the last
  // adds the bias (when given) to the finished sum, so that x W^T + b equals (x W^T) + b computed
  // in two steps, as the trainer's cached frozen product does.
  template <int M>
  static void micro(int kc, const float* a, const float* b, float* c, size_t ldc, int n, bool first,
                    const float* bias) {
    V acc[M][NV];
    float tile[M * NR];
    const bool full = n == NR;
    if (first) {
      for (int i = 0; i < M; ++i)
        for (int v = 0; v < NV; ++v) acc[i][v] = Vec::zero();
    } else {
      const float* src = c;
      size_t ld = ldc;
      if (!full) {
        for (int i = 0; i < M; ++i)
          for (int j = 0; j < NR; ++j) tile[i * NR + j] = j < n ? c[i * ldc + j] : 0.0f;
        src = tile;
        ld = NR;
      }
      for (int i = 0; i < M; ++i)
        for (int v = 0; v < NV; ++v) acc[i][v] = Vec::load(src + i * ld + v * L);
    }
    for (int k = 0; k < kc; ++k) {
      V bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = Vec::load(b + k * NR + v * L);
      for (int i = 0; i < M; ++i) {
        const V av = Vec::set1(a[k * MR + i]);
        for (int v = 0; v < NV; ++v) acc[i][v] = Vec::fmadd(av, bv[v], acc[i][v]);
      }
    }
    if (bias) {
      for (int v = 0; v < NV; ++v) {
        const V bv = Vec::load(bias + v * L);
        for (int i = 0; i < M; ++i) acc[i][v] = Vec::add(acc[i][v], bv);
      }
    }
    if (full) {
      for (int i = 0; i < M; ++i)
        for (int v = 0; v < NV; ++v) Vec::store(c + i * ldc + v * L, acc[i][v]);
      return;
    }
    for (int i = 0; i < M; ++i)
      for (int v = 0; v < NV; ++v) Vec::store(tile + i * NR + v * L, acc[i][v]);
    for (int i = 0; i < M; ++i) std::memcpy(c + i * ldc, tile + i * NR, sizeof(float) * n);
  }

  using MicroFn = void (*)(int, const float*, const float*, float*, size_t, int, bool, const float*);
  template <size_t... I>
  static constexpr std::array<MicroFn, MR> micro_table(std::index_sequence<I...>) {
    return {&micro<static_cast<int>(I) + 1>...};
  }

  template <class F>
  static void map_inplace(float* y, size_t n, F f) {
    size_t i = 0;
    for (; i + L <= n; i += L) Vec::store(y + i, f(Vec::load(y + i)));
    for (; i < n; ++i) y[i] = f.scalar(y[i]);
  }
  struct GeluTanh {
    V operator()(V x) const { return vgelu_tanh<Vec>(x); }
    float scalar(float x) const { return vgelu_tanh<ScalarVec>(x); }
  };
  struct GeluErf {
    V operator()(V x) const { return vgelu_erf<Vec>(x); }
    float scalar(float x) const { return vgelu_erf<ScalarVec>(x); }
  };

  static void linear(const float* x, size_t rows, int in, const float* packed, const float* bias, int out, Epilogue ep,
                     float* y, float* a_scratch) {
    static constexpr std::array<MicroFn, MR> kMicro = micro_table(std::make_index_sequence<MR>());
    const size_t row_panels = (rows + MR - 1) / MR;
    const int col_panels = (out + NR - 1) / NR;
    for (int k0 = 0; k0 < in; k0 += kKc) {
      const int kc = in - k0 < kKc ? in - k0 : kKc;
      for (size_t p = 0; p < row_panels; ++p) {
        float* dst = a_scratch + p * MR * kc;
        for (int i = 0; i < MR; ++i) {
          const size_t r = p * MR + i;
          if (r < rows) {
            const float* src = x + r * in + k0;
            for (int k = 0; k < kc; ++k) dst[k * MR + i] = src[k];
          } else {
            for (int k = 0; k < kc; ++k) dst[k * MR + i] = 0.0f;
          }
        }
      }
      for (int j = 0; j < col_panels; ++j) {
        const float* bp = packed + static_cast<size_t>(j) * NR * in + static_cast<size_t>(k0) * NR;
        const int n = out - j * NR < NR ? out - j * NR : NR;
        for (size_t p = 0; p < row_panels; ++p) {
          const int m = static_cast<int>(min_z(MR, rows - p * MR));
          kMicro[m - 1](kc, a_scratch + p * MR * kc, bp, y + p * MR * out + j * NR, out, n, k0 == 0,
                        k0 + kc == in ? bias + j * NR : nullptr);
        }
      }
    }
    if (ep == Epilogue::kGeluTanh) map_inplace(y, rows * out, GeluTanh{});
    if (ep == Epilogue::kGeluErf) map_inplace(y, rows * out, GeluErf{});
  }

  static float row_max(const float* z, int B) {
    int b = 0;
    float m = kNegInf;
    if (B >= L) {
      V mv = Vec::load(z);
      for (b = L; b + L <= B; b += L) mv = Vec::max(mv, Vec::load(z + b));
      m = Vec::reduce_max(mv);
    }
    for (; b < B; ++b) m = max_f(m, z[b]);
    return m;
  }

  // log sum exp of one row of B logits, stable for any finite values.
  static float row_lse(const float* z, int B) {
    const float m = row_max(z, B);
    const V mv = Vec::set1(m);
    V sv = Vec::zero();
    int b = 0;
    for (; b + L <= B; b += L) sv = Vec::add(sv, vexp<Vec>(Vec::sub(Vec::load(z + b), mv)));
    float s = Vec::reduce_add(sv);
    for (; b < B; ++b) s += vexp<ScalarVec>(z[b] - m);
    return m + std::log(s);
  }

  static void log_softmax_gather(const float* z, size_t steps, int D, int B, const int32_t* tokens, float* step_logp,
                                 float* dim_logp) {
    for (size_t s = 0; s < steps; ++s) {
      float total = 0.0f;
      for (int d = 0; d < D; ++d) {
        const size_t row = s * D + d;
        const float* zr = z + row * B;
        const float lp = zr[tokens[row]] - row_lse(zr, B);
        if (dim_logp) dim_logp[row] = lp;
        total += lp;
      }
      step_logp[s] = total;
    }
  }

  static int32_t argmax(const float* z, int B) {
    int32_t best = 0;
    for (int b = 1; b < B; ++b)
      if (z[b] > z[best]) best = b;
    return best;
  }

  // One draw from softmax(z / T) over the top-k bins; ties at the k-th value go to lower indices.
  static int32_t draw(const float* z, int B, const SampleParams& p, uint64_t step, int d, float* scratch) {
    const int k = p.top_k > 0 && p.top_k < B ? p.top_k : B;
    float threshold = kNegInf;
    int ties_allowed = B;
    if (k < B) {
      std::memcpy(scratch, z, sizeof(float) * B);
      threshold = kth_largest(scratch, B, k);
      int above = 0;
      for (int b = 0; b < B; ++b) above += z[b] > threshold;
      ties_allowed = k - above;
    }
    float* w = scratch + B;
    const float m = row_max(z, B);
    const float inv_t = 1.0f / p.temperature;
    int b = 0;
    for (; b + L <= B; b += L)
      Vec::store(w + b, vexp<Vec>(Vec::mul(Vec::sub(Vec::load(z + b), Vec::set1(m)), Vec::set1(inv_t))));
    for (; b < B; ++b) w[b] = vexp<ScalarVec>((z[b] - m) * inv_t);
    float total = 0.0f;
    int32_t last = 0;
    for (b = 0; b < B; ++b) {
      const bool keep = z[b] > threshold || (z[b] == threshold && ties_allowed-- > 0);
      if (!keep) {
        w[b] = 0.0f;
        continue;
      }
      total += w[b];
      last = b;
    }
    const float target = uniform01(p.seed, p.first_step + step, static_cast<uint64_t>(d)) * total;
    float cum = 0.0f;
    for (b = 0; b < B; ++b) {
      if (w[b] == 0.0f) continue;
      cum += w[b];
      if (target < cum) return b;
    }
    return last;
  }

  static void sample(const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens,
                     float* step_logp, float* dim_logp, float* row_scratch) {
    for (size_t s = 0; s < steps; ++s) {
      float total = 0.0f;
      for (int d = 0; d < D; ++d) {
        const size_t row = s * D + d;
        const float* zr = z + row * B;
        const int32_t t = p.temperature == 0.0f ? argmax(zr, B) : draw(zr, B, p, s, d, row_scratch);
        tokens[row] = t;
        const float lp = zr[t] - row_lse(zr, B);
        if (dim_logp) dim_logp[row] = lp;
        total += lp;
      }
      step_logp[s] = total;
    }
  }

  static void half_to_float_n(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + L <= n; i += L) Vec::store(dst + i, Vec::load_half(src + i));
    for (; i < n; ++i) dst[i] = half_to_float(src[i]);
  }

  static ptrdiff_t find_non_finite(const float* x, size_t n) {
    size_t i = 0;
    for (; i + L <= n; i += L) {
      if (!Vec::any_non_finite(Vec::load(x + i))) continue;
      for (size_t j = i; j < i + L; ++j)
        if (!std::isfinite(x[j])) return static_cast<ptrdiff_t>(j);
    }
    for (; i < n; ++i)
      if (!std::isfinite(x[i])) return static_cast<ptrdiff_t>(i);
    return -1;
  }

  // ---- training kernels ----

  static void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha, const float* A, size_t lda,
                   const float* B, size_t ldb, bool accumulate, float* C, size_t ldc, float* scratch) {
    static constexpr std::array<MicroFn, MR> kMicro = micro_table(std::make_index_sequence<MR>());
    if (M == 0 || N == 0) return;
    const size_t row_panels = (M + MR - 1) / MR;
    const size_t kc_max = K < static_cast<size_t>(kKc) ? K : static_cast<size_t>(kKc);
    float* a_pack = scratch;
    float* b_pack = a_pack + row_panels * MR * kc_max;
    if (K == 0) {  // an empty product: C = 0 (or unchanged when accumulating)
      if (!accumulate)
        for (size_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, sizeof(float) * N);
      return;
    }
    for (size_t k0 = 0; k0 < K; k0 += kKc) {
      const size_t kc = min_z(static_cast<size_t>(kKc), K - k0);
      // a_pack[p][k][i] = alpha * op(A)[p*MR + i][k0 + k], zero rows past M.
      for (size_t p = 0; p < row_panels; ++p) {
        float* dst = a_pack + p * MR * kc;
        for (size_t k = 0; k < kc; ++k)
          for (int i = 0; i < MR; ++i) {
            const size_t r = p * MR + i;
            dst[k * MR + i] = r < M ? alpha * (trans_a ? A[(k0 + k) * lda + r] : A[r * lda + k0 + k]) : 0.0f;
          }
      }
      for (size_t j0 = 0; j0 < N; j0 += NR) {
        const int n = static_cast<int>(min_z(NR, N - j0));
        for (size_t k = 0; k < kc; ++k)
          for (int c = 0; c < NR; ++c) {
            const size_t col = j0 + c;
            b_pack[k * NR + c] = col < N ? (trans_b ? B[col * ldb + k0 + k] : B[(k0 + k) * ldb + col]) : 0.0f;
          }
        for (size_t p = 0; p < row_panels; ++p) {
          const int m = static_cast<int>(min_z(MR, M - p * MR));
          kMicro[m - 1](static_cast<int>(kc), a_pack + p * MR * kc, b_pack, C + p * MR * ldc + j0, ldc, n,
                        k0 == 0 && !accumulate, nullptr);
        }
      }
    }
  }

  static void activation(const float* pre, size_t n, Epilogue ep, float* post) {
    std::memcpy(post, pre, sizeof(float) * n);
    if (ep == Epilogue::kGeluTanh) map_inplace(post, n, GeluTanh{});
    if (ep == Epilogue::kGeluErf) map_inplace(post, n, GeluErf{});
  }

  static void activation_backward(const float* pre, size_t n, Epilogue ep, float* grad) {
    if (ep == Epilogue::kNone) return;
    const bool erf = ep == Epilogue::kGeluErf;
    size_t i = 0;
    for (; i + L <= n; i += L) {
      const V x = Vec::load(pre + i);
      Vec::store(grad + i, Vec::mul(Vec::load(grad + i), erf ? vgelu_erf_grad<Vec>(x) : vgelu_tanh_grad<Vec>(x)));
    }
    for (; i < n; ++i) grad[i] *= erf ? vgelu_erf_grad<ScalarVec>(pre[i]) : vgelu_tanh_grad<ScalarVec>(pre[i]);
  }

  static void log_softmax_gather_backward(float* z, size_t steps, int D, int B, const int32_t* tokens,
                                          const float* coef) {
    for (size_t s = 0; s < steps; ++s) {
      for (int d = 0; d < D; ++d) {
        const size_t row = s * D + d;
        float* zr = z + row * B;
        const float lse = row_lse(zr, B);
        const float c = coef[s];
        // dlogp/dz = onehot - softmax; softmax = exp(z - lse).
        const V cv = Vec::set1(-c), lv = Vec::set1(lse);
        int b = 0;
        for (; b + L <= B; b += L) Vec::store(zr + b, Vec::mul(cv, vexp<Vec>(Vec::sub(Vec::load(zr + b), lv))));
        for (; b < B; ++b) zr[b] = -c * vexp<ScalarVec>(zr[b] - lse);
        zr[tokens[row]] += c;
      }
    }
  }

  static void add_column_sums(const float* x, size_t rows, size_t cols, float* out) {
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols;
      size_t c = 0;
      for (; c + L <= cols; c += L) Vec::store(out + c, Vec::add(Vec::load(out + c), Vec::load(xr + c)));
      for (; c < cols; ++c) out[c] += xr[c];
    }
  }

  static double sum_squares(const float* x, size_t n) {
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
    return total;
  }

  static void adamw(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p) {
    const float bc1 = 1.0f - std::pow(p.beta1, static_cast<float>(p.step));
    const float bc2 = 1.0f - std::pow(p.beta2, static_cast<float>(p.step));
    const float decay = 1.0f - p.lr * p.weight_decay;
    for (size_t i = 0; i < n; ++i) {
      const float g = grads[i] * p.grad_scale;
      m[i] = p.beta1 * m[i] + (1.0f - p.beta1) * g;
      v[i] = p.beta2 * v[i] + (1.0f - p.beta2) * g * g;
      params[i] = params[i] * decay - p.lr * (m[i] / bc1) / (std::sqrt(v[i] / bc2) + p.eps);
    }
  }

  static CpuKernels table(const char* isa) {
    return CpuKernels{isa,
                      MR,
                      NR,
                      &pack_weights,
                      &linear,
                      &log_softmax_gather,
                      &sample,
                      &half_to_float_n,
                      &find_non_finite,
                      &gemm,
                      &activation,
                      &activation_backward,
                      &log_softmax_gather_backward,
                      &add_column_sums,
                      &sum_squares,
                      &adamw};
  }
};

}  // namespace
}  // namespace grape::cpu
