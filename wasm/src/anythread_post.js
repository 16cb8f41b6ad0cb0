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
}
