/**
 * Zombie attempts: Temporal plays no part here, the test does. It runs the real syncStream
 * activity as the attempts Temporal would start (same run and activity id, rising attempt
 * numbers), overlapping them the way a Temporal outage or a lost worker makes them overlap,
 * and checks that no attempt ever marks a live record deleted or writes after losing its pass.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { unfinishedPassOfRun } from '../../src/store/sync-passes';
import { recordsCollection } from '../../src/store/records';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { StreamFigures } from '../../src/domain/figures';
import { attemptOf, harnessActivities } from '../support/activities';
import { startHarness, type Harness } from '../support/harness';
import {
  addFault,
  admin,
  clearFaults,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  truth,
} from '../support/sync';

const TENANT = 'fenced';
const OWNER = SEED_ENTITIES.owner1;
const PAGE_SIZE = 25;
const input = { tenantId: TENANT, dataType: 'suppliers', stream: 'suppliers', mode: 'full' as const };
let h: Harness;
let activities: Activities;
let runs = 0;
const nextRunId = () => `run-${++runs}`;

beforeAll(async () => {
  h = await startHarness({ seed: 11, suppliers: 400 });
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: OWNER });
  activities = harnessActivities(h, { pageSize: PAGE_SIZE });
  await attemptOf(nextRunId(), 1).run(activities.syncStream, input);
});
afterAll(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const expectMatchesTruth = () => expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);

/** Pages the run's pass has committed so far (0 before it starts). */
async function committedPages(runId: string): Promise<number> {
  return (await unfinishedPassOfRun(h.store.db, TENANT, 'suppliers', runId))?.counts.pages ?? 0;
}

async function waitForCommittedPages(runId: string, pages: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await committedPages(runId)) < pages) {
    if (Date.now() > deadline) throw new Error(`the pass of ${runId} never committed ${pages} pages`);
    await sleep(50);
  }
}

/** Settles at once (no unhandled rejection while the test awaits something else); checked later. */
function outcomeOf(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => new Error('the zombie attempt completed, but it should have been refused'),
    (e: unknown) => e,
  );
}

async function expectSuperseded(outcome: Promise<unknown>): Promise<void> {
  const error = await outcome;
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect((error as ApplicationFailure).type).toBe('PassSupersededError');
  expect((error as ApplicationFailure).nonRetryable).toBe(true);
}

const liveCount = () =>
  recordsCollection(h.store.db, 'suppliers').countDocuments({ tenantId: TENANT, deletedAt: null });

describe('fenced passes', () => {
  it('a zombie that finished the pass while Temporal was away: the next attempt returns its result and deletes nothing', async () => {
    const runId = nextRunId();
    const first: StreamFigures = await attemptOf(runId, 1).run(activities.syncStream, input);
    await resetCounters(h);
    // Temporal never heard of that completion and retries with the heartbeat of an early page.
    const second = await attemptOf(runId, 2).run(activities.syncStream, input);
    expect(second).toEqual(first);
    expect((await counters(h, 'root')).requests).toBe(0);
    expect(first.deleted).toBe(0);
    await expectMatchesTruth();
  });

  it('a newer attempt takes the pass over: the zombie is refused before its next write, the pass completes', async () => {
    const { truth: expected } = await expectMatchesTruth();
    const totalPages = Math.ceil(h.sim.state.tables.suppliers.liveCount / PAGE_SIZE);
    await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 250 });
    try {
      const runId = nextRunId();
      const zombie = outcomeOf(attemptOf(runId, 1).run(activities.syncStream, input));
      await waitForCommittedPages(runId, 3);
      const successor = attemptOf(runId, 2).run(activities.syncStream, input);
      await expectSuperseded(zombie);
      const figures = (await successor) as StreamFigures;
      // The successor resumed where the zombie's last stored page ended: every page counted once.
      expect(figures.pages).toBe(totalPages);
      expect(figures.deleted).toBe(0);
      expect(await liveCount()).toBe(expected.length);
    } finally {
      await clearFaults(h);
    }
    await expectMatchesTruth();
  });

  it('a zombie of a pass that a newer run replaced is refused, and the newer pass stands', async () => {
    await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 250 });
    let newer: StreamFigures;
    try {
      const olderRun = nextRunId();
      const zombie = outcomeOf(attemptOf(olderRun, 1).run(activities.syncStream, input));
      await waitForCommittedPages(olderRun, 2);
      newer = await attemptOf(nextRunId(), 1).run(activities.syncStream, input);
      await expectSuperseded(zombie);
    } finally {
      await clearFaults(h);
    }
    expect(newer.deleted).toBe(0);
    await expectMatchesTruth();
  });

  it('deletions are reconciled against every page of the pass, whichever attempt stored it', async () => {
    const suppliers = (await truth(h, OWNER, 'suppliers')).sort((a, b) => a.dbId - b.dbId);
    const last = suppliers.at(-1)!;
    await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 250 });
    const runId = nextRunId();
    const lost = attemptOf(runId, 1);
    const first = lost.run(activities.syncStream, input);
    try {
      await waitForCommittedPages(runId, 3);
      // The first attempt's worker loses Temporal: its heartbeat is refused, and it stops.
      lost.cancel('TIMED_OUT');
      await first.catch(() => undefined);
    } finally {
      await clearFaults(h);
    }
    const pagesSeenByFirst = await committedPages(runId);
    expect(pagesSeenByFirst).toBeGreaterThanOrEqual(3);
    // Gone from Xledger after the first attempt stopped, on a page only the second reads.
    await admin(h, 'DELETE', `/admin/records/suppliers/${last.dbId}`);
    await resetCounters(h);
    const figures: StreamFigures = await attemptOf(runId, 2).run(activities.syncStream, input);
    expect(fieldRequests(await counters(h, 'root'), 'suppliers')).toBeLessThan(figures.pages);
    // Only the record Xledger no longer has: the pages only the first attempt read still count.
    expect(figures.deleted).toBe(1);
    const doc = await recordsCollection(h.store.db, 'suppliers').findOne({ _id: `${TENANT}:${last.dbId}` });
    expect(doc?.deletedAt).toBeInstanceOf(Date);
    await expectMatchesTruth();
  });
});
