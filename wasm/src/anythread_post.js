// Appended to the Emscripten output (--post-js), inside the module factory.
// Node (TOOLCHAIN.md quirk 6): pthread workers must not keep the process
// alive; the glue holds the loop for strong threadsafe functions instead.
// Emscripten attaches its 'message' listener in loadWasmModuleToWorker, and
// a listener re-refs a worker's port, so unref after that, every time.
if (ENVIRONMENT_IS_NODE && !ENVIRONMENT_IS_PTHREAD) {
  var anythreadLoadWorker = PThread.loadWasmModuleToWorker;
  PThread.loadWasmModuleToWorker = function(worker) {
    var result = anythreadLoadWorker.apply(PThread, arguments);
    if (worker && typeof worker.unref === 'function') worker.unref();
    return result;
  };
  // With the workers unref'd, nothing else holds the event loop while the
  // module instantiates (the compile and the workers' loading do not), and
  // a script awaiting the factory would end half-way (Node: "unsettled
  // top-level await", exit code 13). Hold it until the runtime is up, or
  // the load has failed (an abort: the factory's promise rejects). A load
  // that failed leaves the pool's workers unloaded, so not yet unref'd, and
  // they would hold the process for ever: unref them then.
  var anythreadLoading = setInterval(function() {}, 1 << 30);
  var anythreadLoaded = function() { clearInterval(anythreadLoading); };
  addOnPostRun(anythreadLoaded);
  var anythreadOnAbort = Module['onAbort'];
  Module['onAbort'] = function(what) {
    anythreadLoaded();
    PThread.unusedWorkers.forEach(function(worker) {
      if (typeof worker.unref === 'function') worker.unref();
    });
    if (anythreadOnAbort) anythreadOnAbort(what);
  };
}
