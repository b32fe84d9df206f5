// Argument checking for the N-API entry points. Every failure throws a JS exception naming
// the kernel and the argument (TypeError for a wrong type, RangeError for a bad number,
// Error for a buffer that is too short) -- never an abort, never a silent partial write.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace adaptext {

struct F32 {
  float* p = nullptr;  // null only for an accepted null argument
  size_t n = 0;
};
struct F64 {
  double* p = nullptr;
  size_t n = 0;
};
struct I32 {
  int32_t* p = nullptr;
  size_t n = 0;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel, size_t count)
      : info_(info), env_(info.Env()), kernel_(kernel) {
    if (info.Length() < count) {
      throw Napi::TypeError::New(env_, std::string(kernel) + ": expected " +
                                           std::to_string(count) + " arguments, got " +
                                           std::to_string(info.Length()));
    }
  }

  Napi::Env env() const { return env_; }
  const char* kernel() const { return kernel_; }

  F32 f32(size_t i, const char* name) { return typed<F32, float>(i, name, napi_float32_array, "Float32Array", false); }
  F32 f32_or_null(size_t i, const char* name) { return typed<F32, float>(i, name, napi_float32_array, "Float32Array", true); }
  F64 f64(size_t i, const char* name) { return typed<F64, double>(i, name, napi_float64_array, "Float64Array", false); }
  I32 i32(size_t i, const char* name) { return typed<I32, int32_t>(i, name, napi_int32_array, "Int32Array", false); }

  bool flag(size_t i, const char* name) {
    Napi::Value v = info_[i];
    if (!v.IsBoolean()) fail_type(name, "a boolean", v);
    return v.As<Napi::Boolean>().Value();
  }

  double number(size_t i, const char* name) {
    Napi::Value v = info_[i];
    if (!v.IsNumber()) fail_type(name, "a number", v);
    return v.As<Napi::Number>().DoubleValue();
  }

  // A non-negative integer that fits the kernels' size_t arithmetic comfortably.
  size_t dim(size_t i, const char* name) {
    const double d = number(i, name);
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
      throw Napi::RangeError::New(env_, std::string(kernel_) + ": " + name +
                                            " must be a non-negative integer, got " + num(d));
    }
    return static_cast<size_t>(d);
  }

  int32_t int32(size_t i, const char* name) {
    const double d = number(i, name);
    if (d != std::floor(d) || d < -2147483648.0 || d > 2147483647.0) {
      throw Napi::RangeError::New(env_, std::string(kernel_) + ": " + name +
                                            " must be a 32-bit integer, got " + num(d));
    }
    return static_cast<int32_t>(d);
  }

  // Throws unless `got` >= `needed` elements.
  void need(size_t got, size_t needed, const char* name, const std::string& why) const {
    if (got < needed) {
      throw Napi::Error::New(env_, std::string(kernel_) + ": " + name + " is too short: needs " +
                                       std::to_string(needed) + " elements (" + why + "), got " +
                                       std::to_string(got));
    }
  }

  [[noreturn]] void fail_range(const std::string& msg) const {
    throw Napi::RangeError::New(env_, std::string(kernel_) + ": " + msg);
  }

  // a*b with overflow detection (sizes come from JS numbers up to 2^53).
  size_t mul(size_t a, size_t b) const {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) fail_range("size overflow");
    return r;
  }
  size_t add(size_t a, size_t b) const {
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) fail_range("size overflow");
    return r;
  }
  // Elements spanned by a [rows, cols] matrix with row stride ld.
  size_t span(size_t rows, size_t cols, size_t ld) const {
    return rows == 0 || cols == 0 ? 0 : add(mul(rows - 1, ld), cols);
  }

  static std::string num(double d) {
    if (std::isnan(d)) return "NaN";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }

 private:
  template <class Out, class T>
  Out typed(size_t i, const char* name, napi_typedarray_type want, const char* want_name,
            bool nullable) {
    Napi::Value v = info_[i];
    Out out;
    if (nullable && (v.IsNull() || v.IsUndefined())) return out;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want) {
      fail_type(name, nullable ? (std::string(want_name) + " or null").c_str() : want_name, v);
    }
    auto arr = v.As<Napi::TypedArrayOf<T>>();
    out.p = arr.Data();  // includes the view's byteOffset
    out.n = arr.ElementLength();
    return out;
  }

  [[noreturn]] void fail_type(const char* name, const char* want, Napi::Value v) const {
    throw Napi::TypeError::New(env_, std::string(kernel_) + ": argument '" + name + "' must be " +
                                         want + ", got " + describe(v));
  }

  static std::string describe(Napi::Value v) {
    if (v.IsTypedArray()) {
      switch (v.As<Napi::TypedArray>().TypedArrayType()) {
        case napi_int8_array: return "Int8Array";
        case napi_uint8_array: return "Uint8Array";
        case napi_uint8_clamped_array: return "Uint8ClampedArray";
        case napi_int16_array: return "Int16Array";
        case napi_uint16_array: return "Uint16Array";
        case napi_int32_array: return "Int32Array";
        case napi_uint32_array: return "Uint32Array";
        case napi_float32_array: return "Float32Array";
        case napi_float64_array: return "Float64Array";
        case napi_bigint64_array: return "BigInt64Array";
        case napi_biguint64_array: return "BigUint64Array";
        default: return "a typed array";
      }
    }
    if (v.IsNull()) return "null";
    if (v.IsUndefined()) return "undefined";
    if (v.IsArray()) return "Array";
    if (v.IsArrayBuffer()) return "ArrayBuffer";
    if (v.IsBuffer()) return "Buffer";
    if (v.IsNumber()) return "number " + num(v.As<Napi::Number>().DoubleValue());
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
    if (v.IsString()) return "string";
    if (v.IsFunction()) return "function";
    return "object";
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* kernel_;
};

}  // namespace adaptext
