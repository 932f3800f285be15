// Every CPU kernel table this machine can run (generic, avx2, avx512) against a double reference.
#include <algorithm>
#include <cstring>
#include <string>

#include "check.h"
#include "core/cpu/cpu_backend.h"
#include "core/cpu/kernels.h"
#include "reference.h"

using grape::Epilogue;
using grape::SampleParams;
using grape::cpu::CpuKernels;

namespace {

std::vector<float> run_linear(const CpuKernels& k, const std::vector<float>& x, size_t rows, int in,
                              const std::vector<float>& w, const std::vector<float>& b, int out, Epilogue ep) {
  const size_t padded = static_cast<size_t>((out + k.nr - 1) / k.nr) * k.nr;
  std::vector<float> packed(padded * in), bias(padded, 0.0f), y(rows * out);
  k.pack_weights(w.data(), out, in, packed.data());
  std::copy(b.begin(), b.end(), bias.begin());
  const size_t kc = static_cast<size_t>(std::min(in, grape::cpu::kKc));
  std::vector<float> scratch((rows + k.mr - 1) / k.mr * k.mr * kc);
  k.linear(x.data(), rows, in, packed.data(), bias.data(), out, ep, y.data(), scratch.data());
  return y;
}

}  // namespace

TEST(linear_matches_reference_for_every_isa_and_shape) {
  struct Shape {
    size_t rows;
    int in, out;
  };
  const Shape shapes[] = {{1, 1, 1}, {5, 3, 17}, {13, 300, 33}, {48, 512, 256}, {7, 257, 100}, {25, 64, 1792}};
  const Epilogue eps[] = {Epilogue::kNone, Epilogue::kGeluTanh, Epilogue::kGeluErf};
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    uint32_t seed = 1;
    for (const Shape& s : shapes) {
      for (Epilogue ep : eps) {
        const auto x = reference::random_vector(s.rows * s.in, seed++, 1.0f);
        const auto w = reference::random_vector(static_cast<size_t>(s.out) * s.in, seed++, 0.2f);
        const auto b = reference::random_vector(s.out, seed++, 0.5f);
        const auto y = run_linear(*k, x, s.rows, s.in, w, b, s.out, ep);
        const auto ref =
            reference::linear(std::vector<double>(x.begin(), x.end()), s.rows, s.in, w.data(), b.data(), s.out, ep);
        double worst = 0.0;
        for (size_t i = 0; i < y.size(); ++i)
          worst = std::max(worst, std::fabs(y[i] - ref[i]) / (1.0 + std::fabs(ref[i])));
        CHECK_MSG(worst < 2e-5, std::string(k->isa) + " rows=" + std::to_string(s.rows) +
                                    " in=" + std::to_string(s.in) + " out=" + std::to_string(s.out) +
                                    " err=" + std::to_string(worst));
      }
    }
  }
}

TEST(log_softmax_gather_is_stable_near_1e4) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    for (int B : {2, 7, 31, 33, 256, 1000}) {
      const size_t steps = 3;
      const int D = 4;
      auto z = reference::random_vector(steps * D * B, static_cast<uint32_t>(B), 5.0f);
      z[0] = 1e4f;  // a huge logit, and a very negative one in another row
      z[B + 1] = -1e4f;
      std::vector<int32_t> tok(steps * D);
      for (size_t i = 0; i < tok.size(); ++i) tok[i] = static_cast<int32_t>((i * 7919) % B);
      std::vector<float> step(steps), dim(steps * D);
      k->log_softmax_gather(z.data(), steps, D, B, tok.data(), step.data(), dim.data());
      std::vector<double> zd(z.begin(), z.end());
      for (size_t s = 0; s < steps; ++s) {
        double total = 0.0;
        for (int d = 0; d < D; ++d) {
          const size_t row = s * D + d;
          const double ref = reference::log_softmax_at(zd.data() + row * B, B, tok[row]);
          CHECK_NEAR(dim[row], ref, 1e-4 * (1.0 + std::fabs(ref)));
          total += ref;
        }
        CHECK_NEAR(step[s], total, 1e-4 * (1.0 + std::fabs(total)));
      }
    }
  }
}

TEST(sample_greedy_top1_and_topk_support) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    const int B = 37, D = 2;
    const size_t steps = 50;
    const auto z = reference::random_vector(steps * D * B, 99, 3.0f);
    std::vector<float> scratch(2 * B), step(steps), dim(steps * D);
    std::vector<int32_t> greedy(steps * D), top1(steps * D), top3(steps * D);
    SampleParams p;
    p.temperature = 0.0f;
    k->sample(z.data(), steps, D, B, p, greedy.data(), step.data(), dim.data(), scratch.data());
    p.temperature = 2.0f;
    p.top_k = 1;
    p.seed = 5;
    k->sample(z.data(), steps, D, B, p, top1.data(), step.data(), dim.data(), scratch.data());
    p.top_k = 3;
    k->sample(z.data(), steps, D, B, p, top3.data(), step.data(), dim.data(), scratch.data());
    for (size_t row = 0; row < steps * D; ++row) {
      const float* zr = z.data() + row * B;
      const int32_t argmax = static_cast<int32_t>(std::max_element(zr, zr + B) - zr);
      CHECK(greedy[row] == argmax);
      CHECK(top1[row] == argmax);
      int above = 0;  // the drawn bin must be among the 3 largest
      for (int b = 0; b < B; ++b) above += zr[b] > zr[top3[row]];
      CHECK(above < 3);
      // The reported log-likelihood is untempered.
      std::vector<double> zd(zr, zr + B);
      CHECK_NEAR(dim[row], reference::log_softmax_at(zd.data(), B, top3[row]), 1e-4);
    }
  }
}

TEST(sample_frequencies_follow_the_tempered_softmax) {
  const float z[4] = {0.0f, 1.0f, 2.0f, -1.0f};
  const float T = 1.5f;
  double p[4], total = 0.0;
  for (int b = 0; b < 4; ++b) total += p[b] = std::exp(z[b] / T);
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    const size_t n = 20000;
    std::vector<float> logits(n * 4);
    for (size_t s = 0; s < n; ++s) std::memcpy(&logits[s * 4], z, sizeof z);
    std::vector<int32_t> tok(n);
    std::vector<float> step(n), scratch(8);
    SampleParams sp;
    sp.temperature = T;
    sp.seed = 42;
    k->sample(logits.data(), n, 1, 4, sp, tok.data(), step.data(), nullptr, scratch.data());
    int count[4] = {0, 0, 0, 0};
    for (int32_t t : tok) ++count[t];
    for (int b = 0; b < 4; ++b) {
      const double expect = p[b] / total;
      const double sigma = std::sqrt(expect * (1 - expect) / n);
      CHECK_MSG(std::fabs(count[b] / static_cast<double>(n) - expect) < 5 * sigma,
                std::string(k->isa) + " bin " + std::to_string(b));
    }
  }
}

TEST(sample_top_k_ties_go_to_lower_indices) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    const int B = 10;
    const size_t n = 200;
    std::vector<float> z(n * B, 1.0f), step(n), scratch(2 * B);
    std::vector<int32_t> tok(n);
    SampleParams sp;
    sp.temperature = 1.0f;
    sp.top_k = 3;
    k->sample(z.data(), n, 1, B, sp, tok.data(), step.data(), nullptr, scratch.data());
    bool seen[3] = {false, false, false};
    for (int32_t t : tok) {
      CHECK(t >= 0 && t < 3);
      if (t >= 0 && t < 3) seen[t] = true;
    }
    CHECK(seen[0] && seen[1] && seen[2]);
  }
}

TEST(half_conversion_and_non_finite_scan) {
  const uint16_t bits[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x0000, 0x8000, 0x3555};
  const float want[] = {1.0f, -2.0f, 65504.0f, 5.9604645e-8f, 0.0f, -0.0f, 0.33325195f};
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    std::vector<uint16_t> src;
    for (int rep = 0; rep < 6; ++rep) src.insert(src.end(), std::begin(bits), std::end(bits));
    std::vector<float> dst(src.size());
    k->half_to_float(src.data(), dst.data(), src.size());
    for (size_t i = 0; i < src.size(); ++i) CHECK(dst[i] == want[i % 7]);
    std::vector<float> x(45, 1.0f);
    CHECK(k->find_non_finite(x.data(), x.size()) == -1);
    x[33] = INFINITY;
    CHECK(k->find_non_finite(x.data(), x.size()) == 33);
    x[3] = NAN;
    CHECK(k->find_non_finite(x.data(), x.size()) == 3);
  }
}

TEST(gemm_all_transposes_match_reference) {
  struct Shape {
    size_t M, N, K;
  };
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    uint32_t seed = 50;
    for (const Shape s : {Shape{1, 1, 1}, Shape{7, 19, 3}, Shape{33, 5, 300}, Shape{64, 40, 513}, Shape{5, 3, 0}}) {
      for (int mode = 0; mode < 8; ++mode) {
        const bool ta = mode & 1, tb = mode & 2, acc = mode & 4;
        const size_t lda = (ta ? s.M : s.K) + 2, ldb = (tb ? s.K : s.N) + 1, ldc = s.N + 3;
        const auto A = reference::random_vector((ta ? s.K : s.M) * lda + 1, seed++, 1.0f);
        const auto B = reference::random_vector((tb ? s.N : s.K) * ldb + 1, seed++, 1.0f);
        auto C = reference::random_vector(s.M * ldc, seed++, 1.0f);
        const std::vector<float> C0 = C;
        std::vector<float> scratch(grape::cpu::gemm_scratch_floats(*k, s.M, s.K));
        k->gemm(ta, tb, s.M, s.N, s.K, 0.5f, A.data(), lda, B.data(), ldb, acc, C.data(), ldc, scratch.data());
        double worst = 0.0;
        for (size_t i = 0; i < s.M; ++i)
          for (size_t j = 0; j < s.N; ++j) {
            double r = acc ? C0[i * ldc + j] : 0.0;
            for (size_t q = 0; q < s.K; ++q)
              r += 0.5 * static_cast<double>(ta ? A[q * lda + i] : A[i * lda + q]) *
                   (tb ? B[j * ldb + q] : B[q * ldb + j]);
            worst = std::max(worst, std::fabs(C[i * ldc + j] - r) / (1.0 + std::fabs(r)));
          }
        CHECK_MSG(worst < 1e-5, std::string(k->isa) + " M=" + std::to_string(s.M) + " N=" + std::to_string(s.N) +
                                    " K=" + std::to_string(s.K) + " mode=" + std::to_string(mode));
        for (size_t i = 0; i < s.M; ++i)  // padding columns of C are left alone
          for (size_t j = s.N; j < ldc; ++j) CHECK(C[i * ldc + j] == C0[i * ldc + j]);
      }
    }
  }
}

TEST(activation_gradients_match_finite_differences) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    for (Epilogue ep : {Epilogue::kGeluTanh, Epilogue::kGeluErf}) {
      const size_t n = 37;
      auto pre = reference::random_vector(n, 3, 4.0f);
      pre[0] = 12.0f;
      pre[1] = -12.0f;
      std::vector<float> grad(n, 1.0f), post(n);
      k->activation_backward(pre.data(), n, ep, grad.data());
      k->activation(pre.data(), n, ep, post.data());
      for (size_t i = 0; i < n; ++i) {
        const double h = 1e-4;
        const double fd = (reference::gelu(pre[i] + h, ep) - reference::gelu(pre[i] - h, ep)) / (2 * h);
        CHECK_MSG(std::fabs(grad[i] - fd) < 2e-5, std::string(k->isa) + " x=" + std::to_string(pre[i]));
        CHECK_NEAR(post[i], reference::gelu(pre[i], ep), 2e-6 * (1 + std::fabs(pre[i])));
      }
    }
  }
}

TEST(log_softmax_gather_backward_is_coef_times_onehot_minus_softmax) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    const int D = 3, B = 37;
    const size_t steps = 2;
    auto z = reference::random_vector(steps * D * B, 8, 6.0f);
    const std::vector<float> z0 = z;
    const std::vector<int32_t> tok = {0, 5, 36, 17, 2, 9};
    const float coef[2] = {0.5f, -2.0f};
    k->log_softmax_gather_backward(z.data(), steps, D, B, tok.data(), coef);
    for (size_t row = 0; row < steps * D; ++row) {
      double m = -1e300, s = 0.0;
      for (int b = 0; b < B; ++b) m = std::max(m, static_cast<double>(z0[row * B + b]));
      for (int b = 0; b < B; ++b) s += std::exp(z0[row * B + b] - m);
      for (int b = 0; b < B; ++b) {
        const double p = std::exp(z0[row * B + b] - m) / s;
        const double want = coef[row / D] * ((b == tok[row] ? 1.0 : 0.0) - p);
        CHECK_NEAR(z[row * B + b], want, 1e-6);
      }
    }
  }
}

TEST(column_sums_and_adamw) {
  for (const CpuKernels* k : grape::cpu::usable_kernels()) {
    const auto x = reference::random_vector(5 * 19, 2, 1.0f);
    std::vector<float> out(19, 1.0f);
    k->add_column_sums(x.data(), 5, 19, out.data());
    for (size_t c = 0; c < 19; ++c) {
      double want = 1.0;
      for (size_t r = 0; r < 5; ++r) want += x[r * 19 + c];
      CHECK_NEAR(out[c], want, 1e-5);
    }
    CHECK_NEAR(
        k->sum_squares(x.data(), x.size()),
        [&] {
          double s = 0.0;
          for (float v : x) s += static_cast<double>(v) * v;
          return s;
        }(),
        1e-9);
    std::vector<float> p = {1.0f, -2.0f}, g = {0.5f, 0.25f}, m = {0.1f, 0.0f}, v = {0.01f, 0.0f};
    grape::AdamWParams a;
    a.lr = 0.1f;
    a.weight_decay = 0.01f;
    a.grad_scale = 0.5f;
    a.step = 3;
    k->adamw(p.data(), g.data(), m.data(), v.data(), 2, a);
    const double g0 = 0.25, m0 = 0.9 * 0.1 + 0.1 * g0, v0 = 0.999 * 0.01 + 0.001 * g0 * g0;
    const double want = 1.0 * (1 - 0.1 * 0.01) -
                        0.1 * (m0 / (1 - std::pow(0.9, 3))) / (std::sqrt(v0 / (1 - std::pow(0.999, 3))) + 1e-8);
    CHECK_NEAR(p[0], want, 1e-6);
    CHECK_NEAR(m[0], m0, 1e-7);
    CHECK_NEAR(v[0], v0, 1e-8);
  }
}

int main() { return check::run_all(); }
