// Node-only: a static file server (optionally cross-origin isolated; its
// handler is static-files.mjs) and Debian's headless Chromium driven by
// Playwright, for tests that load built pages the way a user's browser would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { ISOLATION_HEADERS, staticFiles } from './static-files.mjs';

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
