// Counter-based random numbers: the draw for (seed, step, dim) is the same on every backend,
// thread count and block size, so sampled actions are reproducible.
#pragma once

#include <cstdint>

#include "half.h"  // GRAPE_HD

namespace grape {

GRAPE_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) with 24 random bits (exactly representable as float).
GRAPE_HD float uniform01(uint64_t seed, uint64_t step, uint64_t dim) {
  const uint64_t x = splitmix64(splitmix64(seed ^ splitmix64(step)) + dim);
  return static_cast<float>(x >> 40) * (1.0f / 16777216.0f);
}

}  // namespace grape
