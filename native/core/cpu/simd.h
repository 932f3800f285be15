// Thin SIMD wrappers: the CPU kernels (kernels.inl) are written once over these and compiled
// per instruction set (generic, AVX2+FMA+F16C, AVX-512), picked at run time.
#pragma once

#include <cmath>
#include <cstdint>

#include "../half.h"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

// Everything here has internal linkage: each kernels_<isa>.cc gets its own copy built with its
// own flags, so the linker can never hand an AVX-512 body to the generic path.
namespace grape::cpu {
namespace {

struct ScalarVec {
  using V = float;
  static constexpr int kLanes = 1;
  static V zero() { return 0.0f; }
  static V set1(float x) { return x; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V load_half(const uint16_t* p) { return half_to_float(*p); }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fmadd(V a, V b, V c) { return a * b + c; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V min(V a, V b) { return a < b ? a : b; }
  static V abs(V a) { return std::fabs(a); }
  static V round(V a) { return std::nearbyint(a); }
  static V pow2i(V n) { return std::ldexp(1.0f, static_cast<int>(n)); }
  static V negative_sign(V a) { return a < 0.0f ? -1.0f : 1.0f; }
  static bool any_non_finite(V a) { return !std::isfinite(a); }
  static float reduce_add(V v) { return v; }
  static float reduce_max(V v) { return v; }
};

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
struct Avx2Vec {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V load_half(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2i(V n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  }
  static V negative_sign(V a) { return _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(_mm256_set1_ps(-0.0f), a)); }
  static bool any_non_finite(V a) {
    const __m256i exp_mask = _mm256_set1_epi32(0x7f800000);
    const __m256i e = _mm256_and_si256(_mm256_castps_si256(a), exp_mask);
    return _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(e, exp_mask))) != 0;
  }
  static float reduce_add(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float reduce_max(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
#endif

#if defined(__AVX512F__)
struct Avx512Vec {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V load_half(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V abs(V a) { return _mm512_abs_ps(a); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2i(V n) {
    const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
  }
  static V negative_sign(V a) {
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(1.0f)), sign));
  }
  static bool any_non_finite(V a) {
    const __m512i exp_mask = _mm512_set1_epi32(0x7f800000);
    const __m512i e = _mm512_and_si512(_mm512_castps_si512(a), exp_mask);
    return _mm512_cmpeq_epi32_mask(e, exp_mask) != 0;
  }
  static float reduce_add(V v) { return _mm512_reduce_add_ps(v); }
  static float reduce_max(V v) { return _mm512_reduce_max_ps(v); }
};
#endif

// exp (Cephes polynomial, ~2 ulp), clamped to the normal range: inputs below -87 give ~1e-38.
template <class Vec>
inline typename Vec::V vexp(typename Vec::V x) {
  using V = typename Vec::V;
  x = Vec::min(Vec::max(x, Vec::set1(-87.0f)), Vec::set1(88.0f));
  const V fx = Vec::round(Vec::mul(x, Vec::set1(1.44269504088896341f)));
  V r = Vec::fmadd(fx, Vec::set1(-0.693359375f), x);
  r = Vec::fmadd(fx, Vec::set1(2.12194440e-4f), r);
  V p = Vec::set1(1.9875691500e-4f);
  p = Vec::fmadd(p, r, Vec::set1(1.3981999507e-3f));
  p = Vec::fmadd(p, r, Vec::set1(8.3334519073e-3f));
  p = Vec::fmadd(p, r, Vec::set1(4.1665795894e-2f));
  p = Vec::fmadd(p, r, Vec::set1(1.6666665459e-1f));
  p = Vec::fmadd(p, r, Vec::set1(5.0000001201e-1f));
  const V y = Vec::add(Vec::fmadd(Vec::mul(p, r), r, r), Vec::set1(1.0f));
  return Vec::mul(y, Vec::pow2i(fx));
}

// tanh(u) = 1 - 2 / (e^{2u} + 1): saturates cleanly to +-1 through the clamped exp.
template <class Vec>
inline typename Vec::V vtanh(typename Vec::V u) {
  const typename Vec::V e = vexp<Vec>(Vec::add(u, u));
  return Vec::sub(Vec::set1(1.0f), Vec::div(Vec::set1(2.0f), Vec::add(e, Vec::set1(1.0f))));
}

// erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7).
template <class Vec>
inline typename Vec::V verf(typename Vec::V z) {
  using V = typename Vec::V;
  const V a = Vec::abs(z);
  const V t = Vec::div(Vec::set1(1.0f), Vec::fmadd(Vec::set1(0.3275911f), a, Vec::set1(1.0f)));
  V p = Vec::set1(1.061405429f);
  p = Vec::fmadd(p, t, Vec::set1(-1.453152027f));
  p = Vec::fmadd(p, t, Vec::set1(1.421413741f));
  p = Vec::fmadd(p, t, Vec::set1(-0.284496736f));
  p = Vec::fmadd(p, t, Vec::set1(0.254829592f));
  p = Vec::mul(p, t);
  const V e = vexp<Vec>(Vec::sub(Vec::zero(), Vec::mul(a, a)));
  return Vec::mul(Vec::negative_sign(z), Vec::sub(Vec::set1(1.0f), Vec::mul(p, e)));
}

constexpr float kGeluK = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluC = 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// GELU, tanh form: 0.5 x (1 + tanh(k (x + c x^3))).
template <class Vec>
inline typename Vec::V vgelu_tanh(typename Vec::V x) {
  using V = typename Vec::V;
  const V u = Vec::mul(Vec::set1(kGeluK), Vec::fmadd(Vec::set1(kGeluC), Vec::mul(Vec::mul(x, x), x), x));
  return Vec::mul(Vec::mul(Vec::set1(0.5f), x), Vec::add(Vec::set1(1.0f), vtanh<Vec>(u)));
}

// d/dx of the tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2).
template <class Vec>
inline typename Vec::V vgelu_tanh_grad(typename Vec::V x) {
  using V = typename Vec::V;
  const V x2 = Vec::mul(x, x);
  const V t = vtanh<Vec>(Vec::mul(Vec::set1(kGeluK), Vec::fmadd(Vec::set1(kGeluC), Vec::mul(x2, x), x)));
  const V du = Vec::mul(Vec::set1(kGeluK), Vec::fmadd(Vec::set1(3.0f * kGeluC), x2, Vec::set1(1.0f)));
  const V left = Vec::mul(Vec::set1(0.5f), Vec::add(Vec::set1(1.0f), t));
  const V right = Vec::mul(Vec::mul(Vec::mul(Vec::set1(0.5f), x), Vec::sub(Vec::set1(1.0f), Vec::mul(t, t))), du);
  return Vec::add(left, right);
}

// GELU, erf form: 0.5 x (1 + erf(x / sqrt 2)).
template <class Vec>
inline typename Vec::V vgelu_erf(typename Vec::V x) {
  using V = typename Vec::V;
  const V erf = verf<Vec>(Vec::mul(x, Vec::set1(kInvSqrt2)));
  return Vec::mul(Vec::mul(Vec::set1(0.5f), x), Vec::add(Vec::set1(1.0f), erf));
}

// d/dx of the erf form: 0.5 (1 + erf(x / sqrt 2)) + x phi(x).
template <class Vec>
inline typename Vec::V vgelu_erf_grad(typename Vec::V x) {
  using V = typename Vec::V;
  const V cdf = Vec::mul(Vec::set1(0.5f), Vec::add(Vec::set1(1.0f), verf<Vec>(Vec::mul(x, Vec::set1(kInvSqrt2)))));
  const V pdf = Vec::mul(Vec::set1(kInvSqrt2Pi), vexp<Vec>(Vec::mul(Vec::set1(-0.5f), Vec::mul(x, x))));
  return Vec::fmadd(x, pdf, cdf);
}

}  // namespace
}  // namespace grape::cpu
