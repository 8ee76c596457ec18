{
  # Built by scripts/build-native.mjs (npm run build:native, also run by `prepare`). Lives in
  # native/ rather than the repository root so that npm does not treat the package as a native
  # one: a failed compile here only prints a warning and gradscope runs on WebAssembly.
  "targets": [
    {
      "target_name": "gradscope_native",
      "sources": [
        "src/addon.c",
        "src/gemm.c",
        "src/microkernels.c",
        "src/pool.c",
        "src/elementwise.c",
        "src/chunks.c",
        "src/reductions.c",
        "src/optim.c"
      ],
      # Portable baseline (no -march=native): AVX2/AVX-512 code paths are compiled per function
      # with __attribute__((target(...))) and chosen at run time. No -ffast-math: NaN and Inf
      # must propagate exactly as in the TypeScript loops, and -ffp-contract=off keeps a * b + c
      # two roundings (the element-wise ops then match the TypeScript loops bit for bit).
      "cflags_c": ["-std=gnu11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "libraries": ["-lpthread", "-lm"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=gnu11", "-O3", "-ffp-contract=off"]
      }
    }
  ]
}
