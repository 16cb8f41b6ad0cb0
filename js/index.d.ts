// CommonJS entry: the native backend, loaded synchronously; load() gives the
// API on any backend, loadModule() loads a user's module (see README).
import type { Api, LoadOptions, loadModule } from './types';

declare const anythread: Api & {
  load(options?: LoadOptions): Promise<Api>;
  loadModule: typeof loadModule;
};
export = anythread;
