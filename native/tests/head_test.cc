// The core Head on the CPU backend against the double reference, plus every error path.
#include "core/head.h"

#include <cstring>

#include "check.h"
#include "core/cpu/cpu_backend.h"
#include "core/error.h"
#include "reference.h"

using grape::ErrorCode;
using grape::HeadKind;
using grape::HeadSpec;

namespace {

std::shared_ptr<grape::Backend> cpu(int threads) {
  return std::make_shared<grape::cpu::CpuBackend>(grape::cpu::select_kernels(), threads);
}

std::map<std::string, std::vector<float>> random_params(const HeadSpec& spec, uint32_t seed) {
  std::map<std::string, std::vector<float>> p;
  for (const grape::ParamInfo& info : spec.parameters())
    p[info.name] = reference::random_vector(info.size, seed++, 0.3f);
  return p;
}

void set_all(grape::Head& head, const std::map<std::string, std::vector<float>>& p) {
  std::vector<grape::NamedParameter> named;
  for (const auto& [name, v] : p) named.push_back({name, v.data(), v.size()});
  head.set_parameters(named);
}

HeadSpec mlp_spec() {
  HeadSpec s;
  s.kind = HeadKind::kMlp;
  s.input_dim = 40;
  s.hidden = {24, 19};
  s.action_dims = 3;
  s.bins = 33;
  return s;
}

HeadSpec token_linear_spec() {
  HeadSpec s;
  s.kind = HeadKind::kTokenLinear;
  s.input_dim = 70;
  s.action_dims = 7;
  s.bins = 50;
  return s;
}

void check_against_reference(const HeadSpec& spec, size_t steps, int threads) {
  grape::Head head(spec, cpu(threads));
  const auto params = random_params(spec, 7);
  set_all(head, params);
  const auto x = reference::random_vector(steps * spec.step_features(), 3, 1.0f);
  grape::FeatureView fv{x.data(), grape::DType::kFloat32, steps, spec.step_features()};
  const size_t D = spec.action_dims, B = spec.bins;
  std::vector<float> logits(steps * D * B);
  head.logits(fv, logits.data());
  const auto ref = reference::head_logits(spec, params, x, steps);
  for (size_t i = 0; i < logits.size(); ++i) CHECK_NEAR(logits[i], ref[i], 1e-4 * (1.0 + std::fabs(ref[i])));
  std::vector<int32_t> tok(steps * D);
  for (size_t i = 0; i < tok.size(); ++i) tok[i] = static_cast<int32_t>((i * 31) % B);
  std::vector<float> lp(steps), dims(steps * D);
  head.log_likelihood(fv, tok.data(), lp.data(), dims.data());
  for (size_t s = 0; s < steps; ++s) {
    double total = 0.0;
    for (size_t d = 0; d < D; ++d) total += reference::log_softmax_at(ref.data() + (s * D + d) * B, B, tok[s * D + d]);
    CHECK_NEAR(lp[s], total, 1e-4 * (1.0 + std::fabs(total)));
  }
}

}  // namespace

TEST(mlp_head_with_lora_matches_reference) {
  HeadSpec spec = mlp_spec();
  check_against_reference(spec, 101, 2);
  spec.lora = {4, 8.0f};
  spec.activation = grape::Activation::kGeluErf;
  check_against_reference(spec, 37, 1);
}

TEST(token_linear_head_matches_reference) {
  HeadSpec spec = token_linear_spec();
  check_against_reference(spec, 29, 2);
  spec.lora = {2, 2.0f};
  check_against_reference(spec, 1, 2);
}

TEST(results_do_not_depend_on_threads_or_batching) {
  const HeadSpec spec = mlp_spec();
  const auto params = random_params(spec, 11);
  const size_t steps = 300;
  const auto x = reference::random_vector(steps * spec.input_dim, 5, 1.0f);
  std::vector<int32_t> tok1(steps * 3), tok2(steps * 3), tok3(3);
  std::vector<float> lp1(steps), lp2(steps), lp3(1);
  grape::SampleParams p;
  p.temperature = 1.3f;
  p.top_k = 10;
  p.seed = 77;
  for (int threads : {1, 2}) {
    grape::Head head(spec, cpu(threads));
    set_all(head, params);
    head.act({x.data(), grape::DType::kFloat32, steps, 40}, p, threads == 1 ? tok1.data() : tok2.data(),
             threads == 1 ? lp1.data() : lp2.data(), nullptr);
  }
  CHECK(tok1 == tok2);
  CHECK(std::memcmp(lp1.data(), lp2.data(), sizeof(float) * steps) == 0);
  // Step 123 alone, with its counter offset, draws what it drew inside the batch.
  grape::Head head(spec, cpu(2));
  set_all(head, params);
  p.first_step = 123;
  head.act({x.data() + 123 * 40, grape::DType::kFloat32, 1, 40}, p, tok3.data(), lp3.data(), nullptr);
  for (int d = 0; d < 3; ++d) CHECK(tok3[d] == tok1[123 * 3 + d]);
}

TEST(segment_sums_respect_mask) {
  const float v[] = {1, 2, 3, 4, 5};
  const int32_t off[] = {0, 2, 2, 5};
  const uint8_t mask[] = {1, 0, 1, 1, 0};
  double sums[3];
  grape::segment_sums(v, 5, nullptr, off, 3, sums);
  CHECK(sums[0] == 3 && sums[1] == 0 && sums[2] == 12);
  grape::segment_sums(v, 5, mask, off, 3, sums);
  CHECK(sums[0] == 1 && sums[1] == 0 && sums[2] == 7);
  const int32_t bad_end[] = {0, 2, 4};
  CHECK_THROWS(grape::segment_sums(v, 5, nullptr, bad_end, 2, sums), ErrorCode::kOutOfRange, "end at the step count 5");
  const int32_t decreasing[] = {0, 3, 2, 5};
  CHECK_THROWS(grape::segment_sums(v, 5, nullptr, decreasing, 3, sums), ErrorCode::kOutOfRange, "segments[2] = 2");
}

TEST(errors_name_what_is_wrong) {
  HeadSpec bad = mlp_spec();
  bad.bins = 1;
  CHECK_THROWS(grape::Head(bad, cpu(1)), ErrorCode::kInvalidArgument, "spec.bins");
  bad = token_linear_spec();
  bad.hidden = {3};
  CHECK_THROWS(grape::Head(bad, cpu(1)), ErrorCode::kInvalidArgument, "spec.hidden must be empty");

  const HeadSpec spec = mlp_spec();
  grape::Head head(spec, cpu(1));
  std::vector<float> x(2 * 40, 0.5f), lp(2);
  std::vector<int32_t> tok(6, 0);
  grape::FeatureView fv{x.data(), grape::DType::kFloat32, 2, 40};
  CHECK_THROWS(head.log_likelihood(fv, tok.data(), lp.data(), nullptr), ErrorCode::kInvalidArgument,
               "parameters not set: layers.0.weight");
  std::vector<float> small(3);
  CHECK_THROWS(head.set_parameters({{"layers.0.bias", small.data(), small.size()}}), ErrorCode::kShapeMismatch,
               "expected 24 for shape [24]");
  CHECK_THROWS(head.set_parameters({{"layers.9.bias", small.data(), small.size()}}), ErrorCode::kInvalidArgument,
               "unknown parameter 'layers.9.bias'");
  auto params = random_params(spec, 1);
  params["layers.1.weight"][5] = NAN;
  CHECK_THROWS(set_all(head, params), ErrorCode::kNonFinite, "'layers.1.weight'[5] is NaN");
  params["layers.1.weight"][5] = 0.0f;
  set_all(head, params);
  x[47] = INFINITY;
  CHECK_THROWS(head.log_likelihood(fv, tok.data(), lp.data(), nullptr), ErrorCode::kNonFinite,
               "features[47] (step 1, element 7) is infinite");
  x[47] = 0.0f;
  tok[4] = 33;
  CHECK_THROWS(head.log_likelihood(fv, tok.data(), lp.data(), nullptr), ErrorCode::kOutOfRange,
               "tokens[4] (step 1, dim 1) = 33 is outside [0, 33)");
  tok[4] = -1;
  CHECK_THROWS(head.log_likelihood(fv, tok.data(), lp.data(), nullptr), ErrorCode::kOutOfRange, "= -1 is outside");
  grape::FeatureView wrong{x.data(), grape::DType::kFloat32, 2, 39};
  CHECK_THROWS(head.logits(wrong, lp.data()), ErrorCode::kShapeMismatch, "expects 40");
  grape::SampleParams p;
  p.temperature = -1.0f;
  CHECK_THROWS(head.act(fv, p, tok.data(), lp.data(), nullptr), ErrorCode::kInvalidArgument, "temperature");
}

TEST(float16_and_bfloat16_features) {
  const HeadSpec spec = token_linear_spec();
  grape::Head head(spec, cpu(2));
  set_all(head, random_params(spec, 3));
  const size_t steps = 5, n = steps * spec.step_features();
  std::vector<uint16_t> half(n), bf(n);
  std::vector<float> as_float(n);
  for (size_t i = 0; i < n; ++i) {
    // Values exactly representable in both formats: k / 8 for small k.
    const float v = static_cast<float>(static_cast<int>(i % 17) - 8) / 8.0f;
    as_float[i] = v;
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bf[i] = static_cast<uint16_t>(bits >> 16);
    const int k = static_cast<int>(i % 17) - 8;  // fp16 of k/8: exponent arithmetic by hand
    if (k == 0) {
      half[i] = 0;
    } else {
      const int a = k < 0 ? -k : k;
      int e = 0;
      while ((a >> e) > 1) ++e;
      const uint16_t mant = static_cast<uint16_t>(((a << (10 - e)) & 0x3ff));
      half[i] = static_cast<uint16_t>((k < 0 ? 0x8000 : 0) | ((e - 3 + 15) << 10) | mant);
    }
  }
  std::vector<float> ref(steps * 7 * 50), h(ref.size()), b(ref.size());
  head.logits({as_float.data(), grape::DType::kFloat32, steps, spec.step_features()}, ref.data());
  head.logits({half.data(), grape::DType::kFloat16, steps, spec.step_features()}, h.data());
  head.logits({bf.data(), grape::DType::kBFloat16, steps, spec.step_features()}, b.data());
  CHECK(std::memcmp(ref.data(), h.data(), sizeof(float) * ref.size()) == 0);
  CHECK(std::memcmp(ref.data(), b.data(), sizeof(float) * ref.size()) == 0);
  half[9] = 0x7e00;  // NaN
  CHECK_THROWS(head.logits({half.data(), grape::DType::kFloat16, steps, spec.step_features()}, h.data()),
               ErrorCode::kNonFinite, "features[9] (step 0, element 9) is NaN (float16)");
}

int main() { return check::run_all(); }
