// The live demo: counts and rates of callbacks arriving from worker threads.
import { loadProgress } from '../progress/web.mjs';
import { expectedChecksum } from '../progress/checksum.mjs';

const $ = (id) => document.getElementById(id);
const status = $('status');

function runSeed(api) {
  return new Promise((resolve) => {
    const start = performance.now();
    let count = 0;
    api.callThreadsafeFunction((err, value) => {
      count++;
      $('seed-bar').style.width = `${count}%`;
      const ms = performance.now() - start;
      $('seed').textContent = `${count}/100 callbacks (last value ${value}) in ${ms.toFixed(1)} ms`;
      if (count === 100) resolve(count);
    });
  });
}

async function runProgress(progress, threads) {
  const size = 64 << 20;
  const start = performance.now();
  let count = 0;
  const checksum = await progress.processBuffer(size, { chunkSize: 64 << 10, threads }, (err, done, total) => {
    count++;
    $('progress-bar').style.width = `${(100 * done) / total}%`;
    const s = (performance.now() - start) / 1000;
    $('progress').textContent = `${count}/${total} callbacks from ${threads} threads, ${Math.round(count / s)} callbacks/s`;
  });
  const ok = checksum === expectedChecksum(size);
  $('progress').textContent += `; checksum ${checksum} ${ok ? 'verified' : 'WRONG'}`;
  return { count, ok };
}

async function main() {
  let api;
  let progress;
  try {
    api = await import('anythread');
    progress = await loadProgress();
  } catch (err) {
    status.textContent = `error: ${err.message}`;
    status.className = 'error';
    return;
  }
  const run = async () => {
    $('again').disabled = true;
    status.textContent = `running on the ${api.backend} backend…`;
    const seed = await runSeed(api);
    const threads = Number($('threads').value);
    const { count, ok } = await runProgress(progress, threads);
    status.textContent = `completed: ${seed}/100 seed callbacks, ${count}/1024 progress callbacks from ${threads} threads${ok ? '' : ' (checksum WRONG)'}`;
    $('again').disabled = false;
  };
  $('again').onclick = run;
  await run();
}

main();
