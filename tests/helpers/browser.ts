// Node-only: a static file server (optionally cross-origin isolated) and
// Debian's headless Chromium driven by Playwright, for tests that load built
// pages the way a user's browser would.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const TYPES: Record<string, string> = {
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
 * a 404. Used by serve() and by the vitest config's /hosted/ route. */
export function staticFiles(dir: string, headers: Record<string, string> = {}) {
  return (req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => {
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

/** Serves `dir` on 127.0.0.1 (a free port), with or without the headers. */
export async function serve(dir: string, isolated: boolean) {
  const server = http.createServer(staticFiles(dir, isolated ? ISOLATION_HEADERS : {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Debian's Chromium, headless, never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
