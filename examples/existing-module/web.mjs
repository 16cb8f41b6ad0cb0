// The module in a browser page, loaded through its own Emscripten factory
// (the ES module build). No anythread JS is involved. The page must be
// cross-origin isolated (SharedArrayBuffer), as for any pthreads build.
import createLogstream from './dist/web/logstream.mjs';

/** `{ start(threads, lines, onLine) }`. */
export async function loadLogstream() {
  const module = await createLogstream({
    // The pthread workers import the module's script from here (a bundler
    // may have moved it; see Emscripten's mainScriptUrlOrBlob).
    mainScriptUrlOrBlob: new URL('./dist/web/logstream.mjs', import.meta.url).href,
  });
  return {
    start(threads, lines, onLine) {
      const error = module.start(threads, lines, onLine);
      if (error !== undefined) throw error;
    },
  };
}
