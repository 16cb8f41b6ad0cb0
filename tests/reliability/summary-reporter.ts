// Prints one line per reliability suite after a vitest run (npm test, npm
// run soak): trials, calls, delivered, dropped, failures. The suites put
// their figures in their tests' meta (tests/reliability/harness.ts).
import type { Reporter, TestModule } from 'vitest/node';
import type { SuiteSummary } from './harness';

export default class ReliabilitySummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const lines: string[] = [];
    for (const module of modules) {
      const project = module.project.name;
      for (const test of module.children.allTests()) {
        const r = test.meta().reliability as SuiteSummary | undefined;
        if (!r) continue;
        const state = test.result().state;
        lines.push(
          `reliability [${project}] ${r.suite}: trials ${r.trials}, calls ${r.calls ?? 'n/a'}, ` +
            `delivered ${r.delivered}, dropped ${r.dropped}, failures ${r.failures}` +
            (state === 'passed' ? '' : ` (${state})`),
        );
      }
    }
    if (lines.length === 0) return;
    lines.sort();
    process.stdout.write(
      `\nReliability summary (ANYTHREAD_SEED=${process.env.ANYTHREAD_SEED}` +
        `${process.env.ANYTHREAD_SOAK === '1' ? ', soak sizes' : ''})\n${lines.map((l) => '  ' + l).join('\n')}\n`);
  }
}
