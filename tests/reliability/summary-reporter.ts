// Prints one line per reliability suite after a vitest run (npm test, npm
// run soak): trials, calls, delivered, dropped, failures. The suites put
// their figures in their tests' meta (tests/reliability/harness.ts).
// With ANYTHREAD_PROGRESS=1 (npm run soak sets it) each line is also printed
// as soon as its test ends, with the time: a soak runs for hours, and the
// default reporter shows a file's results only when the whole file is done.
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { SuiteSummary } from './harness';

function summaryLine(test: TestCase): string | undefined {
  const r = test.meta().reliability as SuiteSummary | undefined;
  if (!r) return undefined;
  const state = test.result().state;
  return (
    `reliability [${test.project.name}] ${r.suite}: trials ${r.trials}, calls ${r.calls ?? 'n/a'}, ` +
    `delivered ${r.delivered}, dropped ${r.dropped}, failures ${r.failures}` +
    (state === 'passed' ? '' : ` (${state})`)
  );
}

export default class ReliabilitySummary implements Reporter {
  onTestCaseResult(test: TestCase) {
    if (process.env.ANYTHREAD_PROGRESS !== '1') return;
    const line = summaryLine(test);
    if (line) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const line = summaryLine(test);
        if (line) lines.push(line);
      }
    }
    if (lines.length === 0) return;
    lines.sort();
    process.stdout.write(
      `\nReliability summary (ANYTHREAD_SEED=${process.env.ANYTHREAD_SEED}` +
        `${process.env.ANYTHREAD_SOAK === '1' ? ', soak sizes' : ''})\n${lines.map((l) => '  ' + l).join('\n')}\n`);
  }
}
