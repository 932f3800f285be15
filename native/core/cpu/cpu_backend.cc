#include "cpu_backend.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <sstream>
#include <vector>

#include "../error.h"
#include "../feature_check.h"
#include "../half.h"

namespace grape::cpu {

namespace {

// Slots of the CPU workspace; the head and trainer use slots >= 0, these are the backend's own.
constexpr int kFeatureSlot = -1;
constexpr int kPackSlot = -2;
constexpr int kRowSlot = -3;
constexpr int kGemmSlot = -4;
constexpr int kSlotBase = 8;  // slot s lives at buffers_[s + kSlotBase]

// Gradients accumulate in this many lanes, each summing a fixed subset of blocks in order, then
// the lanes are summed in order: the same result for any thread count.
constexpr size_t kGradLanes = 16;

class CpuWorkspace final : public Workspace {
 public:
  float* floats(int slot, size_t count) override { return grow(slot, count * sizeof(float)); }
  int32_t* ints(int slot, size_t count) override { return reinterpret_cast<int32_t*>(grow(slot, count * 4)); }

 private:
  float* grow(int slot, size_t bytes) {
    std::vector<float>& buf = buffers_[slot + kSlotBase];
    const size_t n = (bytes + sizeof(float) - 1) / sizeof(float);
    if (buf.size() < n) buf.resize(n);
    return buf.data();
  }
  std::vector<float> buffers_[64];
};

class CpuBuffer final : public Buffer {
 public:
  explicit CpuBuffer(size_t bytes) : bytes_(bytes), storage_((bytes + sizeof(float) - 1) / sizeof(float)) {}
  void* data() override { return storage_.data(); }
  size_t bytes() const override { return bytes_; }

 private:
  size_t bytes_;
  std::vector<float> storage_;
};

class PackedLinear final : public LinearWeights {
 public:
  std::vector<float> panels;
  std::vector<float> bias;  // padded to a multiple of nr
};

bool cpu_has(const char* feature) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (std::strcmp(feature, "avx512") == 0) return __builtin_cpu_supports("avx512f");
  if (std::strcmp(feature, "avx2") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
  (void)feature;
  return false;
}

}  // namespace

std::vector<const CpuKernels*> usable_kernels() {
  std::vector<const CpuKernels*> out{&generic_kernels()};
  if (cpu_has("avx2") && avx2_kernels()) out.push_back(avx2_kernels());
  if (cpu_has("avx512") && avx512_kernels()) out.push_back(avx512_kernels());
  return out;
}

const CpuKernels& select_kernels() {
  const std::vector<const CpuKernels*> usable = usable_kernels();
  const char* forced = std::getenv("GRAPE_CPU_ISA");
  if (!forced || !*forced) return *usable.back();
  for (const CpuKernels* k : usable)
    if (std::strcmp(k->isa, forced) == 0) return *k;
  fail(ErrorCode::kDevice, std::string("GRAPE_CPU_ISA=") + forced +
                               " is not available (expected generic, avx2 or avx512, supported by this CPU and build)");
}

int default_cpu_threads() {
  if (const char* env = std::getenv("GRAPE_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1 && n <= 256) return n;
    fail(ErrorCode::kInvalidArgument, std::string("GRAPE_THREADS must be an integer in [1, 256], got '") + env + "'");
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

CpuBackend::CpuBackend(const CpuKernels& kernels, int threads) : kernels_(kernels), pool_(threads) {}

std::string CpuBackend::describe() const {
  std::ostringstream s;
  s << "cpu (" << kernels_.isa << ", " << pool_.threads() << (pool_.threads() == 1 ? " thread)" : " threads)");
  return s.str();
}

std::unique_ptr<LinearWeights> CpuBackend::prepare_linear(const float* w, const float* bias, int out, int in) {
  auto p = std::make_unique<PackedLinear>();
  p->in = in;
  p->out = out;
  const size_t padded = static_cast<size_t>((out + kernels_.nr - 1) / kernels_.nr) * kernels_.nr;
  p->panels.resize(padded * in);
  kernels_.pack_weights(w, out, in, p->panels.data());
  p->bias.assign(padded, 0.0f);
  std::memcpy(p->bias.data(), bias, sizeof(float) * out);
  return p;
}

size_t CpuBackend::block_steps(const HeadSpec& spec) const {
  // Keep a block's activations and logits within ~384 KiB (a share of L2), in whole micro-tiles.
  size_t floats_per_step = spec.step_features();
  for (const LinearShape& l : spec.linears()) floats_per_step += static_cast<size_t>(spec.rows_per_step()) * l.out;
  size_t steps = (384 * 1024 / sizeof(float)) / floats_per_step;
  const size_t mr = static_cast<size_t>(kernels_.mr);
  const size_t rows_per_step = static_cast<size_t>(spec.rows_per_step());
  const size_t unit = mr % rows_per_step == 0 ? mr / rows_per_step : mr;
  steps = steps < unit ? unit : steps - steps % unit;
  return steps > 1024 ? 1024 : steps;
}

void CpuBackend::run_blocks(size_t blocks, const std::function<void(size_t, Workspace&)>& fn) {
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  pool_.parallel_for(blocks, [&](size_t block) {
    if (failed.load(std::memory_order_relaxed)) return;
    thread_local CpuWorkspace ws;
    try {
      fn(block, ws);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      failed = true;
    }
  });
  if (first_error) std::rethrow_exception(first_error);
}

void CpuBackend::run_blocks_accumulate(size_t blocks, size_t grad_floats, float* grad,
                                       const std::function<void(size_t, Workspace&, float*)>& fn) {
  std::lock_guard<std::mutex> lock(accumulate_mutex_);
  const size_t lanes = blocks < kGradLanes ? blocks : kGradLanes;
  if (lane_grads_.size() < lanes) lane_grads_.resize(lanes);
  for (size_t l = 0; l < lanes; ++l) lane_grads_[l].assign(grad_floats, 0.0f);
  run_blocks(lanes, [&](size_t lane, Workspace& ws) {
    for (size_t b = lane; b < blocks; b += lanes) fn(b, ws, lane_grads_[lane].data());
  });
  // Sum the lanes in order, in parallel over slices of the gradient.
  constexpr size_t kSlice = 16384;
  const size_t slices = (grad_floats + kSlice - 1) / kSlice;
  pool_.parallel_for(slices, [&](size_t s) {
    const size_t begin = s * kSlice, end = std::min(grad_floats, begin + kSlice);
    for (size_t i = begin; i < end; ++i) {
      float total = 0.0f;
      for (size_t l = 0; l < lanes; ++l) total += lane_grads_[l][i];
      grad[i] = total;
    }
  });
}

std::unique_ptr<Buffer> CpuBackend::allocate(size_t bytes) { return std::make_unique<CpuBuffer>(bytes); }
void CpuBackend::upload(void* dst, const void* host, size_t bytes) { std::memcpy(dst, host, bytes); }
void CpuBackend::download(void* host, const void* src, size_t bytes) { std::memcpy(host, src, bytes); }
void CpuBackend::copy(void* dst, const void* src, size_t bytes) { std::memmove(dst, src, bytes); }

const float* CpuBackend::gather_features(Workspace& ws, const FeatureView& x, const int32_t* steps, size_t count) {
  const size_t e = x.step_elems;
  float* out = ws.floats(kFeatureSlot, count * e);
  for (size_t i = 0; i < count; ++i) {
    const size_t offset = static_cast<size_t>(steps[i]) * e;
    if (x.dtype == DType::kFloat32) {
      std::memcpy(out + i * e, static_cast<const float*>(x.data) + offset, sizeof(float) * e);
    } else if (x.dtype == DType::kFloat16) {
      kernels_.half_to_float(static_cast<const uint16_t*>(x.data) + offset, out + i * e, e);
    } else {
      const uint16_t* src = static_cast<const uint16_t*>(x.data) + offset;
      for (size_t j = 0; j < e; ++j) out[i * e + j] = bf16_to_float(src[j]);
    }
  }
  return out;
}

void CpuBackend::gather_rows_add_bias(Workspace&, const float* table, size_t row_floats, const int32_t* steps,
                                      size_t count, const float* bias, size_t cols, float* y) {
  for (size_t i = 0; i < count; ++i) {
    const float* src = table + static_cast<size_t>(steps[i]) * row_floats;
    float* dst = y + i * row_floats;
    for (size_t j = 0; j < row_floats; ++j) dst[j] = src[j] + bias[j % cols];
  }
}

const float* CpuBackend::stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) {
  const size_t n = count * x.step_elems;
  const size_t offset = first * x.step_elems;
  const float* out;
  if (x.dtype == DType::kFloat32) {
    out = static_cast<const float*>(x.data) + offset;  // zero copy
  } else {
    float* buf = ws.floats(kFeatureSlot, n);
    const uint16_t* src = static_cast<const uint16_t*>(x.data) + offset;
    if (x.dtype == DType::kFloat16) {
      kernels_.half_to_float(src, buf, n);
    } else {
      for (size_t i = 0; i < n; ++i) buf[i] = bf16_to_float(src[i]);
    }
    out = buf;
  }
  const ptrdiff_t bad = kernels_.find_non_finite(out, n);
  if (bad >= 0) fail_non_finite(x, offset + static_cast<size_t>(bad), out[bad]);
  return out;
}

const int32_t* CpuBackend::stage_tokens(Workspace&, const int32_t* host, size_t) { return host; }
float* CpuBackend::output_floats(Workspace&, int, float* host, size_t) { return host; }
int32_t* CpuBackend::output_ints(Workspace&, int, int32_t* host, size_t) { return host; }
void CpuBackend::flush_outputs(Workspace&) {}

void CpuBackend::linear(Workspace& ws, const float* x, size_t rows, const LinearWeights& w, Epilogue ep, float* y) {
  const auto& p = static_cast<const PackedLinear&>(w);
  const size_t mr = static_cast<size_t>(kernels_.mr);
  const size_t kc = static_cast<size_t>(w.in < kKc ? w.in : kKc);
  float* a_scratch = ws.floats(kPackSlot, (rows + mr - 1) / mr * mr * kc);
  kernels_.linear(x, rows, w.in, p.panels.data(), p.bias.data(), w.out, ep, y, a_scratch);
}

void CpuBackend::log_softmax_gather(Workspace&, const float* z, size_t steps, int D, int B, const int32_t* tokens,
                                    float* step_logp, float* dim_logp) {
  kernels_.log_softmax_gather(z, steps, D, B, tokens, step_logp, dim_logp);
}

void CpuBackend::gemm(Workspace& ws, bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha,
                      const float* A, size_t lda, const float* B, size_t ldb, bool accumulate, float* C, size_t ldc) {
  float* scratch = ws.floats(kGemmSlot, gemm_scratch_floats(kernels_, M, K));
  kernels_.gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, accumulate, C, ldc, scratch);
}

void CpuBackend::activation(Workspace&, const float* pre, size_t n, Epilogue ep, float* post) {
  kernels_.activation(pre, n, ep, post);
}

void CpuBackend::activation_backward(Workspace&, const float* pre, size_t n, Epilogue ep, float* grad) {
  kernels_.activation_backward(pre, n, ep, grad);
}

void CpuBackend::log_softmax_gather_backward(Workspace&, float* z, size_t steps, int D, int B, const int32_t* tokens,
                                             const float* coef) {
  kernels_.log_softmax_gather_backward(z, steps, D, B, tokens, coef);
}

void CpuBackend::add_column_sums(Workspace&, const float* x, size_t rows, size_t cols, float* out) {
  kernels_.add_column_sums(x, rows, cols, out);
}

double CpuBackend::sum_squares(const float* x, size_t n) { return kernels_.sum_squares(x, n); }

void CpuBackend::adamw(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p) {
  kernels_.adamw(params, grads, m, v, n, p);
}

void CpuBackend::sample(Workspace& ws, const float* z, size_t steps, int D, int B, const SampleParams& p,
                        int32_t* tokens, float* step_logp, float* dim_logp) {
  kernels_.sample(z, steps, D, B, p, tokens, step_logp, dim_logp, ws.floats(kRowSlot, 2 * static_cast<size_t>(B)));
}

}  // namespace grape::cpu
