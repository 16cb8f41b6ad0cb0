// Default conversion of a payload to the arguments of a JS call.
//
// JS thread only (conversion happens at delivery). Scalars, strings and
// containers become one argument each; Spread<...> becomes several
// positional arguments; Value passes through untouched.
#ifndef ANYTHREAD_CONVERT_HPP_
#define ANYTHREAD_CONVERT_HPP_

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "anythread/backend.hpp"
#include "anythread/shared_value.hpp"
#include "anythread/small_buffer.hpp"
#include "anythread/status.hpp"

namespace anythread {

using Args = std::vector<Value>;

// A payload that gives the JS function no arguments (CalleeHandled: just
// the leading null), and a result type that accepts any JS value and keeps
// nothing of it.
struct NoArgs {};

// A payload whose elements become separate JS arguments: JS receives
// (a, b, c) for Spread<A, B, C>{a, b, c}. A plain std::tuple is one array.
template <typename... Ts>
struct Spread {
  std::tuple<Ts...> values;
  Spread() = default;
  explicit Spread(Ts... vs) : values(std::move(vs)...) {}
};

template <typename T, typename Enable = void>
struct JsTraits;  // Specialise to teach anythread a payload type.

template <>
struct JsTraits<bool> {
  static Value ToJs(Env env, bool v) { return Value::Boolean(env, v); }
};
template <typename T>
struct JsTraits<T, std::enable_if_t<std::is_arithmetic<T>::value &&
                                    !std::is_same<T, bool>::value>> {
  static Value ToJs(Env env, T v) {
    return Value::Number(env, static_cast<double>(v));
  }
};
template <>
struct JsTraits<std::string> {
  static Value ToJs(Env env, const std::string& v) {
    return Value::String(env, v);
  }
};
template <>
struct JsTraits<const char*> {
  static Value ToJs(Env env, const char* v) { return Value::String(env, v); }
};
template <>
struct JsTraits<Value> {
  static Value ToJs(Env, const Value& v) { return v; }
};
template <>
struct JsTraits<NoArgs> {
  static Value ToJs(Env env, const NoArgs&) { return Value::Undefined(env); }
};
// A JS value held across threads comes back as the very same value.
template <>
struct JsTraits<SharedValuePtr> {
  static Value ToJs(Env env, const SharedValuePtr& v) {
    return v ? v->Get(env) : Value::Undefined(env);
  }
};
template <typename T>
struct JsTraits<std::vector<T>> {
  static Value ToJs(Env env, const std::vector<T>& v) {
    // Numbers (as JsTraits<T> makes each: static_cast<double>): the
    // backend makes the whole Array at once (in wasm one transition, not
    // several per element).
    if constexpr (std::is_arithmetic<T>::value && !std::is_same<T, bool>::value) {
      if constexpr (std::is_same<T, double>::value) {
        return MakeNumberArray(env, v.data(), v.size());
      } else {
        SmallBuffer<double, 16> numbers(v.size());
        for (size_t i = 0; i < v.size(); ++i) numbers.data()[i] = static_cast<double>(v[i]);
        return MakeNumberArray(env, numbers.data(), v.size());
      }
    }
    // Other elements: their values, then the Array at once (MakeArray; in
    // wasm one transition, where setting each element took two or three).
    std::vector<Value> elements;
    elements.reserve(v.size());
    for (const T& e : v) elements.push_back(JsTraits<T>::ToJs(env, e));
    return MakeArray(env, elements.data(), elements.size());
  }
};
template <typename... Ts>
struct JsTraits<std::tuple<Ts...>> {
  static Value ToJs(Env env, const std::tuple<Ts...>& v) {
    // As a vector's: the elements' values (in order: a braced list), then
    // the Array at once.
    const std::array<Value, sizeof...(Ts)> elements = std::apply(
        [&](const auto&... e) {
          return std::array<Value, sizeof...(Ts)>{
              JsTraits<std::decay_t<decltype(e)>>::ToJs(env, e)...};
        },
        v);
    return MakeArray(env, elements.data(), elements.size());
  }
};

// JS thread. The argument list JS receives for `payload`.
template <typename T>
Args ToJsArgs(Env env, const T& payload) {
  return Args{JsTraits<T>::ToJs(env, payload)};
}
inline Args ToJsArgs(Env, const NoArgs&) { return Args{}; }
template <typename... Ts>
Args ToJsArgs(Env env, const Spread<Ts...>& payload) {
  Args args;
  args.reserve(sizeof...(Ts));
  std::apply(
      [&](const auto&... e) {
        (args.push_back(JsTraits<std::decay_t<decltype(e)>>::ToJs(env, e)),
         ...);
      },
      payload.values);
  return args;
}

// Whether a payload type converts to JS arguments by itself (a JsTraits
// specialization, NoArgs or Spread). Other payload types need a converter.
template <typename T, typename = void>
struct HasJsTraits : std::false_type {};
template <typename T>
struct HasJsTraits<T, std::void_t<decltype(JsTraits<T>::ToJs(
                          std::declval<Env>(), std::declval<const T&>()))>>
    : std::true_type {};
template <typename T>
struct HasDefaultConversion : HasJsTraits<T> {};
template <>
struct HasDefaultConversion<NoArgs> : std::true_type {};
template <typename... Ts>
struct HasDefaultConversion<Spread<Ts...>> : std::true_type {};
template <typename T>
inline constexpr bool kHasDefaultConversion = HasDefaultConversion<T>::value;

// JS thread. The JS type of `v` as NAPI-RS names it in conversion errors.
inline const char* JsTypeName(const Value& v) {
  if (v.IsUndefined()) return "Undefined";
  if (v.IsNull()) return "Null";
  if (v.IsBoolean()) return "Boolean";
  if (v.IsNumber()) return "Number";
  if (v.IsString()) return "String";
  if (v.IsFunction()) return "Function";
  if (v.IsObject()) return "Object";
  return "Unknown";  // symbol, bigint
}

// JS thread. The error for a JS value that is not a `cpp_type`.
inline Error ConversionError(Env env, const Value& v, const char* cpp_type) {
  return Error(Status::kInvalidArg,
               std::string("Failed to convert JavaScript value `") +
                   JsTypeName(v) + " " + DescribeThrown(env, v) +
                   "` into C++ type `" + cpp_type + "`");
}

// Conversion of a JS result to C++ (JS thread). Specialise to add types.
template <typename R, typename Enable = void>
struct FromJs;

template <>
struct FromJs<Value> {
  static Result<Value> Convert(Env, const Value& v) { return v; }
};
template <>
struct FromJs<SharedValuePtr> {
  static Result<SharedValuePtr> Convert(Env env, const Value& v) {
    return SharedValue::Make(env, v);
  }
};
template <>
struct FromJs<NoArgs> {
  static Result<NoArgs> Convert(Env, const Value&) { return NoArgs{}; }
};
template <>
struct FromJs<bool> {
  static Result<bool> Convert(Env env, const Value& v) {
    if (!v.IsBoolean()) return ConversionError(env, v, "bool");
    return v.AsBool();
  }
};
template <typename R>
struct FromJs<R, std::enable_if_t<std::is_arithmetic<R>::value &&
                                  !std::is_same<R, bool>::value>> {
  static Result<R> Convert(Env env, const Value& v) {
    if (!v.IsNumber()) return ConversionError(env, v, "number");
    return static_cast<R>(v.AsNumber());
  }
};
template <>
struct FromJs<std::string> {
  static Result<std::string> Convert(Env env, const Value& v) {
    if (!v.IsString()) return ConversionError(env, v, "std::string");
    return v.AsString();
  }
};

}  // namespace anythread

#endif  // ANYTHREAD_CONVERT_HPP_
