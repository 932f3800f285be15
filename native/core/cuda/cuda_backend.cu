// CUDA mirror of the CPU kernels (cpu/kernels.inl), kernel for kernel: tiled GEMM with bias and
// GELU epilogue, fused log-softmax + gather, top-k/temperature sampling with the same
// counter-based draws. No cuBLAS: these machines do not ship it.
#include <cuda_runtime.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <vector>

#include "../error.h"
#include "../feature_check.h"
#include "../half.h"
#include "../rng.h"
#include "cuda_backend.h"

namespace grape::cuda {

namespace {

void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  const std::string text = cudaGetErrorString(err);  // capture before throwing
  fail(ErrorCode::kDevice, std::string("cuda: ") + what + ": " + text);
}

void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

// ---- kernels ---------------------------------------------------------------------------------

__device__ float gelu_tanh(float x) {
  const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanhf(u));
}

__device__ float gelu_erf(float x) { return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f)); }

constexpr int kTileK = 16;
constexpr size_t kMinSplitK = 512;  // the least K a split-K block is given

__device__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ int warp_sum_int(int v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Max and log-sum-exp of one row, computed by a whole warp.
__device__ void warp_row_stats(const float* z, int B, float* max_out, float* lse_out) {
  const int lane = threadIdx.x % 32;
  float m = -INFINITY;
  for (int b = lane; b < B; b += 32) m = fmaxf(m, z[b]);
  m = warp_max(m);
  float s = 0.0f;
  for (int b = lane; b < B; b += 32) s += expf(z[b] - m);
  s = warp_sum(s);
  *max_out = m;
  *lse_out = m + logf(s);
}

// One warp per (step, dim) row: dim_logp[row] = z[row, token] - logsumexp(z[row]).
__global__ void log_softmax_gather_kernel(const float* __restrict__ z, size_t rows, int B,
                                          const int32_t* __restrict__ tokens, float* __restrict__ dim_logp) {
  const size_t row = static_cast<size_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (row >= rows) return;
  const float* zr = z + row * B;
  float m, lse;
  warp_row_stats(zr, B, &m, &lse);
  if (threadIdx.x % 32 == 0) dim_logp[row] = zr[tokens[row]] - lse;
}

// step_logp[s] = sum over d of dim_logp[s, d], in order (as the CPU does).
__global__ void step_sum_kernel(const float* __restrict__ dim_logp, size_t steps, int D,
                                float* __restrict__ step_logp) {
  const size_t s = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= steps) return;
  float total = 0.0f;
  for (int d = 0; d < D; ++d) total += dim_logp[s * D + d];
  step_logp[s] = total;
}

// One warp per row: argmax (T == 0) or a draw from softmax(z / T) over the top-k bins, ties at
// the k-th value going to lower indices; dim_logp gets the untempered log-likelihood.
__global__ void sample_kernel(const float* __restrict__ z, size_t rows, int D, int B, float temperature, int top_k,
                              unsigned long long seed, unsigned long long first_step, int32_t* __restrict__ tokens,
                              float* __restrict__ dim_logp) {
  const size_t row = static_cast<size_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (row >= rows) return;
  const int lane = threadIdx.x % 32;
  const float* zr = z + row * B;
  float m, lse;
  warp_row_stats(zr, B, &m, &lse);
  int chosen = 0;
  if (temperature == 0.0f) {
    float best = -INFINITY;
    int best_i = B;
    for (int b = lane; b < B; b += 32)
      if (zr[b] > best) best = zr[b], best_i = b;
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best, o);
      const int oi = __shfl_xor_sync(0xffffffffu, best_i, o);
      if (ov > best || (ov == best && oi < best_i)) best = ov, best_i = oi;
    }
    chosen = best_i;
  } else {
    const int k = top_k > 0 && top_k < B ? top_k : B;
    float threshold = -INFINITY;
    int ties_allowed = B;
    if (k < B) {
      // The k-th largest value v: #(z > v) < k <= #(z >= v).
      float cand = -INFINITY;
      for (int b = lane; b < B; b += 32) {
        int greater = 0, greater_eq = 0;
        for (int j = 0; j < B; ++j) greater += zr[j] > zr[b], greater_eq += zr[j] >= zr[b];
        if (greater < k && k <= greater_eq) cand = zr[b];
      }
      threshold = warp_max(cand);
      int above = 0;
      for (int b = lane; b < B; b += 32) above += zr[b] > threshold;
      ties_allowed = k - warp_sum_int(above);
    }
    if (lane == 0) {
      const float inv_t = 1.0f / temperature;
      float total = 0.0f;
      int last = 0, ties = ties_allowed;
      for (int b = 0; b < B; ++b) {
        if (!(zr[b] > threshold || (zr[b] == threshold && ties-- > 0))) continue;
        total += expf((zr[b] - m) * inv_t);
        last = b;
      }
      const size_t step = row / D;
      const float target = uniform01(seed, first_step + step, row % D) * total;
      float cum = 0.0f;
      chosen = last;
      ties = ties_allowed;
      for (int b = 0; b < B; ++b) {
        if (!(zr[b] > threshold || (zr[b] == threshold && ties-- > 0))) continue;
        cum += expf((zr[b] - m) * inv_t);
        if (target < cum) {
          chosen = b;
          break;
        }
      }
    }
    chosen = __shfl_sync(0xffffffffu, chosen, 0);
  }
  if (lane == 0) {
    tokens[row] = chosen;
    dim_logp[row] = zr[chosen] - lse;
  }
}

// ---- training kernels ----

// The GEMM's output step, shared by the direct and the split-K paths.
__device__ float gemm_epilogue(float acc, float alpha, const float* dst, bool accumulate, const float* bias, int c,
                               int epilogue) {
  float v = alpha * acc + (accumulate ? *dst : 0.0f) + (bias ? bias[c] : 0.0f);
  if (epilogue == static_cast<int>(Epilogue::kGeluTanh)) v = gelu_tanh(v);
  if (epilogue == static_cast<int>(Epilogue::kGeluErf)) v = gelu_erf(v);
  return v;
}

// tile[k][i] = X(i0 + i, k0 + k) for i < ROWS and k < kTileK, zero past `rows` or k_end, where
// X(i, k) is x[i * ld + k], or x[k * ld + i] when k_major. One helper loads both GEMM operands:
// A as op(A), B as op(B)^T.
template <int ROWS>
__device__ void load_tile(float (*tile)[ROWS + 1], const float* __restrict__ x, int ld, bool k_major, int i0, int rows,
                          int k0, int k_end) {
#pragma unroll
  for (int e = threadIdx.x; e < ROWS * kTileK; e += 256) {
    const int i = e / kTileK, k = e % kTileK, gi = i0 + i, gk = k0 + k;
    tile[k][i] = gi < rows && gk < k_end
                     ? x[k_major ? static_cast<size_t>(gk) * ld + gi : static_cast<size_t>(gi) * ld + gk]
                     : 0.0f;
  }
}

// C[M, N] = alpha op(A) op(B) (+ C) (+ bias[col]), then the epilogue. 256 threads as TX columns
// by 256 / TX rows, each computing TM x TN outputs strided by the thread grid, so a tile is
// (256 / TX) TM x TX TN; transposes by index (load_tile). linear() is the NT case with a bias.
// Block z covers k in [z k_chunk, (z + 1) k_chunk); with `partial`, it writes its raw sums to
// partial[z] ([M, N]) for gemm_split_reduce_kernel instead (split-K: long K, few output tiles).
template <int TM, int TN, int TX>
__global__ void __launch_bounds__(256)
    gemm_kernel(bool trans_a, bool trans_b, int M, int N, int K, int k_chunk, float alpha, const float* __restrict__ A,
                int lda, const float* __restrict__ B, int ldb, bool accumulate, float* __restrict__ C, int ldc,
                const float* __restrict__ bias, int epilogue, float* __restrict__ partial) {
  constexpr int TY = 256 / TX, BM = TY * TM, BN = TX * TN;
  __shared__ float as[kTileK][BM + 1];
  __shared__ float bs[kTileK][BN + 1];
  const int tx = threadIdx.x % TX, ty = threadIdx.x / TX;
  const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_chunk, k_end = min(K, k_begin + k_chunk);
  float acc[TM][TN] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    load_tile<BM>(as, A, lda, trans_a, row0, M, k0, k_end);
    load_tile<BN>(bs, B, ldb, !trans_b, col0, N, k0, k_end);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTileK; ++k) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = as[k][ty + TY * i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = bs[k][tx + TX * j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int r = row0 + ty + TY * i;
    if (r >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int c = col0 + tx + TX * j;
      if (c >= N) continue;
      if (partial) {
        partial[(static_cast<size_t>(blockIdx.z) * M + r) * N + c] = acc[i][j];
      } else {
        float* dst = C + static_cast<size_t>(r) * ldc + c;
        *dst = gemm_epilogue(acc[i][j], alpha, dst, accumulate, bias, c, epilogue);
      }
    }
  }
}

// Sums the split-K partials in split order (deterministic), then the GEMM's epilogue.
__global__ void gemm_split_reduce_kernel(const float* __restrict__ partial, int splits, int M, int N, float alpha,
                                         bool accumulate, float* __restrict__ C, int ldc,
                                         const float* __restrict__ bias, int epilogue) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<size_t>(M) * N) return;
  float total = 0.0f;
  for (int z = 0; z < splits; ++z) total += partial[static_cast<size_t>(z) * M * N + i];
  const int r = static_cast<int>(i / N), c = static_cast<int>(i % N);
  float* dst = C + static_cast<size_t>(r) * ldc + c;
  *dst = gemm_epilogue(total, alpha, dst, accumulate, bias, c, epilogue);
}

__device__ float gelu_tanh_grad(float x) {
  const float t = tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x));
  const float du = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

__device__ float gelu_erf_grad(float x) {
  return 0.5f * (1.0f + erff(x * 0.7071067811865476f)) + x * 0.3989422804014327f * expf(-0.5f * x * x);
}

__global__ void activation_kernel(const float* __restrict__ pre, size_t n, int epilogue, float* __restrict__ post) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float x = pre[i];
  post[i] = epilogue == static_cast<int>(Epilogue::kGeluTanh)  ? gelu_tanh(x)
            : epilogue == static_cast<int>(Epilogue::kGeluErf) ? gelu_erf(x)
                                                               : x;
}

__global__ void activation_backward_kernel(const float* __restrict__ pre, size_t n, int epilogue,
                                           float* __restrict__ grad) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  grad[i] *= epilogue == static_cast<int>(Epilogue::kGeluErf) ? gelu_erf_grad(pre[i]) : gelu_tanh_grad(pre[i]);
}

// One warp per (step, dim) row: z becomes coef[step] * (onehot(token) - softmax(z)).
__global__ void log_softmax_gather_backward_kernel(float* __restrict__ z, size_t rows, int D, int B,
                                                   const int32_t* __restrict__ tokens, const float* __restrict__ coef) {
  const size_t row = static_cast<size_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
  if (row >= rows) return;
  float* zr = z + row * B;
  float m, lse;
  warp_row_stats(zr, B, &m, &lse);
  const float c = coef[row / D];
  const int token = tokens[row];
  for (int b = threadIdx.x % 32; b < B; b += 32) zr[b] = c * ((b == token ? 1.0f : 0.0f) - expf(zr[b] - lse));
}

// partial[y, c] = sum of x[r, c] over rows chunk y (blockIdx.y), in order: one thread per column.
__global__ void column_sums_kernel(const float* __restrict__ x, size_t rows, size_t cols, size_t chunk,
                                   float* __restrict__ partial) {
  const size_t c = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  const size_t begin = blockIdx.y * chunk, end = begin + chunk < rows ? begin + chunk : rows;
  float total = 0.0f;
  for (size_t r = begin; r < end; ++r) total += x[r * cols + c];
  partial[blockIdx.y * cols + c] = total;
}

// y[i, :] = table[steps[i], :] + bias (repeating every `cols` values).
__global__ void gather_rows_add_bias_kernel(const float* __restrict__ table, size_t row_floats,
                                            const int32_t* __restrict__ steps, size_t count,
                                            const float* __restrict__ bias, size_t cols, float* __restrict__ y) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count * row_floats) return;
  const size_t row = i / row_floats, j = i % row_floats;
  y[i] = table[static_cast<size_t>(steps[row]) * row_floats + j] + bias[j % cols];
}

// out[c] += the chunks' sums, in chunk order.
__global__ void column_sums_reduce_kernel(const float* __restrict__ partial, size_t chunks, size_t cols,
                                          float* __restrict__ out) {
  const size_t c = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float total = 0.0f;
  for (size_t y = 0; y < chunks; ++y) total += partial[y * cols + c];
  out[c] += total;
}

__global__ void adamw_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                             float* __restrict__ v, size_t n, AdamWParams a, float bc1, float bc2) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float grad = g[i] * a.grad_scale;
  m[i] = a.beta1 * m[i] + (1.0f - a.beta1) * grad;
  v[i] = a.beta2 * v[i] + (1.0f - a.beta2) * grad * grad;
  p[i] = p[i] * (1.0f - a.lr * a.weight_decay) - a.lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + a.eps);
}

// Per-block partial sums of squares (double); the host adds the partials in order.
__global__ void sum_squares_kernel(const float* __restrict__ x, size_t n, double* __restrict__ partial) {
  __shared__ double shared[256];
  double s = 0.0;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    s += static_cast<double>(x[i]) * x[i];
  shared[threadIdx.x] = s;
  __syncthreads();
  for (int o = blockDim.x / 2; o > 0; o >>= 1) {
    if (static_cast<int>(threadIdx.x) < o) shared[threadIdx.x] += shared[threadIdx.x + o];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

// Gathers resident steps into fp32 rows: dst[i] = widen(src[steps[i]]).
__global__ void gather_kernel(const void* __restrict__ src, int dtype, const int32_t* __restrict__ steps, size_t count,
                              size_t elems, float* __restrict__ dst) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count * elems) return;
  const size_t row = i / elems, col = i % elems;
  const size_t at = static_cast<size_t>(steps[row]) * elems + col;
  if (dtype == static_cast<int>(DType::kFloat32))
    dst[i] = static_cast<const float*>(src)[at];
  else if (dtype == static_cast<int>(DType::kFloat16))
    dst[i] = half_to_float(static_cast<const uint16_t*>(src)[at]);
  else
    dst[i] = bf16_to_float(static_cast<const uint16_t*>(src)[at]);
}

__global__ void widen_kernel(const uint16_t* __restrict__ src, float* __restrict__ dst, size_t n, int bf16) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = bf16 ? bf16_to_float(src[i]) : half_to_float(src[i]);
}

unsigned grid_for(size_t n, unsigned per_block) { return static_cast<unsigned>((n + per_block - 1) / per_block); }

// ---- host side -------------------------------------------------------------------------------

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  void* reserve(size_t bytes) {
    if (bytes <= bytes_) return ptr_;
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
    check(cudaMalloc(&ptr_, bytes), "cudaMalloc");
    bytes_ = bytes;
    return ptr_;
  }
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

class CudaBuffer final : public Buffer {
 public:
  explicit CudaBuffer(size_t bytes) : bytes_(bytes) { storage_.reserve(bytes ? bytes : 1); }
  void* data() override { return storage_.get(); }
  size_t bytes() const override { return bytes_; }

 private:
  size_t bytes_;
  DeviceBuffer storage_;
};

struct PendingOutput {
  void* host;
  const void* device;
  size_t bytes;
};

class CudaWorkspace final : public Workspace {
 public:
  float* floats(int slot, size_t count) override {
    return static_cast<float*>(buffers_[slot + 8].reserve(count * sizeof(float)));
  }
  int32_t* ints(int slot, size_t count) override {
    return static_cast<int32_t*>(buffers_[slot + 8].reserve(count * sizeof(int32_t)));
  }
  std::vector<PendingOutput> pending;

 private:
  DeviceBuffer buffers_[64];
};

// Slots of the backend's own, below the head's (>= 0).
constexpr int kFeatureSlot = -1;
constexpr int kWideSlot = -2;
constexpr int kTokenSlot = -3;
constexpr int kDimSlot = -4;
constexpr int kStepListSlot = -5;
constexpr int kSplitSlot = -6;  // split-K and column-sum partials
constexpr int kRowListSlot = -7;
constexpr int kOutputSlotBase = 48;  // outputs are staged in slots 48..51

class DeviceLinear final : public LinearWeights {
 public:
  DeviceBuffer w;
  DeviceBuffer bias;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    std::ostringstream s;
    s << "cuda:" << device << " (" << prop.name << ", sm_" << prop.major << prop.minor << ")";
    name_ = s.str();
    sms_ = prop.multiProcessorCount;
  }

  DeviceKind kind() const override { return DeviceKind::kCuda; }
  std::string describe() const override { return name_; }

  std::unique_ptr<LinearWeights> prepare_linear(const float* w, const float* bias, int out, int in) override {
    check(cudaSetDevice(device_), "cudaSetDevice");
    auto p = std::make_unique<DeviceLinear>();
    p->in = in;
    p->out = out;
    // cudaMemcpyDefault: the weights may be on the host or already on this device (the trainer's).
    const size_t wb = sizeof(float) * static_cast<size_t>(out) * in;
    check(cudaMemcpy(p->w.reserve(wb), w, wb, cudaMemcpyDefault), "copy weights");
    check(cudaMemcpy(p->bias.reserve(sizeof(float) * out), bias, sizeof(float) * out, cudaMemcpyDefault), "copy bias");
    return p;
  }

  size_t block_steps(const HeadSpec& spec) const override {
    size_t floats_per_step = spec.step_features();
    for (const LinearShape& l : spec.linears()) floats_per_step += static_cast<size_t>(spec.rows_per_step()) * l.out;
    const size_t steps = (size_t{256} << 20) / (floats_per_step * sizeof(float));
    return steps < 1 ? 1 : steps > 65536 ? 65536 : steps;
  }

  void run_blocks(size_t blocks, const std::function<void(size_t, Workspace&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);  // one workspace, one stream: blocks run in order
    check(cudaSetDevice(device_), "cudaSetDevice");
    for (size_t b = 0; b < blocks; ++b) fn(b, ws_);
  }

  void run_blocks_accumulate(size_t blocks, size_t grad_floats, float* grad,
                             const std::function<void(size_t, Workspace&, float*)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    check(cudaSetDevice(device_), "cudaSetDevice");
    check(cudaMemset(grad, 0, grad_floats * sizeof(float)), "cudaMemset");
    for (size_t b = 0; b < blocks; ++b) fn(b, ws_, grad);  // blocks in order: a fixed summation order
  }

  std::unique_ptr<Buffer> allocate(size_t bytes) override {
    check(cudaSetDevice(device_), "cudaSetDevice");
    return std::make_unique<CudaBuffer>(bytes);
  }
  void upload(void* dst, const void* host, size_t bytes) override {
    check(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice), "upload");
  }
  void download(void* host, const void* src, size_t bytes) override {
    check(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost), "download");
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copy");
  }

  const float* gather_features(Workspace& ws, const FeatureView& x, const int32_t* steps, size_t count) override {
    int32_t* dev_steps = ws.ints(kStepListSlot, count);
    upload(dev_steps, steps, count * sizeof(int32_t));
    float* dst = ws.floats(kFeatureSlot, count * x.step_elems);
    gather_kernel<<<grid_for(count * x.step_elems, 256), 256>>>(x.data, static_cast<int>(x.dtype), dev_steps, count,
                                                                x.step_elems, dst);
    check_launch("gather_kernel");
    return dst;
  }

  void gather_rows_add_bias(Workspace& ws, const float* table, size_t row_floats, const int32_t* steps, size_t count,
                            const float* bias, size_t cols, float* y) override {
    int32_t* dev_steps = ws.ints(kRowListSlot, count);
    upload(dev_steps, steps, count * sizeof(int32_t));
    gather_rows_add_bias_kernel<<<grid_for(count * row_floats, 256), 256>>>(table, row_floats, dev_steps, count, bias,
                                                                            cols, y);
    check_launch("gather_rows_add_bias_kernel");
  }

  void gemm(Workspace& ws, bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha, const float* A,
            size_t lda, const float* B, size_t ldb, bool accumulate, float* C, size_t ldc) override {
    launch_gemm(ws, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, accumulate, C, ldc, nullptr, Epilogue::kNone);
  }

  void activation(Workspace&, const float* pre, size_t n, Epilogue ep, float* post) override {
    activation_kernel<<<grid_for(n, 256), 256>>>(pre, n, static_cast<int>(ep), post);
    check_launch("activation_kernel");
  }

  void activation_backward(Workspace&, const float* pre, size_t n, Epilogue ep, float* grad) override {
    if (ep == Epilogue::kNone) return;
    activation_backward_kernel<<<grid_for(n, 256), 256>>>(pre, n, static_cast<int>(ep), grad);
    check_launch("activation_backward_kernel");
  }

  void log_softmax_gather_backward(Workspace&, float* z, size_t steps, int D, int B, const int32_t* tokens,
                                   const float* coef) override {
    const size_t rows = steps * D;
    log_softmax_gather_backward_kernel<<<grid_for(rows, 8), 256>>>(z, rows, D, B, tokens, coef);
    check_launch("log_softmax_gather_backward_kernel");
  }

  // Rows in chunks of at least 256, one block row each, so that tall inputs fill the GPU.
  void add_column_sums(Workspace& ws, const float* x, size_t rows, size_t cols, float* out) override {
    if (rows == 0 || cols == 0) return;
    const size_t chunks = std::min<size_t>((rows + 255) / 256, static_cast<size_t>(2 * sms_));
    const size_t chunk = (rows + chunks - 1) / chunks;
    float* partial = ws.floats(kSplitSlot, chunks * cols);
    column_sums_kernel<<<dim3(grid_for(cols, 256), static_cast<unsigned>(chunks)), 256>>>(x, rows, cols, chunk,
                                                                                          partial);
    check_launch("column_sums_kernel");
    column_sums_reduce_kernel<<<grid_for(cols, 256), 256>>>(partial, chunks, cols, out);
    check_launch("column_sums_reduce_kernel");
  }

  double sum_squares(const float* x, size_t n) override {
    constexpr unsigned kBlocks = 256;
    DeviceBuffer partial;
    double* dev = static_cast<double*>(partial.reserve(kBlocks * sizeof(double)));
    sum_squares_kernel<<<kBlocks, 256>>>(x, n, dev);
    check_launch("sum_squares_kernel");
    std::vector<double> host(kBlocks);
    download(host.data(), dev, kBlocks * sizeof(double));
    double total = 0.0;
    for (double v : host) total += v;
    return total;
  }

  void adamw(float* params, const float* grads, float* m, float* v, size_t n, const AdamWParams& p) override {
    const float bc1 = 1.0f - std::pow(p.beta1, static_cast<float>(p.step));
    const float bc2 = 1.0f - std::pow(p.beta2, static_cast<float>(p.step));
    adamw_kernel<<<grid_for(n, 256), 256>>>(params, grads, m, v, n, p, bc1, bc2);
    check_launch("adamw_kernel");
  }

  const float* stage_features(Workspace& ws, const FeatureView& x, size_t first, size_t count) override {
    const size_t n = count * x.step_elems, offset = first * x.step_elems;
    // Checked on the host before upload: the data is there already, and the error names the element.
    for (size_t i = 0; i < n; ++i) {
      const float v = x.dtype == DType::kFloat32   ? static_cast<const float*>(x.data)[offset + i]
                      : x.dtype == DType::kFloat16 ? half_to_float(static_cast<const uint16_t*>(x.data)[offset + i])
                                                   : bf16_to_float(static_cast<const uint16_t*>(x.data)[offset + i]);
      if (!std::isfinite(v)) fail_non_finite(x, offset + i, v);
    }
    if (x.dtype == DType::kFloat32) {
      float* dst = ws.floats(kFeatureSlot, n);
      check(cudaMemcpy(dst, static_cast<const float*>(x.data) + offset, n * sizeof(float), cudaMemcpyHostToDevice),
            "upload features");
      return dst;
    }
    auto* raw = reinterpret_cast<uint16_t*>(ws.floats(kWideSlot, (n + 1) / 2));
    check(cudaMemcpy(raw, static_cast<const uint16_t*>(x.data) + offset, n * sizeof(uint16_t), cudaMemcpyHostToDevice),
          "upload features");
    float* dst = ws.floats(kFeatureSlot, n);
    widen_kernel<<<grid_for(n, 256), 256>>>(raw, dst, n, x.dtype == DType::kBFloat16);
    check_launch("widen_kernel");
    return dst;
  }

  const int32_t* stage_tokens(Workspace& ws, const int32_t* host, size_t count) override {
    int32_t* dst = ws.ints(kTokenSlot, count);
    check(cudaMemcpy(dst, host, count * sizeof(int32_t), cudaMemcpyHostToDevice), "upload tokens");
    return dst;
  }

  float* output_floats(Workspace& ws, int slot, float* host, size_t count) override {
    float* dev = ws.floats(kOutputSlotBase + slot, count);
    static_cast<CudaWorkspace&>(ws).pending.push_back({host, dev, count * sizeof(float)});
    return dev;
  }

  int32_t* output_ints(Workspace& ws, int slot, int32_t* host, size_t count) override {
    int32_t* dev = ws.ints(kOutputSlotBase + slot, count);
    static_cast<CudaWorkspace&>(ws).pending.push_back({host, dev, count * sizeof(int32_t)});
    return dev;
  }

  void flush_outputs(Workspace& ws) override {
    auto& pending = static_cast<CudaWorkspace&>(ws).pending;
    for (const PendingOutput& o : pending)
      check(cudaMemcpy(o.host, o.device, o.bytes, cudaMemcpyDeviceToHost), "download");
    pending.clear();
  }

  void linear(Workspace& ws, const float* x, size_t rows, const LinearWeights& w, Epilogue ep, float* y) override {
    const auto& d = static_cast<const DeviceLinear&>(w);
    launch_gemm(ws, false, true, rows, static_cast<size_t>(w.out), static_cast<size_t>(w.in), 1.0f, x,
                static_cast<size_t>(w.in), static_cast<const float*>(d.w.get()), static_cast<size_t>(w.in), false, y,
                static_cast<size_t>(w.out), static_cast<const float*>(d.bias.get()), ep);
  }

  // The tile fits the output's shape: 128x128 (8x8 per thread: fewer shared-memory reads per FMA)
  // for large ones, 128x16 and 16x128 for those with a LoRA rank's width (x A^T, dy B, v^T x),
  // 64x64 otherwise. Where the output has too few tiles to fill the GPU and K is long (the
  // gradient GEMMs reduce over every step of a batch), K is split across blocks and the partials
  // summed in order.
  void launch_gemm(Workspace& ws, bool trans_a, bool trans_b, size_t M, size_t N, size_t K, float alpha, const float* A,
                   size_t lda, const float* B, size_t ldb, bool accumulate, float* C, size_t ldc, const float* bias,
                   Epilogue ep) {
    if (M == 0 || N == 0) return;
    struct Shape {
      unsigned bm, bn;
      decltype(&gemm_kernel<4, 4, 16>) kernel;
    };
    const Shape shape = M >= 128 && N >= 128  ? Shape{128, 128, gemm_kernel<8, 8, 16>}
                        : N <= 16 && M >= 128 ? Shape{128, 16, gemm_kernel<2, 4, 4>}
                        : M <= 16 && N >= 128 ? Shape{16, 128, gemm_kernel<4, 2, 64>}
                                              : Shape{64, 64, gemm_kernel<4, 4, 16>};
    const size_t tiles = grid_for(N, shape.bn) * grid_for(M, shape.bm);
    const size_t want = (2 * static_cast<size_t>(sms_) + tiles - 1) / tiles;
    const size_t splits = std::max<size_t>(1, std::min(want, K / kMinSplitK));
    const size_t k_chunk = ((K + splits - 1) / splits + kTileK - 1) / kTileK * kTileK;
    const size_t used = K == 0 ? 1 : (K + k_chunk - 1) / k_chunk;
    float* partial = used > 1 ? ws.floats(kSplitSlot, used * M * N) : nullptr;
    const dim3 grid(grid_for(N, shape.bn), grid_for(M, shape.bm), static_cast<unsigned>(used));
    shape.kernel<<<grid, 256>>>(trans_a, trans_b, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K),
                                static_cast<int>(std::max<size_t>(k_chunk, 1)), alpha, A, static_cast<int>(lda), B,
                                static_cast<int>(ldb), accumulate, C, static_cast<int>(ldc), bias, static_cast<int>(ep),
                                partial);
    check_launch("gemm_kernel");
    if (!partial) return;
    gemm_split_reduce_kernel<<<grid_for(M * N, 256), 256>>>(partial, static_cast<int>(used), static_cast<int>(M),
                                                            static_cast<int>(N), alpha, accumulate, C,
                                                            static_cast<int>(ldc), bias, static_cast<int>(ep));
    check_launch("gemm_split_reduce_kernel");
  }

  void log_softmax_gather(Workspace& ws, const float* z, size_t steps, int D, int B, const int32_t* tokens,
                          float* step_logp, float* dim_logp) override {
    const size_t rows = steps * D;
    float* dims = dim_logp ? dim_logp : ws.floats(kDimSlot, rows);
    log_softmax_gather_kernel<<<grid_for(rows, 8), 256>>>(z, rows, B, tokens, dims);
    check_launch("log_softmax_gather_kernel");
    step_sum_kernel<<<grid_for(steps, 256), 256>>>(dims, steps, D, step_logp);
    check_launch("step_sum_kernel");
  }

  void sample(Workspace& ws, const float* z, size_t steps, int D, int B, const SampleParams& p, int32_t* tokens,
              float* step_logp, float* dim_logp) override {
    const size_t rows = steps * D;
    float* dims = dim_logp ? dim_logp : ws.floats(kDimSlot, rows);
    sample_kernel<<<grid_for(rows, 8), 256>>>(z, rows, D, B, p.temperature, p.top_k, p.seed, p.first_step, tokens,
                                              dims);
    check_launch("sample_kernel");
    step_sum_kernel<<<grid_for(steps, 256), 256>>>(dims, steps, D, step_logp);
    check_launch("step_sum_kernel");
  }

 private:
  int device_;
  int sms_ = 1;
  std::string name_;
  std::mutex mutex_;
  CudaWorkspace ws_;
};

}  // namespace

DeviceProbe probe() {
  DeviceProbe p;
  const cudaError_t err = cudaGetDeviceCount(&p.count);
  if (err != cudaSuccess) {
    p.count = 0;
    p.error = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
  } else if (p.count == 0) {
    p.error = "no CUDA device";
  }
  return p;
}

std::unique_ptr<Backend> make_backend(int device) {
  const DeviceProbe p = probe();
  if (device < 0 || device >= p.count) {
    std::ostringstream msg;
    msg << "CUDA device " << device << " is not available (" << (p.error.empty() ? "device count " : p.error);
    if (p.error.empty()) msg << p.count;
    msg << ")";
    fail(ErrorCode::kDevice, msg.str());
  }
  return std::make_unique<CudaBackend>(device);
}

std::string compiled_architectures() { return GRAPE_CUDA_ARCHS; }

}  // namespace grape::cuda
