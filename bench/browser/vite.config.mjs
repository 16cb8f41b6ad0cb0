// Serves the browser benchmark page, cross-origin isolated (bench/run.mjs).
import { defineConfig } from 'vite';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  resolve: { alias: { anythread: new URL('../../js/index.mjs', import.meta.url).pathname } },
  server: {
    host: '127.0.0.1',
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
    fs: { allow: [new URL('../..', import.meta.url).pathname] },
  },
  logLevel: 'silent',
});
