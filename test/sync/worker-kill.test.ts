import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import {
  addFault,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  startSync,
} from '../support/sync';

const TENANT = 'killed';
const PAGE_SIZE = 50;
let h: Harness;
const children: ChildWorker[] = [];

beforeAll(async () => {
  h = await startHarness({ seed: 9, suppliers: 300 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
});
afterAll(async () => {
  for (const child of children) await child.kill('SIGKILL');
  await h?.close();
});

interface Progress {
  passId: string;
  after: string | null;
  counts: { pages: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a worker killed mid-pass', () => {
  it(
    'the next worker resumes from the heartbeated cursor and ends with the same result',
    { timeout: 180_000 },
    async () => {
      const visible = h.sim.state.tables.suppliers.liveCount;
      const totalPages = Math.ceil(visible / PAGE_SIZE);
      // Slow pages, so the pass is surely mid-way when the worker dies.
      await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 1000 });
      await resetCounters(h);

      const first = spawnWorker(h, { XLEDGER_PAGE_SIZE: String(PAGE_SIZE) });
      children.push(first);
      const handle = await startSync(h, TENANT, 'suppliers', 'full');

      let progress: Progress | undefined;
      const deadline = Date.now() + 90_000;
      while (!progress?.after) {
        if (Date.now() > deadline)
          throw new Error(`no heartbeat with a cursor; worker said:\n${first.output()}`);
        await sleep(200);
        const description = await handle.describe();
        const payload = description.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
        if (payload) progress = defaultPayloadConverter.fromPayload<Progress>(payload);
      }
      await first.kill('SIGKILL');
      const pagesBeforeKill = fieldRequests(await counters(h, 'root'), 'suppliers');
      expect(pagesBeforeKill).toBeLessThan(totalPages);

      const second = spawnWorker(h, { XLEDGER_PAGE_SIZE: String(PAGE_SIZE) });
      children.push(second);
      const run = (await handle.result()) as SyncRunSummary;
      const figures = run.streams[0]!;

      expect(run.status).toBe('completed');
      // Counted once per page and record, as if nothing had happened…
      expect(figures.pages).toBe(totalPages);
      expect(figures.fetched).toBe(visible);
      await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, DATA_TYPE_TRUTH.suppliers![0]!);
      // …but the second attempt started after the heartbeated cursor, not from page one.
      const afterKill = fieldRequests(await counters(h, 'root'), 'suppliers') - pagesBeforeKill;
      expect(afterKill).toBeLessThanOrEqual(totalPages - progress.counts.pages + 1);
      expect(fieldRequests(await counters(h, 'root'), 'suppliers')).toBeLessThan(2 * totalPages);
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 0)
        .filter((attempt) => attempt > 0);
      expect(Math.max(...attempts)).toBeGreaterThan(1);
    },
  );
});
