import { readdir, readFile } from 'node:fs/promises';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

/**
 * Replays recorded histories (test/replay/histories, made by record-histories.ts) against the
 * current workflow code: a change that would break running workflows — a determinism error —
 * fails here instead of in production. Version such changes with patched().
 */
describe('workflow determinism', () => {
  it('replays every recorded history without a determinism error', async () => {
    const dir = new URL('./histories/', import.meta.url);
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const histories = await Promise.all(
      files.map(async (name) => ({
        workflowId: name.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(new URL(name, dir), 'utf8'))),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
