// Scenario: `npm run demo:browser`'s page, served by Vite with the isolation
// headers, run in headless Chromium; a screenshot is taken once it completed
// (saved under test-output/, not committed).
import { afterAll, beforeAll, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import type { Browser } from 'playwright';
import { launchChromium } from './helpers/browser';
import { root } from './helpers/node';

let server: ViteDevServer;
let browser: Browser;

beforeAll(async () => {
  server = await createServer({
    configFile: path.join(root, 'examples/browser-demo/vite.config.mjs'),
    server: { port: 0, strictPort: false, hmr: false },
    logLevel: 'silent',
  });
  await server.listen();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the demo page completes every callback and is screenshotted', async () => {
  const url = server.resolvedUrls!.local[0];
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(
    () => /^(completed|error)/.test(document.getElementById('status')?.textContent ?? ''),
    undefined,
    { timeout: 60_000 },
  );
  const status = await page.textContent('#status');
  expect(status, `page errors: ${errors.join('; ')}`).toBe('completed: 100/100 seed callbacks, 1024/1024 progress callbacks from 4 threads');
  expect(await page.textContent('#progress')).toMatch(/checksum \d+ verified$/);
  const file = path.join(root, 'test-output', 'browser-demo.png');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  expect(errors).toEqual([]);
  await page.close();
}, 90_000);
