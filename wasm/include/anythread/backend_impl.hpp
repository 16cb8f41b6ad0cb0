// Emscripten backend: the JS value layer (embind's emscripten::val) and the
// doorbell (a proxied call to the main runtime thread).
//
// Included only through <anythread/backend.hpp>. Translates; decides nothing.
// JS exceptions must never unwind through wasm frames (the core is built
// without C++ exceptions, so destructors would be skipped): every call into
// user JS goes through a JS try/catch (anythread_glue.js), and exported
// functions report errors by leaving a pending exception that the JS wrapper
// throws after the wasm call has returned.
#ifndef ANYTHREAD_WASM_BACKEND_IMPL_HPP_
#define ANYTHREAD_WASM_BACKEND_IMPL_HPP_

#include <emscripten.h>
#include <emscripten/bind.h>
#include <emscripten/threading.h>
#include <emscripten/val.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Implemented in JS by the glue (--js-library anythread_glue.js). Main
// runtime thread only.
using anythread_em_val = emscripten::EM_VAL;
extern "C" {
anythread_em_val anythread_call(anythread_em_val fn, anythread_em_val args);  // Result or thrown value.
int anythread_last_threw(void);
anythread_em_val anythread_make_error(int kind, const char* code, const char* message);
void anythread_set_pending(anythread_em_val error);
void anythread_report_uncaught(anythread_em_val error);
void anythread_schedule(void* ctx);      // Run anythread_wasm_wake(ctx) soon.
void anythread_keep_alive(int delta);    // Node: hold the event loop if > 0.
}

namespace anythread {

class Env {};  // One runtime per module instance: nothing to carry.

class Value {
 public:
  Value() : v_(emscripten::val::undefined()) {}
  Value(emscripten::val v) : v_(std::move(v)) {}  // NOLINT: implicit

  static Value Undefined(Env) { return emscripten::val::undefined(); }
  static Value Null(Env) { return emscripten::val::null(); }
  static Value Boolean(Env, bool b) { return emscripten::val(b); }
  static Value Number(Env, double d) { return emscripten::val(d); }
  static Value String(Env, std::string_view s) {
    return emscripten::val(std::string(s));
  }
  static Value Array(Env) { return emscripten::val::array(); }
  static Value Object(Env) { return emscripten::val::object(); }

  bool IsEmpty() const { return false; }
  bool IsUndefined() const { return v_.isUndefined(); }
  bool IsNull() const { return v_.isNull(); }
  bool IsBoolean() const { return v_.isTrue() || v_.isFalse(); }
  bool IsNumber() const { return v_.isNumber(); }
  bool IsString() const { return v_.isString(); }
  bool IsFunction() const { return v_.typeOf().as<std::string>() == "function"; }
  bool IsObject() const {
    std::string t = v_.typeOf().as<std::string>();
    return (t == "object" && !v_.isNull()) || t == "function";
  }
  bool IsArray() const {
    return emscripten::val::global("Array").call<bool>("isArray", v_);
  }

  bool AsBool() const { return v_.as<bool>(); }
  double AsNumber() const { return v_.as<double>(); }
  std::string AsString() const { return v_.as<std::string>(); }

  Value Get(const char* key) const { return v_[key]; }
  Value Get(uint32_t index) const { return v_[index]; }
  void Set(const char* key, const Value& value) { v_.set(key, value.v_); }
  void Set(uint32_t index, const Value& value) { v_.set(index, value.v_); }
  uint32_t Length() const { return v_["length"].as<uint32_t>(); }

  const emscripten::val& val() const { return v_; }

 private:
  emscripten::val v_;
};

// Holding an emscripten::val keeps the JS value alive: that is the reference.
class Reference {
 public:
  Reference() = default;
  static Reference Make(const Value& v) {
    Reference r;
    r.value_ = std::make_unique<Value>(v);
    return r;
  }
  Value Get(Env) const { return value_ ? *value_ : Value(); }
  void Reset() { value_.reset(); }

 private:
  std::unique_ptr<Value> value_;
};

class CallbackInfo {
 public:
  explicit CallbackInfo(const emscripten::val& args)
      : args_(args), length_(args["length"].as<size_t>()) {}
  Env env() const { return Env(); }
  size_t Length() const { return length_; }
  Value operator[](size_t i) const {
    return i < length_ ? Value(args_[i]) : Value();
  }

 private:
  const emscripten::val& args_;
  size_t length_;
};

struct CallOutcome {
  bool threw = false;
  Value value;  // The result, or the thrown value.
};

inline CallOutcome CallFunction(Env, const Value& fn,
                                const std::vector<Value>& args) {
  emscripten::val argv = emscripten::val::array();
  for (size_t i = 0; i < args.size(); ++i) {
    argv.set(static_cast<uint32_t>(i), args[i].val());
  }
  CallOutcome outcome;
  outcome.value = emscripten::val::take_ownership(
      anythread_call(fn.val().as_handle(), argv.as_handle()));
  outcome.threw = anythread_last_threw() != 0;
  return outcome;
}

inline Value MakeError(Env, ErrorKind kind, std::string_view code,
                       std::string_view message) {
  std::string c(code), m(message);
  return emscripten::val::take_ownership(
      anythread_make_error(static_cast<int>(kind), c.c_str(), m.c_str()));
}

inline Value ThrowError(Env env, ErrorKind kind, std::string_view code,
                        std::string_view message) {
  Value error = MakeError(env, kind, code, message);
  anythread_set_pending(error.val().as_handle());
  return Value::Undefined(env);
}

inline void ReportUncaught(Env, const Value& error) {
  anythread_report_uncaught(error.val().as_handle());
}

}  // namespace anythread

extern "C" void anythread_wasm_wake(void* ctx);

namespace anythread {

// The doorbell. From a pthread: one emscripten_async_run_in_main_runtime_thread
// per ring (the core coalesces rings to one per batch; Emscripten 3.1.6's
// emscripten_proxy_async to the main thread never runs, TOOLCHAIN.md quirk 7).
// From the main thread: a macrotask (setImmediate / MessageChannel), so a call
// made from JS is never delivered inside that same call.
class BackendDoorbell final : public Doorbell {
 public:
  // Main thread.
  static std::unique_ptr<BackendDoorbell> Create(
      Env, std::shared_ptr<DrainTarget> target, bool weak) {
    std::unique_ptr<BackendDoorbell> bell(
        new BackendDoorbell(std::move(target)));
    if (!weak) bell->Ref();
    return bell;
  }

  // Any thread, with the core's queue mutex held, never after Close(). The
  // message owns a reference to the target until it has run.
  void Ring() override {
    auto* ctx = new std::shared_ptr<DrainTarget>(target_);
    if (emscripten_is_main_runtime_thread()) {
      anythread_schedule(ctx);
    } else {
      emscripten_async_run_in_main_runtime_thread(
          EM_FUNC_SIG_VI, &anythread_wasm_wake, ctx);
    }
  }

  // Main thread.
  void Ref() {
    if (closed_ || refed_) return;
    refed_ = true;
    anythread_keep_alive(1);
  }
  void Unref() {
    if (closed_ || !refed_) return;
    refed_ = false;
    anythread_keep_alive(-1);
  }
  // Main thread, once the core has finalized: no Ring() can follow, so the
  // doorbell lets go of the target (breaking the target -> doorbell cycle).
  void Close() {
    Unref();
    closed_ = true;
    target_.reset();
  }

 private:
  explicit BackendDoorbell(std::shared_ptr<DrainTarget> target)
      : target_(std::move(target)) {}

  // Read by Ring() under the core's mutex; reset by Close() once no Ring()
  // can follow. Each message in flight holds its own copy.
  std::shared_ptr<DrainTarget> target_;
  // Main thread only.
  bool refed_ = false;
  bool closed_ = false;
};

using ExportedFunction = Value (*)(const CallbackInfo&);

class ModuleBuilder {
 public:
  Env env() const { return Env(); }
  void Export(const char* name, ExportedFunction fn) {
    Exports().push_back({name, fn});
  }

  struct Entry {
    const char* name;
    ExportedFunction fn;
  };
  static std::vector<Entry>& Exports() {
    static std::vector<Entry> exports;
    return exports;
  }
};

}  // namespace anythread

// Declares the module's exports once for both backends:
//   ANYTHREAD_MODULE(m) { m.Export("name", &Fn); }
// In wasm, embind exposes two functions; the JS loader turns them into one
// plain JS function per export (js/wasm-binding).
#define ANYTHREAD_MODULE(builder)                                           \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder);     \
  static ::emscripten::val AnythreadExportNames() {                         \
    ::anythread::ModuleBuilder::Exports().clear();                          \
    ::anythread::ModuleBuilder b;                                           \
    AnythreadInitModule(b);                                                 \
    ::emscripten::val names = ::emscripten::val::array();                   \
    uint32_t i = 0;                                                         \
    for (auto& e : ::anythread::ModuleBuilder::Exports()) {                 \
      names.set(i++, ::emscripten::val(std::string(e.name)));               \
    }                                                                       \
    return names;                                                           \
  }                                                                         \
  static ::emscripten::val AnythreadInvoke(int index, ::emscripten::val args) { \
    auto& exports = ::anythread::ModuleBuilder::Exports();                  \
    if (index < 0 || static_cast<size_t>(index) >= exports.size()) {        \
      return ::emscripten::val::undefined();                                \
    }                                                                       \
    ::anythread::Value result =                                             \
        exports[index].fn(::anythread::CallbackInfo(args));                 \
    return result.val();                                                    \
  }                                                                         \
  EMSCRIPTEN_BINDINGS(anythread_module) {                                   \
    ::emscripten::function("__anythreadExportNames", &AnythreadExportNames); \
    ::emscripten::function("__anythreadInvoke", &AnythreadInvoke);          \
  }                                                                         \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder)

#endif  // ANYTHREAD_WASM_BACKEND_IMPL_HPP_
