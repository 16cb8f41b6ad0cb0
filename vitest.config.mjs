import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { ISOLATION_HEADERS as isolation, staticFiles } from './tests/helpers/static-files.mjs';

// Two projects run the same suites:
// - node: every test file, against the native and the wasm backend;
// - chromium: every test file against the wasm backend in Debian's headless
//   Chromium (never a downloaded browser), served cross-origin isolated
//   (WebAssembly threads need SharedArrayBuffer). Excluded, by name: files
//   named *.node.test.ts, which need Node itself (child processes, process
//   exit codes, the Node loader, packing and serving the package).

// The wasm build's files, served untransformed under /hosted/ as a page
// hosting them elsewhere would (tests/browser-hosting.browser.test.ts). Not
// Vite's publicDir: the suites also import dist/web through Vite, and Vite
// warns about every file that both serve.
const hosted = {
  name: 'anythread-hosted',
  configureServer(server) {
    server.middlewares.use('/hosted/', staticFiles(fileURLToPath(new URL('./dist/web', import.meta.url)), isolation));
  },
};

// Reliability suites (tests/reliability-*): ANYTHREAD_SOAK=1 (npm run soak)
// runs them with the soak sizes; ANYTHREAD_SEED replays a run's randomness.
// The seed is chosen here, once per run, and printed in the summary.
const soak = process.env.ANYTHREAD_SOAK === '1';
const seed = process.env.ANYTHREAD_SEED
  ? Number(process.env.ANYTHREAD_SEED)
  : Math.floor(Math.random() * 2 ** 32);
process.env.ANYTHREAD_SEED = String(seed);

export default defineConfig({
  server: { headers: isolation },
  // Files outside js/ (examples/) import the package by name, as users do.
  resolve: { alias: { anythread: new URL('./js/index.mjs', import.meta.url).pathname } },
  test: {
    provide: { soak, seed },
    reporters: ['default', './tests/reliability/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file loads the backends; wasm pthread workers cost memory, so
    // keep concurrency at the core count.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.browser.test.ts'],
        },
      },
      {
        extends: true,
        server: { headers: isolation },
        plugins: [hosted],
        test: {
          name: 'chromium',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.node.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            instances: [{ browser: 'chromium' }],
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
          },
        },
      },
    ],
  },
});
