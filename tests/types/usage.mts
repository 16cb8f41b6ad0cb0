// Compiled by `tsc -p tests/types` in `npm test`: the .d.ts must accept
// correct usage and reject wrong callback shapes (each @ts-expect-error line
// fails the build if the types ever stop rejecting it).
import anythread, {
  backend,
  backendInfo,
  callThreadsafeFunction,
  callThreadsafeFunctionFatal,
  load,
  loadModule,
  threadsafeFunctionFatalMode,
  threadsafeFunctionThrowError,
  type AnythreadError,
  type BackendName,
} from 'anythread';

const name: BackendName = backend;
const skipped: readonly { name: BackendName; reason: string }[] = backendInfo.skipped;
void name;
void skipped;

callThreadsafeFunction((err, value) => {
  const e: AnythreadError | null = err;
  const n: number = value;
  void e;
  void n;
});
callThreadsafeFunctionFatal((value) => {
  const n: number = value;
  void n;
});
threadsafeFunctionThrowError((err) => {
  const code: string = err.code;
  const message: string = err.message;
  void code;
  void message;
});
threadsafeFunctionFatalMode((value) => {
  const b: boolean = value;
  void b;
});

// @ts-expect-error CalleeHandled: the first argument is the error, not a number.
callThreadsafeFunction((value: number) => value);
// @ts-expect-error Fatal: the value is a number, not a string.
callThreadsafeFunctionFatal((value: string) => value);
// @ts-expect-error The callback is required.
callThreadsafeFunction();
// @ts-expect-error Not a function.
threadsafeFunctionFatalMode(42);
// @ts-expect-error The backend is 'native' or 'wasm'.
const wrong: 'browser' = backend;
void wrong;

const api = await load({ order: ['wasm'] });
api.callThreadsafeFunctionFatal((v) => v + 1);
anythread.callThreadsafeFunction(() => {});
// @ts-expect-error Unknown backend names are rejected.
await load({ order: ['gpu'] });

const progress = await loadModule<{ processBuffer(size: number): Promise<number> }>({
  name: 'progress',
  dir: '/somewhere/dist',
});
const checksum: Promise<number> = progress.exports.processBuffer(1);
void checksum;
// @ts-expect-error A Node module needs its OUTPUT_DIR.
await loadModule({ name: 'progress' });
