// A minimal test harness for the C++ tests (no framework to install): TEST(name) registers a
// case; CHECK* record failures with file and line; main() runs all and returns 1 on failure.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}
inline int& failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

inline void report(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
  ++failures();
}

inline int run_all() {
  int failed_cases = 0;
  for (const Case& c : cases()) {
    const int before = failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      report(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    const bool ok = failures() == before;
    failed_cases += !ok;
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", c.name);
  }
  std::printf("%zu cases, %d failed\n", cases().size(), failed_cases);
  return failed_cases ? 1 : 0;
}

}  // namespace check

#define TEST(name)                                \
  static void name();                             \
  static check::Register name##_reg(#name, name); \
  static void name()

#define CHECK(cond)                                        \
  do {                                                     \
    if (!(cond)) check::report(__FILE__, __LINE__, #cond); \
  } while (0)

#define CHECK_MSG(cond, msg)                                                           \
  do {                                                                                 \
    if (!(cond)) check::report(__FILE__, __LINE__, std::string(#cond) + ": " + (msg)); \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                            \
  do {                                                                                                   \
    const double va_ = (a), vb_ = (b);                                                                   \
    if (!(std::fabs(va_ - vb_) <= (tol)))                                                                \
      check::report(__FILE__, __LINE__,                                                                  \
                    std::string(#a " ~ " #b ": ") + std::to_string(va_) + " vs " + std::to_string(vb_)); \
  } while (0)

// Expects `expr` to throw grape::Error with `code` and a message containing `text`.
#define CHECK_THROWS(expr, code_, text)                                                          \
  do {                                                                                           \
    bool thrown_ = false;                                                                        \
    try {                                                                                        \
      expr;                                                                                      \
    } catch (const grape::Error& e_) {                                                           \
      thrown_ = true;                                                                            \
      CHECK_MSG(e_.code() == (code_), e_.what());                                                \
      CHECK_MSG(std::string(e_.what()).find(text) != std::string::npos, std::string(e_.what())); \
    }                                                                                            \
    if (!thrown_) check::report(__FILE__, __LINE__, std::string(#expr " did not throw"));        \
  } while (0)
