// Default conversion of a payload to the arguments of a JS call.
//
// JS thread only (conversion happens at delivery). Scalars, strings and
// containers become one argument each; Spread<...> becomes several
// positional arguments; Value passes through untouched.
#ifndef ANYTHREAD_CONVERT_HPP_
#define ANYTHREAD_CONVERT_HPP_

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "anythread/backend.hpp"

namespace anythread {

using Args = std::vector<Value>;

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
template <typename T>
struct JsTraits<std::vector<T>> {
  static Value ToJs(Env env, const std::vector<T>& v) {
    Value array = Value::Array(env);
    for (uint32_t i = 0; i < v.size(); ++i) {
      array.Set(i, JsTraits<T>::ToJs(env, v[i]));
    }
    return array;
  }
};
template <typename... Ts>
struct JsTraits<std::tuple<Ts...>> {
  static Value ToJs(Env env, const std::tuple<Ts...>& v) {
    Value array = Value::Array(env);
    uint32_t i = 0;
    std::apply(
        [&](const auto&... e) {
          (array.Set(i++, JsTraits<std::decay_t<decltype(e)>>::ToJs(env, e)),
           ...);
        },
        v);
    return array;
  }
};

// JS thread. The argument list JS receives for `payload`.
template <typename T>
Args ToJsArgs(Env env, const T& payload) {
  return Args{JsTraits<T>::ToJs(env, payload)};
}
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

}  // namespace anythread

#endif  // ANYTHREAD_CONVERT_HPP_
