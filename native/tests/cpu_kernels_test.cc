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

int main() { return check::run_all(); }
