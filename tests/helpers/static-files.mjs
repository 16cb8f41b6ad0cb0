// A static-file request handler, plain JS so that vitest.config.mjs can
// load it as it is (a .ts import there is ESM that Vite's config loader
// reads as CommonJS, and warns about). Used by tests/helpers/browser.ts's
// serve() and by the vitest config's /hosted/ route.
import fs from 'node:fs';
import path from 'node:path';

/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** A request handler that sends the files below `dir` with `headers`.
 * What is not there goes to `next` when given (a Vite middleware), else is
 * a 404.
 * @param {string} dir
 * @param {Record<string, string>} [headers]
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next?: () => void) => void}
 */
export function staticFiles(dir, headers = {}) {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) {
      if (next) next();
      else res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      ...headers,
    });
    fs.createReadStream(file).pipe(res);
  };
}
