import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Starts the longest test files first. Three files run at a time (vitest.config.ts); a file of
 * three minutes started last keeps the run going three minutes after everything else is done.
 * Vitest orders by the durations of the last run on this machine, which a fresh clone (CI) does
 * not have: there it went by file size, and the two chaos files (small files, the longest runs)
 * started last and ended the run alone. The durations of a full run are kept in
 * test/durations.json (`WRITE_TEST_DURATIONS=1 npm test` rewrites it, summary-reporter.ts);
 * files it does not list keep vitest's order, after those it lists.
 */
const durations = JSON.parse(readFileSync(new URL('../durations.json', import.meta.url), 'utf8')) as Record<
  string,
  number
>;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const seconds = (spec: TestSpecification) =>
      durations[relative(spec.project.config.root, spec.moduleId).split('\\').join('/')] ?? 0;
    // A stable sort: files without a duration keep vitest's order among themselves.
    return [...ordered].sort((a, b) => seconds(b) - seconds(a));
  }
}
