// Turns an instantiated Emscripten module built by anythread_add_module into
// plain JS functions and classes. Shared by Node and browsers: no Node
// built-ins here.

// The embind exports of ANYTHREAD_MODULE: __anythreadExports() describes
// each export ({ name, kind, index, methods }); __anythreadInvoke(i, args)
// calls function i; __anythreadNew / __anythreadMethod / __anythreadDelete
// drive classes. A wasm call never throws a JS exception itself (that would
// unwind wasm frames): it leaves the error in __anythreadPending, thrown here
// once the call has returned.
export function wrapExports(instance) {
  const takePending = () => {
    const pending = instance.__anythreadPending;
    if (pending !== undefined) {
      instance.__anythreadPending = undefined;
      throw pending.value;
    }
  };
  // The C++ object behind a class instance; freed when the JS object is.
  const objectKey = Symbol('anythread.object');
  const registry = new FinalizationRegistry((ptr) => instance.__anythreadDelete(ptr));

  const makeFunction = ({ name, index }) => {
    const fn = function (...args) {
      const result = instance.__anythreadInvoke(index, args);
      takePending();
      return result;
    };
    Object.defineProperty(fn, 'name', { value: name });
    return fn;
  };

  const makeClass = ({ name, index, methods }) => {
    const cls = function (...args) {
      if (!new.target) {
        const err = new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
        err.code = 'InvalidArg';
        throw err;
      }
      const ptr = instance.__anythreadNew(index, args);
      takePending();
      Object.defineProperty(this, objectKey, { value: ptr });
      registry.register(this, ptr);
    };
    Object.defineProperty(cls, 'name', { value: name });
    methods.forEach((method, methodIndex) => {
      Object.defineProperty(cls.prototype, method, {
        writable: true,
        configurable: true,
        value: function (...args) {
          const ptr = this != null ? this[objectKey] : undefined;
          if (!ptr) {
            const err = new TypeError(`Illegal invocation of ${method}`);
            err.code = 'InvalidArg';
            throw err;
          }
          const result = instance.__anythreadMethod(index, methodIndex, ptr, args);
          takePending();
          return result;
        },
      });
    });
    return cls;
  };

  const exports = {};
  for (const d of instance.__anythreadExports()) {
    exports[d.name] = d.kind === 'class' ? makeClass(d) : makeFunction(d);
  }
  return exports;
}

