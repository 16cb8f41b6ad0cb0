// JS half of the wasm backend (linked with --js-library). Main runtime thread
// only. User JS is always called inside try/catch here, so a JS exception
// never unwinds through wasm frames.
mergeInto(LibraryManager.library, {
  $anythreadState: { keepAlive: 0, timer: null, queue: null, run: null, post: null, waitAsync: null, view: null, values: null, valuesBusy: false, lent: null, lentOut: null, utf8: null, loopValues: null, loopHeap: null, loopStop: 0 },

  // Calls fn with the values of argc handles at argv: one transition, where
  // building an argument array through embind took one per argument (and
  // a JS call more to ask whether it threw). Returns the result's handle,
  // or the thrown value's handle bitwise negated (handles are small
  // positive numbers), which the caller tells by its sign.
  anythread_call__deps: ['$Emval'],
  anythread_call: function(fn, argv, argc) {
    var f = Emval.toValue(fn);
    var heap = HEAPU32;  // One view (see anythread_for_each).
    var base = argv >> 2;
    try {
      var result;
      if (argc === 1) {
        result = f(Emval.toValue(heap[base]));
      } else if (argc === 2) {
        result = f(Emval.toValue(heap[base]), Emval.toValue(heap[base + 1]));
      } else {
        var a = new Array(argc);
        for (var i = 0; i < argc; i++) a[i] = Emval.toValue(heap[base + i]);
        result = f.apply(undefined, a);
      }
      return Emval.toHandle(result);
    } catch (e) {
      return ~Emval.toHandle(e);
    }
  },

  anythread_describe__deps: ['$Emval'],
  anythread_describe: function(value) {
    var v = Emval.toValue(value);
    var text;
    try {
      if (v !== null && (typeof v === 'object' || typeof v === 'function') &&
          typeof v.message === 'string') {
        text = v.message;
      } else {
        text = String(v);
      }
    } catch (e) {
      text = Object.prototype.toString.call(v);
    }
    return Emval.toHandle(text);
  },

  // Settles through anythread_wasm_settle exactly once, whatever the
  // thenable does (a `then` that throws counts as a rejection).
  anythread_then__deps: ['$Emval'],
  anythread_then: function(thenable, ctx) {
    var t = Emval.toValue(thenable);
    var done = false;
    var settle = function(fulfilled, value) {
      if (done) return;
      done = true;
      Module['_anythread_wasm_settle'](ctx, fulfilled ? 1 : 0, Emval.toHandle(value));
    };
    try {
      t.then(function(v) { settle(true, v); }, function(e) { settle(false, e); });
    } catch (e) {
      settle(false, e);
    }
  },

  // A JS function for an exported C++ function pointer (MakeFunction). Like
  // the loader's wrappers, it throws a pending error after the wasm call.
  anythread_make_function__deps: ['$Emval'],
  anythread_make_function: function(name, fn) {
    var f = function() {
      var result = Module['__anythreadCallPtr'](fn, Array.prototype.slice.call(arguments));
      var pending = Module['__anythreadPending'];
      if (pending !== undefined) {
        Module['__anythreadPending'] = undefined;
        throw pending.value;
      }
      return result;
    };
    Object.defineProperty(f, 'name', { value: UTF8ToString(name) });
    return Emval.toHandle(f);
  },

  anythread_for_each__deps: ['$Emval', '$anythreadState', '$anythreadForEach'],
  anythread_for_each: function(fn, values, n, leadingNull, budget) {
    var f = Emval.toValue(fn);
    var base = values >> 3;
    // One view for the whole loop: with pthreads and memory growth every
    // HEAPF64 access re-checks (and may rebuild) the views, which costs more
    // than the call itself. Growth never moves shared memory, so this view
    // keeps covering the batch and its stop slot; the values are copied
    // because a callback may grow memory meanwhile. The loop also stops
    // once `budget` ms have passed (the drain's time budget).
    var heap = HEAPF64;
    var stop = base + n;
    if (n === 1) {
      // One value (an idle stream): no copy to allocate (garbage adds to
      // the tail latency) and no clock to read.
      var x = heap[base];
      if (heap[stop] !== 0) return 0;
      try {
        if (leadingNull) f(null, x); else f(x);
      } catch (e) {
        anythreadState.error = e;
        return -1;
      }
      return 1;
    }
    // The values go into an array kept from batch to batch (grown when a
    // longer run comes): a new one per batch (heap.slice) costs a
    // zero-filled allocation of 8 bytes per call that the GC frees later,
    // and on new pages, which measured 22 ns per call in Node and in
    // Chromium, against under 1 ns to copy into the kept one (bench/NOTES.md).
    // A loop started from inside one of its callbacks (Emscripten runs
    // queued main-thread calls while the main thread waits for a lock)
    // takes a new array: the outer loop still reads the kept one. The
    // callbacks cannot reach it: it is a local, no argument (a sloppy
    // callback can read its caller's arguments).
    var v = anythreadState.values;
    var kept = !anythreadState.valuesBusy;
    if (!kept) {
      v = new Float64Array(n);
    } else if (v === null || v.length < n) {
      v = anythreadState.values = new Float64Array(Math.max(n, 64, v === null ? 0 : 2 * v.length));
    }
    v.set(heap.subarray(base, base + n));
    if (kept) anythreadState.valuesBusy = true;
    try {
      anythreadState.loopValues = v;
      anythreadState.loopHeap = heap;
      anythreadState.loopStop = stop;
      return anythreadForEach(f, n, leadingNull, budget);
    } finally {
      if (kept) anythreadState.valuesBusy = false;
    }
  },

  // The loop of both: f([null,] v[i]) for i in [0, n), stopping before a
  // call once heap[stop] is non-zero, and once `budget` ms have passed (the
  // clock read after call c: the first, then at the calls' pace,
  // $anythreadPace). Returns the calls made, or -(i + 1) when call i threw
  // (the thrown value in anythreadState.error). v, heap and stop come in
  // anythreadState (read before any call: a loop may start inside a
  // callback), not as arguments: a sloppy callback can read its caller's
  // arguments, and the glue cannot be strict (the minifier drops the
  // directive), so no argument may reach the values or the heap.
  $anythreadForEach__deps: ['$anythreadState', '$anythreadPace'],
  $anythreadForEach: function(f, n, leadingNull, budget) {
    var v = anythreadState.loopValues;
    var heap = anythreadState.loopHeap;
    var stop = anythreadState.loopStop;
    anythreadState.loopValues = anythreadState.loopHeap = null;
    var i = 0;
    var c = n > 1 ? 0 : -1;
    var t0 = c === 0 ? performance.now() : 0;
    var t = 0, tl = 0, dl = 0;
    try {
      if (leadingNull) {
        for (; i < n; i++) {
          if (heap[stop] !== 0) return i;
          f(null, v[i]);
          if (i === c) {
            t = performance.now() - t0;
            if (t > budget) return i + 1;
            c = i + anythreadPace(t, tl, i + 1, dl, budget); tl = t; dl = i + 1;
          }
        }
      } else {
        for (; i < n; i++) {
          if (heap[stop] !== 0) return i;
          f(v[i]);
          if (i === c) {
            t = performance.now() - t0;
            if (t > budget) return i + 1;
            c = i + anythreadPace(t, tl, i + 1, dl, budget); tl = t; dl = i + 1;
          }
        }
      }
    } catch (e) {
      anythreadState.error = e;
      return -(i + 1);
    }
    return n;
  },

  // The value loop (CallForEachValue): the values of n handles, read into
  // an Array before any call (a callback may reuse the handles' buffer),
  // then the loop above, which no callback can reach it through.
  anythread_for_each_value__deps: ['$Emval', '$anythreadForEach'],
  anythread_for_each_value: function(fn, handles, n, leadingNull, budget, stop) {
    var f = Emval.toValue(fn);
    var heap = HEAPU32;  // One view (see anythread_for_each).
    var base = handles >> 2;
    var v = new Array(n);
    for (var i = 0; i < n; i++) v[i] = Emval.toValue(heap[base + i]);
    anythreadState.loopValues = v;
    anythreadState.loopHeap = HEAPF64;
    anythreadState.loopStop = stop >> 3;
    return anythreadForEach(f, n, leadingNull, budget);
  },

  // When the loops read the clock next, as ClockPacer does (clock_pacer.hpp):
  // the calls until then, `t` ms into the loop after `done` calls, the last
  // read `tl` ms in after `dl`: half of what the time left holds at that
  // pace, 1 to 32. Slow callbacks overrun the budget by about one call;
  // fast ones read the clock once per 32 calls.
  $anythreadPace: function(t, tl, done, dl, budget) {
    var k = t > tl ? Math.floor((budget - t) * (done - dl) / (2 * (t - tl))) : 32;
    return k < 1 ? 1 : k > 32 ? 32 : k;
  },

  anythread_take_error__deps: ['$Emval', '$anythreadState'],
  anythread_take_error: function() {
    var e = anythreadState.error;
    anythreadState.error = undefined;
    return Emval.toHandle(e);
  },

  // Batched delivery's typed arrays, by TypedArrayType (backend.hpp): the
  // constructor and the heap view its elements are read from.
  $anythreadTyped: function(type) {
    switch (type) {
      case 0: return [Int8Array, HEAP8, 0];
      case 1: return [Uint8Array, HEAPU8, 0];
      case 2: return [Int16Array, HEAP16, 1];
      case 3: return [Uint16Array, HEAPU16, 1];
      case 4: return [Int32Array, HEAP32, 2];
      case 5: return [Uint32Array, HEAPU32, 2];
      case 6: return [Float32Array, HEAPF32, 2];
      default: return [Float64Array, HEAPF64, 3];
    }
  },
  // A copy on a new (unshared) ArrayBuffer: slice() of a heap view.
  // Value::String: UTF-8 bytes to a JS string, with one view for the whole
  // string (see anythread_for_each). Short ASCII strings (log lines, keys)
  // are read directly; the rest goes to a TextDecoder, which cannot read
  // shared memory, so from a copy.
  anythread_string__deps: ['$Emval', '$anythreadUtf8'],
  anythread_string: function(ptr, n) {
    return Emval.toHandle(anythreadUtf8(HEAPU8, ptr, n));
  },
  $anythreadUtf8__deps: ['$anythreadState'],
  $anythreadUtf8: function(heap, ptr, n) {
    var s = '';
    var i = 0;
    if (n <= 64) {
      for (; i < n; i++) {
        var c = heap[ptr + i];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === n) return s;
    }
    // From the first byte that is not ASCII (a character boundary).
    var decoder = anythreadState.utf8 || (anythreadState.utf8 = new TextDecoder('utf-8'));
    return s + decoder.decode(heap.slice(ptr + i, ptr + n));
  },

  // The string loop (CallForEachString): n strings, each the UTF-8 bytes
  // of an (address, length) pair at spans, made into JS strings here (no
  // handle per string, no transition per string), each just before its
  // call: the loop's budget covers the making, so a run of long strings
  // stops on time (made all before the first call, 3,000 strings of 16 KiB
  // held the main thread for 300 ms or more), and none is made for nothing.
  // The clock is read at the calls' pace ($anythreadPace), and after every
  // 64 KiB of strings.
  // The pairs are copied first: their buffer is reused by the next loop,
  // which may be another function's, started inside a callback (see
  // anythread_for_each). The bytes stay put: they are the drain's, and a
  // drain of the same function cannot start inside its callbacks.
  anythread_for_each_string__deps: ['$Emval', '$anythreadState', '$anythreadUtf8', '$anythreadPace'],
  anythread_for_each_string: function(fn, spans, n, leadingNull, budget, stop) {
    var f = Emval.toValue(fn);
    // One view each for the whole loop (see anythread_for_each).
    var bytes = HEAPU8;
    var heap = HEAPF64;
    var pairs = HEAPU32.slice(spans >> 2, (spans >> 2) + 2 * n);
    stop >>= 3;
    var i = 0;
    var c = n > 1 ? 0 : -1;
    var t0 = c === 0 ? performance.now() : 0;
    var t = 0, tl = 0, dl = 0;
    var made = 0;  // Bytes made since the clock was last read.
    try {
      for (; i < n; i++) {
        if (heap[stop] !== 0) return i;
        var length = pairs[2 * i + 1];
        var s = anythreadUtf8(bytes, pairs[2 * i], length);
        made += length;
        if (leadingNull) f(null, s); else f(s);
        // At the calls' pace, as anythreadForEach, and sooner after 64 KiB
        // of strings.
        if (i === c || (made >= 65536 && n > 1)) {
          made = 0;
          t = performance.now() - t0;
          if (t > budget) return i + 1;
          c = i + anythreadPace(t, tl, i + 1, dl, budget); tl = t; dl = i + 1;
        }
      }
    } catch (e) {
      anythreadState.error = e;
      return -(i + 1);
    }
    return n;
  },

  // MakeStringArray: the strings whose (address, length) pairs of UTF-8
  // are at spans, as one Array: all n, or with a budget (ms > 0) those made
  // before it ran out (the clock read at the making's pace and after every
  // 64 KiB, as in the string loop; at least one). How many goes to *made.
  anythread_string_array__deps: ['$Emval', '$anythreadUtf8', '$anythreadPace'],
  anythread_string_array: function(spans, n, budget, made) {
    var words = HEAPU32;  // One view each (see anythread_for_each).
    var bytes = HEAPU8;
    var base = spans >> 2;
    // Sized at once, cut if the budget runs out: grown by push, a batch's
    // Array took new memory several times over (dear on some machines:
    // bench/NOTES.md).
    var v = new Array(n);
    var t0 = budget > 0 ? performance.now() : 0;
    var next = 1, t = 0, tl = 0, dl = 0;  // The next read, after `next` strings.
    var since = 0;  // Bytes made since the clock was last read.
    for (var i = 0; i < n; i++) {
      if (budget > 0 && i > 0 && (i === next || since >= 65536)) {
        since = 0;
        t = performance.now() - t0;
        if (t > budget) break;
        next = i + anythreadPace(t, tl, i, dl, budget); tl = t; dl = i;
      }
      var length = words[base + 2 * i + 1];
      v[i] = anythreadUtf8(bytes, words[base + 2 * i], length);
      since += length;
    }
    if (i < n) v.length = i;
    words[made >> 2] = i;
    return Emval.toHandle(v);
  },

  // MakeArray: the values of n emval handles, as one Array.
  anythread_make_array__deps: ['$Emval'],
  anythread_make_array: function(handles, n) {
    var heap = HEAPU32;  // One view (see anythread_for_each).
    var base = handles >> 2;
    var a = new Array(n);
    for (var i = 0; i < n; i++) a[i] = Emval.toValue(heap[base + i]);
    return Emval.toHandle(a);
  },

  anythread_number_array__deps: ['$Emval'],
  anythread_number_array: function(values, n) {
    var heap = HEAPF64;  // One view (see anythread_for_each).
    var base = values >> 3;
    var a = new Array(n);
    for (var i = 0; i < n; i++) a[i] = heap[base + i];
    return Emval.toHandle(a);
  },

  anythread_typed_array__deps: ['$Emval', '$anythreadTyped'],
  anythread_typed_array: function(type, values, n) {
    var t = anythreadTyped(type);
    var base = values >> t[2];
    return Emval.toHandle(t[1].slice(base, base + n));
  },

  // Lent batches (ThreadsafeFunctionOptions::lend_batches). The kept
  // ArrayBuffer is lent as a typed array view; when the callback returns,
  // anythread_end_lend moves its memory into a new ArrayBuffer (transfer(),
  // or structuredClone's transfer where the engine lacks it, as Node 20
  // does: no copy either way) and keeps that one. The lent view's buffer is
  // then detached: a callback that kept the array sees it empty, never
  // later batches' values. A lend while the kept buffer is out gets a new
  // buffer, detached the same way: a guard, since no drain starts inside
  // another's callback (wake.cpp defers a wake-up that arrives inside native
  // code; tests/lent-batches.test.ts checks it). A buffer the callback
  // transferred away is simply replaced.
  // Where the engine cannot detach at all, the array stays the callback's
  // and its buffer is not reused.
  $anythreadDetach: function(buffer) {
    return typeof buffer.transfer === 'function'
      ? buffer.transfer()
      : structuredClone(buffer, { transfer: [buffer] });
  },
  $anythreadBufferOf: function(array) {
    if (!anythreadBufferOf.get) {
      anythreadBufferOf.get = Object.getOwnPropertyDescriptor(
        Object.getPrototypeOf(Float64Array.prototype), 'buffer').get;
    }
    return anythreadBufferOf.get.call(array);
  },
  anythread_lend_typed_array__deps: ['$Emval', '$anythreadState', '$anythreadTyped'],
  anythread_lend_typed_array: function(type, values, n) {
    var t = anythreadTyped(type);
    var base = values >> t[2];
    var bytes = n << t[2];
    var buffer = anythreadState.lent;
    if (anythreadState.lentOut !== null) {
      buffer = new ArrayBuffer(bytes);
    } else {
      if (buffer === null || buffer.byteLength < bytes) {
        buffer = new ArrayBuffer(Math.max(bytes, 512, buffer === null ? 0 : 2 * buffer.byteLength));
      }
      anythreadState.lent = null;
      anythreadState.lentOut = buffer;
    }
    var array = new t[0](buffer, 0, n);
    array.set(t[1].subarray(base, base + n));
    return Emval.toHandle(array);
  },
  anythread_end_lend__deps: ['$Emval', '$anythreadState', '$anythreadDetach', '$anythreadBufferOf'],
  anythread_end_lend: function(handle) {
    var buffer = anythreadBufferOf(Emval.toValue(handle));
    var kept = buffer === anythreadState.lentOut;
    if (kept) anythreadState.lentOut = null;
    if (buffer.byteLength === 0) return;  // Transferred by the callback.
    try {
      var moved = anythreadDetach(buffer);
      if (kept) anythreadState.lent = moved;
    } catch (e) {
      // An engine that cannot detach (neither transfer() nor
      // structuredClone): the array stays the callback's, and its memory is
      // never lent again (the next lend takes a new buffer). No throw
      // unwinds through wasm.
    }
  },

  anythread_new_promise__deps: ['$Emval'],
  anythread_new_promise: function() {
    var parts = {};
    parts.promise = new Promise(function(resolve, reject) {
      parts.resolve = resolve;
      parts.reject = reject;
    });
    return Emval.toHandle(parts);
  },

  anythread_make_error__deps: ['$Emval'],
  anythread_make_error: function(kind, code, message) {
    var Ctor = kind === 1 ? TypeError : kind === 2 ? RangeError : Error;
    var error = new Ctor(UTF8ToString(message));
    error.code = UTF8ToString(code);
    return Emval.toHandle(error);
  },

  // The exported-function wrapper (js/wasm-binding) throws it once the wasm
  // call has returned.
  anythread_set_pending__deps: ['$Emval'],
  anythread_set_pending: function(error) {
    Module['__anythreadPending'] = { value: Emval.toValue(error) };
  },

  // Reported like any uncaught error: Node emits 'uncaughtException' (exit
  // code 1 when nobody handles it); a browser reports it to window.onerror.
  anythread_report_uncaught__deps: ['$Emval'],
  anythread_report_uncaught: function(error) {
    var e = Emval.toValue(error);
    queueMicrotask(function() { throw e; });
  },

  // A macrotask, never a microtask: a call made from JS must not be delivered
  // before that JS returns to the event loop, as with Node's own doorbell;
  // and a drain that yields (work left after its budget) must really let
  // timers and I/O run before it continues.
  // In Node: setImmediate, except when already running from one. A
  // MessageChannel alone does not yield there: Node handles up to 1000
  // messages per wake-up in one go, those posted meanwhile (even on another
  // port) included, so a drain woken by a message and re-posting would come
  // straight back. An immediate runs after polling, and timers come first in
  // the next turn. It is ref'd (an unref'd one does not wake a waiting loop),
  // so a drain running from an immediate re-posts through the unref'd
  // MessageChannel instead: handled in the next turn, after timers, and the
  // loop may exit before it. So, as with Node's own weak threadsafe
  // functions, a ring never keeps the process alive: only the keep-alive
  // count does (strong functions, pending Deferreds).
  // In browsers: a MessageChannel, a task of its own, after which timers and
  // rendering get their turn.
  anythread_schedule__deps: ['$anythreadState'],
  anythread_schedule: function(ctx) {
    var st = anythreadState;
    if (!st.queue) {
      st.queue = [];
      st.run = function() {
        var q = st.queue;
        st.queue = [];
        for (var i = 0; i < q.length; i++) {
          if (typeof q[i] === 'function') q[i]();  // anythread_arm's bell.
          else Module['_anythread_wasm_wake'](q[i]);
        }
      };
      var channel = new MessageChannel();
      channel.port1.onmessage = st.run;
      if (typeof channel.port1.unref === 'function') channel.port1.unref();
      var inImmediate = false;
      var fromImmediate = function() {
        inImmediate = true;
        try { st.run(); } finally { inImmediate = false; }
      };
      var nodeImmediate = typeof process === 'object' && typeof setImmediate === 'function';
      st.post = function() {
        if (nodeImmediate && !inImmediate) setImmediate(fromImmediate);
        else channel.port2.postMessage(0);
      };
    }
    st.queue.push(ctx);
    if (st.queue.length === 1) st.post();
  },

  // The doorbell's wait (see BackendDoorbell in backend_impl.hpp): an
  // Atomics.waitAsync on the doorbell's word while it is 0; once a ring (or
  // the close) changes it, anythread_wasm_bell(ctx) runs. The engine posts a
  // task for that, so each wake-up is a macrotask of its own, as a message
  // would be. A word already changed when armed ('not-equal') also waits for
  // a macrotask (anythread_schedule's), never a microtask: a drain that
  // re-arms while producers keep ringing must still yield to the event loop.
  // At a doorbell's creation (`creating`), returns 0 where the engine has no
  // Atomics.waitAsync; the doorbell then posts a message per ring instead.
  // Later waits use the function found then: a doorbell that waits keeps
  // waiting even if the global is replaced meanwhile.
  anythread_arm__deps: ['anythread_schedule', '$anythreadState'],
  anythread_arm: function(word, ctx, creating) {
    var st = anythreadState;
    if (creating) {
      if (typeof Atomics.waitAsync !== 'function') return 0;
      st.waitAsync = Atomics.waitAsync;
    }
    var bell = function() { Module['_anythread_wasm_bell'](ctx); };
    // A view of the memory as it is now (it may have grown since the view
    // was made); the wait is on the shared memory itself, not on the view.
    if (st.view === null || st.view.buffer !== wasmMemory.buffer) {
      st.view = new Int32Array(wasmMemory.buffer);
    }
    var r = st.waitAsync.call(Atomics, st.view, word >> 2, 0);
    if (r.async) {
      r.value.then(bell);
    } else {
      _anythread_schedule(bell);
    }
    return 1;
  },

  // In Node, pthread workers are unref'd (the post-js does it) so they never
  // hold the process; instead a ref'd timer stands for every open, strong
  // threadsafe function, as Node's own threadsafe functions hold the loop.
  // Whether the main thread may block (Atomics.wait): in Node, yes; on a
  // browser's main thread, no (StripeLock waits there without sleeping).
  anythread_main_thread_may_block: function() {
    return ENVIRONMENT_IS_NODE ? 1 : 0;
  },

  anythread_keep_alive__deps: ['$anythreadState'],
  anythread_keep_alive: function(delta) {
    var st = anythreadState;
    st.keepAlive += delta;
    if (typeof process !== 'object' || typeof setInterval !== 'function') return;
    if (st.keepAlive > 0 && st.timer === null) {
      st.timer = setInterval(function() {}, 1 << 30);
    } else if (st.keepAlive === 0 && st.timer !== null) {
      clearInterval(st.timer);
      st.timer = null;
    }
  },
});
