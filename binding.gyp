{
  "variables": {
    "grape_cflags": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wextra"]
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags_cc": ["<@(grape_cflags)"],
    "include_dirs": ["native"]
  },
  "targets": [
    {
      "target_name": "grape_kernels_avx2",
      "type": "static_library",
      "sources": ["native/core/cpu/kernels_avx2.cc"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-mavx2", "-mfma", "-mf16c"]}]]
    },
    {
      "target_name": "grape_kernels_avx512",
      "type": "static_library",
      "sources": ["native/core/cpu/kernels_avx512.cc"],
      "conditions": [
        ["target_arch=='x64'", {"cflags_cc": ["-mavx512f", "-mavx2", "-mfma", "-mf16c", "-Wno-maybe-uninitialized"]}]
      ]
    },
    {
      "target_name": "grape",
      "dependencies": ["grape_kernels_avx2", "grape_kernels_avx512"],
      "sources": [
        "native/core/error.cc",
        "native/core/feature_check.cc",
        "native/core/head_spec.cc",
        "native/core/head.cc",
        "native/core/objective.cc",
        "native/core/trainer.cc",
        "native/core/device.cc",
        "native/core/cpu/cpu_backend.cc",
        "native/core/cpu/thread_pool.cc",
        "native/core/cpu/kernels_generic.cc",
        "native/addon/module.cc",
        "native/addon/head_wrap.cc",
        "native/addon/trainer_wrap.cc",
        "native/addon/convert.cc",
        "native/addon/errors.cc",
        "native/addon/promise_worker.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "GRAPE_BUILDER=\"node-gyp\""],
      "libraries": ["-lpthread"]
    }
  ]
}
