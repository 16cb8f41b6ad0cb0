// The progress module in a browser page (bundled or not): its web/ build is
// an ES module; pthread workers re-import it from `mainScriptUrl`.
import { loadModule } from 'anythread';
import factory from './dist/web/progress.mjs';

export async function loadProgress() {
  const { exports } = await loadModule({
    factory,
    mainScriptUrl: new URL('./dist/web/progress.mjs', import.meta.url),
  });
  return exports;
}
