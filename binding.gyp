# The adaptext native addon (N-API, C++17). Built by `npm install` through
# scripts/build-native.mjs -> node-gyp. BLAS is detected at configure time by
# native/tools/detect-blas.cjs (OpenBLAS on Linux, Accelerate on macOS, else the built-in
# GEMM); no -march flags: ISA-specific code is selected at run time (see gemm_builtin.cc).
{
  'targets': [
    {
      'target_name': 'adaptext',
      'sources': [
        'native/src/addon.cc',
        'native/src/parallel.cc',
        'native/src/gemm.cc',
        'native/src/gemm_builtin.cc',
        'native/src/gemm_bf16.cc',
        'native/src/layernorm.cc',
        'native/src/gelu.cc',
        'native/src/softmax.cc',
        'native/src/attention.cc',
        'native/src/cross_entropy.cc',
        'native/src/embedding.cc',
        'native/src/adamw.cc',
        'native/src/reduce.cc',
        'native/src/dropout.cc',
        'native/src/elementwise.cc',
        'native/src/peak.cc',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/tools/detect-blas.cjs include_dirs)",
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NAPI_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        "<!@(node native/tools/detect-blas.cjs defines)",
      ],
      'libraries': [
        "<!@(node native/tools/detect-blas.cjs libraries)",
      ],
      'cflags!': [ '-fno-exceptions' ],
      'cflags_cc!': [ '-fno-exceptions' ],
      # -fno-math-errno: lets sqrt vectorise (nothing here reads errno); no -ffast-math (NaN semantics).
      'cflags': [ '-O3', '-fexceptions', '-fno-math-errno' ],
      'cflags_cc': [ '-O3', '-fexceptions', '-fno-math-errno', '-Wall', '-Wno-unused-parameter' ],
      'conditions': [
        ["OS=='linux'", { 'libraries': [ '-lpthread' ] }],
      ],
      'xcode_settings': {
        'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
        'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
        'CLANG_CXX_LIBRARY': 'libc++',
        'MACOSX_DEPLOYMENT_TARGET': '11.0',
        'OTHER_CPLUSPLUSFLAGS': [ '-O3', '-fno-math-errno' ],
      },
      'msvs_settings': {
        'VCCLCompilerTool': { 'ExceptionHandling': 1, 'AdditionalOptions': [ '/std:c++17' ] },
      },
    },
  ],
}
