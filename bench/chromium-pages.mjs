// How the benchmarks run in headless Chromium (bench/run.mjs, and
// bench/strings.mjs chromium): the page bench/browser served by Vite,
// cross-origin isolated, in Debian's Chromium (scripts/chromium.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// Starts the server and a browser. Returns { browser, launch, query,
// servePage, close }: launch() starts another browser with the same flags,
// query(params) is the page's URL with those search parameters (and
// `quick`), servePage(params, name) opens a page that holds one
// implementation (the page's ?serve= mode, see bench/browser/main.mjs) and
// returns { name, page, once(p) }, a run with p producers.
export async function startChromiumBench({ quick = false, plugins = [] } = {}) {
  const server = await createServer({
    configFile: path.join(here, 'browser', 'vite.config.mjs'),
    server: { port: 0 },
    plugins,
  });
  await server.listen();
  // Pages not in front must not be throttled: several are open at once.
  const launch = () => chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  let browser;
  try {
    browser = await launch();
  } catch (err) {
    await server.close();
    throw err;
  }
  const base = server.resolvedUrls.local[0];
  const query = (params) => `${base}?${new URLSearchParams({ ...params, ...(quick ? { quick: '' } : {}) })}`;
  const servePage = async (params, name) => {
    const page = await browser.newPage();
    await page.goto(query(params));
    await page.waitForFunction(() => window.__benchReady || window.__benchError, undefined, { timeout: 60_000 });
    const error = await page.evaluate(() => window.__benchError);
    if (error) throw new Error(`browser benchmark (${name}): ${error}`);
    return { name, page, once: (p) => page.evaluate((n) => window.__benchOnce(n), p) };
  };
  const close = async () => {
    await browser.close();
    await server.close();
  };
  return { browser, launch, query, servePage, close };
}
