// The CommonJS entry has the same types (native, synchronous) plus load().
import anythread = require('anythread');

anythread.callThreadsafeFunction((err, value) => {
  const n: number = value;
  void err;
  void n;
});
void anythread.load().then((api) => api.threadsafeFunctionFatalMode((b: boolean) => b));
// @ts-expect-error Fatal callbacks get no error argument.
anythread.callThreadsafeFunctionFatal((err: Error | null, value: number) => value);
