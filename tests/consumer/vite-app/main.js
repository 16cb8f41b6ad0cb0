// A minimal app using the installed package: 100 callbacks from wasm
// pthreads; the page says how many arrived (or why anythread could not load).
const status = document.getElementById('status');
import('anythread').then(
  ({ callThreadsafeFunction, backend }) => {
    const values = [];
    callThreadsafeFunction((err, value) => {
      values.push(value);
      if (values.length === 100) {
        const sum = values.reduce((a, b) => a + b, 0);
        status.textContent = `done: ${values.length} callbacks, sum ${sum}, backend ${backend}`;
      }
    });
  },
  (err) => {
    status.textContent = `error: ${err.code}: ${err.message}`;
  },
);
