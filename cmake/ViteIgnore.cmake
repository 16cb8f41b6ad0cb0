# cmake -DWORKER=<dir>/web/<name>.worker.js -P ViteIgnore.cmake
# Emscripten's pthread worker imports the main script from a URL it is sent
# at run time. Vite's dev server cannot analyze that import and warns
# whenever it serves the build from outside node_modules (a linked package,
# our own tests); the comment says the import is meant. Idempotent.
file(READ "${WORKER}" text)
set(from "import(e.data.urlOrBlob)")
string(FIND "${text}" "${from}" at)
if(at EQUAL -1)
  # Another Emscripten's worker: nothing to mark (tests/browser-entry.node.test.ts
  # checks ours).
  return()
endif()
string(REPLACE "${from}" "import(/* @vite-ignore */ e.data.urlOrBlob)" text "${text}")
file(WRITE "${WORKER}" "${text}")
