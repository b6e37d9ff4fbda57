import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

/** Files that take at least this long are listed in test/durations.json. */
const LISTED_FROM_SECONDS = 5;

/**
 * Ends the run with one plain `vitest: N passed, N failed` line, which CI reads as the verdict.
 * With WRITE_TEST_DURATIONS=1 it also rewrites test/durations.json from a full run: the order in
 * which longest-first-sequencer.ts starts the files.
 */
export default class SummaryReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed += 1;
    }
    const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : '';
    process.stdout.write(`\nvitest: ${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
    if (process.env.WRITE_TEST_DURATIONS === '1') this.writeDurations(testModules);
  }

  private writeDurations(testModules: ReadonlyArray<TestModule>): void {
    const listed = testModules
      .map((module) => ({
        file: relative(this.root, module.moduleId).split('\\').join('/'),
        seconds: Math.round(module.diagnostic().duration / 1000),
      }))
      .filter(({ seconds }) => seconds >= LISTED_FROM_SECONDS)
      .sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file));
    const table = Object.fromEntries(listed.map(({ file, seconds }) => [file, seconds]));
    writeFileSync(`${this.root}/test/durations.json`, `${JSON.stringify(table, null, 2)}\n`);
  }
}
