import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ListedTenant } from '../../src/client/tenant-state';
import type { TenantStatus, XledgerSyncClient } from '../../src/client';
import { SCOPES, SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { StoredEvent } from '../../src/store/events';
import type { StoredRun } from '../../src/store/runs';
import { pendingSyncRequest } from '../../src/store/sync-requests';
import type { TenantConfigInput } from '../../src/domain/tenant';
import { scheduleId } from '../../src/temporal/ids';
import { runCliCaptured } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { addFault, clearFaults, counters, DATA_TYPE_TRUTH, expectStreamEqualsTruth } from '../support/sync';
import { admin, cliEnv, connectApi, historyText, waitFor } from './support';

/**
 * One clear state per data type, on the real servers: a new tenant's first sync at once and its
 * `tenant.ready`; a revoked token that moves the tenant to needs-attention with exactly one
 * event and no Xledger request after it until a new token is stored (or the tenant is resumed);
 * `tenant resync --wait` with live progress and the figures or the failure; the fleet view; and
 * the cost figures of `tenant status`.
 */

let h: Harness;
let api: XledgerSyncClient;
let env: NodeJS.ProcessEnv;

const ENABLED = ['suppliers', 'accounts', 'dimensions', 'currencies', 'vatCodes'];
const REVOCABLE = 'xlsim-revocable-0000000000000000000000001';
const RENEWED = 'xlsim-renewed-00000000000000000000000001';
const SECRETS = [REVOCABLE, RENEWED];

// Long intervals: nothing here waits for (or is disturbed by) a schedule's own slot.
const fresh = {
  tenantId: 'st-fresh',
  xledger: { token: SEED_TOKENS.owner1 },
  entityOwnerDbId: SEED_ENTITIES.owner1,
  intervalMinutes: { suppliers: 1440, dimensions: 1440 },
} satisfies TenantConfigInput;
const revoked = {
  tenantId: 'st-revoked',
  xledger: { token: REVOCABLE },
  entityOwnerDbId: SEED_ENTITIES.owner1,
  intervalMinutes: { suppliers: 1440, dimensions: 1440 },
} satisfies TenantConfigInput;

beforeAll(async () => {
  h = await startHarness({ seed: 21, suppliers: 150 });
  // Small pages and frequent heartbeats: a pass takes several pages, its progress is visible.
  await h.startWorker({ pageSize: 25, heartbeatIntervalMs: 300 });
  api = await connectApi(h);
  env = cliEnv(h);
});
afterAll(async () => {
  await clearFaults(h).catch(() => undefined);
  for (const tenantId of [fresh.tenantId, revoked.tenantId]) {
    await api?.removeTenant(tenantId, { purge: true, force: true }).catch(() => undefined);
  }
  await api?.close();
  await h?.close();
});

const cli = (...args: string[]) => runCliCaptured(args, { env }, SECRETS);

const events = (tenantId: string, type?: StoredEvent['type']) =>
  h.store.db
    .collection<StoredEvent>('events')
    .find({ tenantId, ...(type ? { type } : {}) })
    .sort({ seq: 1 })
    .toArray();

const runs = (tenantId: string, filter: Record<string, unknown> = {}) =>
  h.store.db
    .collection<StoredRun>('sync_runs')
    .find({ tenantId, ...filter })
    .sort({ startedAt: 1 })
    .toArray();

/** Every data type of the tenant has no run under way (the schedules say so, not visibility). */
async function nothingRunning(tenantId: string): Promise<boolean> {
  for (const type of ENABLED) {
    const d = await h.client.schedule.getHandle(scheduleId(tenantId, type)).describe();
    if (d.info.runningActions.length > 0) return false;
  }
  return true;
}

async function addToken(name: string, token: string) {
  await admin(h, 'POST', '/admin/tokens', { name, entityDbId: SEED_ENTITIES.owner1, scopes: SCOPES, token });
}

describe('a new tenant', () => {
  it('syncs every enabled data type at once, without waiting for a schedule, then says it is ready', async () => {
    const saved = await api.upsertTenant(fresh);
    expect(saved.firstSync).toMatchObject({ tenantId: fresh.tenantId, dataTypes: ENABLED, full: true });
    expect(saved.recovered).toBeNull();

    const ready = await waitFor(
      'tenant.ready',
      async () => (await events(fresh.tenantId, 'tenant.ready'))[0],
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(ready).toMatchObject({
      id: `tenant.ready:${fresh.tenantId}`,
      data: { dataTypes: ENABLED },
    });
    // One first run per type, each a full resync: none was a schedule's own slot.
    const first = await runs(fresh.tenantId);
    expect(first.map((run) => run.dataType).sort()).toEqual([...ENABLED].sort());
    for (const run of first) {
      expect(run).toMatchObject({ status: 'completed', trigger: 'resync' });
      expect(run.streams.every((stream) => stream.mode === 'full')).toBe(true);
      expect(Date.parse(run.finishedAt)).toBeLessThanOrEqual(ready.occurredAt.getTime());
    }
    for (const type of ENABLED) {
      for (const spec of DATA_TYPE_TRUTH[type]!) {
        await expectStreamEqualsTruth(h, fresh.tenantId, SEED_ENTITIES.owner1, spec);
      }
    }
    const status = await api.tenantStatus(fresh.tenantId);
    expect(status.state).toMatchObject({ state: 'ok', needsAttention: null, readyAt: expect.any(String) });
    expect(Date.parse(status.state.readyAt!)).toBe(ready.occurredAt.getTime());
    expect(status.dataTypes.filter((d) => d.dataType !== 'invoices').map((d) => d.state)).toEqual(
      ENABLED.map(() => 'ok'),
    );
    // Another upsert of the same tenant is no onboarding: no second first sync, no second event.
    const again = await api.upsertTenant(fresh);
    expect(again.firstSync).toBeNull();
    expect(await events(fresh.tenantId, 'tenant.ready')).toHaveLength(1);
  });
});

describe('tenant resync --wait', () => {
  it('shows records so far per stream while the run goes on, and ends with its figures', async () => {
    // Each suppliers page answers after 4 s: the pass spans several heartbeats (sent at most
    // every 5 s), each seen for seconds by the CLI's polling.
    await addFault(h, { kind: 'slow', delayMs: 4000, field: 'suppliers', token: 'owner1', count: 20 });
    try {
      const result = await cli('tenant', 'resync', fresh.tenantId, '--type', 'suppliers', '--full', '--wait');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toBe(`Resync requested for tenant ${fresh.tenantId}: suppliers (full).`);
      expect(lines[1]).toMatch(/^ {2}suppliers: run sync:st-fresh:suppliers\S* \(\S+\)$/);
      const progress = lines.filter((line) => /^ {2}suppliers\/suppliers \(full\): .* so far$/.test(line));
      expect(progress.length).toBeGreaterThanOrEqual(2);
      const fetched = progress.map((line) => Number(/(\d+) fetched/.exec(line)![1]));
      expect(fetched.some((n) => n > 0)).toBe(true);
      expect([...fetched].sort((a, b) => a - b)).toEqual(fetched); // records only ever grow

      const run = (await runs(fresh.tenantId, { dataType: 'suppliers' })).at(-1);
      expect(lines).toContain(`  suppliers: completed`);
      const t = run!.totals;
      expect(result.stdout).toMatch(
        new RegExp(
          `^suppliers: completed \\(full, [\\d.]+s\\): ${t.fetched} fetched, ${t.kept} kept, ${t.inserted} inserted, ${t.updated} updated, ${t.deleted} deleted, ${t.rejected} rejected; ${t.requests} requests$`,
          'm',
        ),
      );
      expect(t.fetched).toBeGreaterThan(25); // several pages
      expect(fetched.every((n) => n <= t.fetched)).toBe(true);
    } finally {
      await clearFaults(h);
    }
  });

  it('ends with the failure and exit code 1 when the run fails; the data type is failed, SEMINE is told', async () => {
    // A request Xledger refuses for good (spent credits are waited out: they fail no run): a
    // field the currencies query needs is gone from the schema.
    await admin(h, 'PUT', '/admin/schema/remove-field', { type: 'Currency', field: 'code' });
    let result: Awaited<ReturnType<typeof cli>>;
    try {
      result = await cli('tenant', 'resync', fresh.tenantId, '--type', 'currencies', '--wait');
    } finally {
      await admin(h, 'POST', '/admin/schema/reset');
    }
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^currencies: FAILED: Xledger rejected the request.*Currency.*st-fresh/m);

    const [failed] = await runs(fresh.tenantId, { dataType: 'currencies', status: 'failed' });
    expect(failed).toMatchObject({
      status: 'failed',
      trigger: 'resync',
      failure: { kind: 'exhausted_retries' },
    });
    expect(failed!.totals.requests).toBe(1); // the refused request is spent, and counted
    const told = await events(fresh.tenantId, 'sync.failed');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      id: `sync.failed:${failed!.workflowId}:${failed!.runId}`,
      data: { dataType: 'currencies', kind: 'exhausted_retries', runId: failed!.runId },
    });

    const status = await api.tenantStatus(fresh.tenantId);
    const currencies = status.dataTypes.find((d) => d.dataType === 'currencies')!;
    expect(currencies).toMatchObject({
      state: 'failed',
      consecutiveFailures: 1,
      lastFailure: { kind: 'exhausted_retries', runId: failed!.runId },
    });
    expect(currencies.lastSuccessAt).not.toBeNull();
    // A failed data type is no reason to stop the tenant: only this type failed, nothing needs attention.
    expect(status.state).toMatchObject({ state: 'failed', needsAttention: null });
    const text = (await cli('tenant', 'status', fresh.tenantId)).stdout;
    expect(text).toMatch(/^State: +failed \(first sync complete .*\)$/m);
    expect(text).toMatch(
      /^ {2}currencies: 1 in a row, last .* \(exhausted_retries\): Xledger rejected the request/m,
    );
    expect(text).toMatch(/^currencies\s+failed\s+1d\s+no/m);
  });
});

describe('a revoked token', () => {
  it('gives exactly one tenant.needs_attention, then no Xledger request until a new token is stored, then tenant.recovered', async () => {
    await addToken('revocable', REVOCABLE);
    await api.upsertTenant(revoked, { firstSync: false });
    const before = await api.forceResync(revoked.tenantId, { dataTypes: ['suppliers'] });
    expect(before.runs.map((r) => r.dataType)).toEqual(['suppliers']);
    await waitFor('the first suppliers run', async () => (await runs(revoked.tenantId)).length === 1);

    // The token is revoked in Xledger; three data types' runs meet it at about the same time.
    // Xledger refuses it as the real API does (round three): an errors[] entry whose message is
    // "Bad format for API Token…", without a code, HTTP 200 — recognised by its message.
    await admin(h, 'DELETE', '/admin/tokens/revocable');
    const unauthBefore = (await counters(h, '(unauthenticated)')).requests;
    const ticket = await api.forceResync(revoked.tenantId, {
      dataTypes: ['suppliers', 'accounts', 'currencies'],
    });
    const progress = await waitFor('the runs to end', async () => {
      const p = await api.resyncProgress(revoked.tenantId, ticket.requestId);
      return p.done ? p : undefined;
    });
    expect(progress.failed).toBe(true);
    expect(progress.needsAttention).toMatchObject({ reason: 'token_revoked', episode: 1 });
    await waitFor('every run to end', () => nothingRunning(revoked.tenantId));

    const failedRuns = await runs(revoked.tenantId, { status: 'failed' });
    expect(failedRuns.length).toBeGreaterThanOrEqual(1);
    for (const run of failedRuns) {
      expect(run.failure?.kind).toBe('auth');
      expect(run.totals.requests).toBe(1);
    }
    expect(await events(revoked.tenantId, 'tenant.needs_attention')).toHaveLength(1);
    expect(await events(revoked.tenantId, 'sync.failed')).toHaveLength(failedRuns.length);
    const [attention] = await events(revoked.tenantId, 'tenant.needs_attention');
    expect(attention).toMatchObject({
      id: `tenant.needs_attention:${revoked.tenantId}:1`,
      data: { reason: 'token_revoked' },
    });
    expect(ENABLED).toContain((attention!.data as { dataType: string }).dataType);
    const unauthAfterFailure = (await counters(h, '(unauthenticated)')).requests;
    // Each failed run made its one refused request, no retry; a run after the state changed made none.
    expect(unauthAfterFailure - unauthBefore).toBe(failedRuns.length);

    // The state: the tenant and every data type need attention; the fleet view finds it.
    const status = await api.tenantStatus(revoked.tenantId);
    expect(status.state.needsAttention).toMatchObject({ reason: 'token_revoked', episode: 1 });
    expect(status.state.needsAttention?.advice).toMatch(/store a new token/);
    expect(status.dataTypes.filter((d) => d.state !== null).every((d) => d.state === 'needs_attention')).toBe(
      true,
    );
    const statusText = (await cli('tenant', 'status', revoked.tenantId)).stdout;
    expect(statusText).toMatch(
      /^State: +NEEDS ATTENTION since .* \(token_revoked, found by \w+\): Xledger refused the token/m,
    );
    const listed = await cli('tenant', 'list', '--state', 'failed,needs_attention', '--json');
    expect(listed.code).toBe(0);
    const fleet = JSON.parse(listed.stdout) as ListedTenant[];
    expect(fleet.map((t) => [t.tenantId, t.state.state])).toEqual([
      [fresh.tenantId, 'failed'], // its currencies failed above
      [revoked.tenantId, 'needs_attention'],
    ]);
    expect((await api.listTenants({ state: ['needs_attention'] })).map((t) => t.tenantId)).toEqual([
      revoked.tenantId,
    ]);
    expect((await cli('tenant', 'list', '--state', 'needs_attention')).stdout).toMatch(
      /^st-revoked\s+needs_attention\s+101\s/m,
    );
    const badFilter = await cli('tenant', 'list', '--state', 'broken');
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/state: must be states among never_run/);

    // Scheduled runs, then a resync of everything: each ends at once, without a request.
    const skippedBefore = (await runs(revoked.tenantId, { status: 'skipped' })).length;
    for (const type of ['suppliers', 'dimensions']) {
      await h.client.schedule.getHandle(scheduleId(revoked.tenantId, type)).trigger();
    }
    await waitFor(
      'the scheduled runs to end at once',
      async () =>
        (await runs(revoked.tenantId, { status: 'skipped' })).length === skippedBefore + 2 &&
        (await nothingRunning(revoked.tenantId)),
    );
    const blocked = await api.forceResync(revoked.tenantId, {});
    expect(blocked.runs).toEqual([]);
    expect(blocked.waiting).toEqual(ENABLED);
    expect(blocked.needsAttention).toMatchObject({ episode: 1 });
    const waited = await cli('tenant', 'resync', revoked.tenantId, '--wait');
    expect(waited.code).toBe(1);
    expect(waited.stdout).toMatch(/The tenant needs attention \(token_revoked\)/);
    await waitFor(
      'the resync to end at once for every type',
      async () =>
        (await runs(revoked.tenantId, { status: 'skipped' })).length >= skippedBefore + 2 + ENABLED.length &&
        (await nothingRunning(revoked.tenantId)),
      { timeoutMs: 60_000 },
    );
    for (const run of await runs(revoked.tenantId, { status: 'skipped' })) {
      expect(run.reason).toMatch(/needs attention .*token_revoked/);
      expect(run.totals.requests).toBe(0);
    }
    expect((await counters(h, '(unauthenticated)')).requests).toBe(unauthAfterFailure);
    expect(await events(revoked.tenantId, 'tenant.needs_attention')).toHaveLength(1);
    // The resyncs asked for meanwhile wait for the tenant to recover.
    const pending = await Promise.all(
      ENABLED.map(async (type) => [
        type,
        (await pendingSyncRequest(h.store.db, revoked.tenantId, type))?.takenBy,
      ]),
    );
    expect(pending.sort()).toEqual(ENABLED.map((type) => [type, null]).sort());

    // A new token is stored: recovered, and every data type runs again at once with it.
    await addToken('renewed', RENEWED);
    const renewedBefore = (await counters(h, 'renewed')).requests;
    const saved = await api.upsertTenant({ ...revoked, xledger: { token: RENEWED } });
    expect(saved.recovered).toMatchObject({ episode: 1, cause: 'token_replaced' });
    expect(await events(revoked.tenantId, 'tenant.recovered')).toEqual([
      expect.objectContaining({
        id: `tenant.recovered:${revoked.tenantId}:1`,
        data: { cause: 'token_replaced' },
      }) as StoredEvent,
    ]);
    const recovered = await waitFor(
      'every data type to be ok again',
      async () => {
        const s = await api.tenantStatus(revoked.tenantId);
        return s.state.state === 'ok' ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(recovered.state).toMatchObject({
      needsAttention: null,
      lastRecovery: { episode: 1, cause: 'token_replaced' },
    });
    expect((await counters(h, 'renewed')).requests).toBeGreaterThan(renewedBefore);
    expect((await counters(h, '(unauthenticated)')).requests).toBe(unauthAfterFailure);
    // The same token again changes nothing: no recovery, no event.
    expect((await api.upsertTenant({ ...revoked, xledger: { token: RENEWED } })).recovered).toBeNull();
    expect(await events(revoked.tenantId, 'tenant.recovered')).toHaveLength(1);
  });

  it('a second episode is a second event; an operator resume ends it', async () => {
    await admin(h, 'DELETE', '/admin/tokens/renewed');
    await api.forceResync(revoked.tenantId, { dataTypes: ['accounts'] });
    await waitFor(
      'the second episode',
      async () => (await events(revoked.tenantId, 'tenant.needs_attention')).length === 2,
    );
    // The token works again in Xledger (its scope or its user restored): the operator resumes.
    await addToken('renewed-again', RENEWED);
    const resumed = await cli('tenant', 'resume', revoked.tenantId);
    expect(resumed).toEqual({ code: 0, stdout: `Tenant ${revoked.tenantId} resumed.\n`, stderr: '' });
    const types = (await events(revoked.tenantId)).map((e) => e.type);
    expect(types.filter((t) => t === 'tenant.needs_attention' || t === 'tenant.recovered')).toEqual([
      'tenant.needs_attention',
      'tenant.recovered',
      'tenant.needs_attention',
      'tenant.recovered',
    ]);
    expect((await events(revoked.tenantId, 'tenant.recovered'))[1]).toMatchObject({
      id: `tenant.recovered:${revoked.tenantId}:2`,
      data: { cause: 'resumed' },
    });
    await waitFor(
      'the tenant to be ok again',
      async () => (await api.tenantStatus(revoked.tenantId)).state.state === 'ok',
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  });

  it('the recorded failure replays: the failed-run path is deterministic', async () => {
    const [failed] = await runs(revoked.tenantId, { status: 'failed' });
    const history = await h.client.workflow.getHandle(failed!.workflowId, failed!.runId).fetchHistory();
    // Through JSON, as the replay test's recorded histories are.
    const replayed = historyFromJSON(JSON.parse(historyToJSON(history)));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      replayed,
      failed!.workflowId,
    );
    // The history holds the failure's record: the patch marker and the recordFailedRun activity.
    const text = historyText(history);
    expect(text).toContain('record-failed-runs');
    expect(text).toContain('recordFailedRun');
  });
});

describe('tenant status: cost', () => {
  it("shows the tenant's Xledger requests and MB over 24 h and 30 days, and the month they project to", async () => {
    const all = await runs(fresh.tenantId);
    const requests = all.reduce((sum, run) => sum + run.totals.requests, 0);
    const down = all.reduce((sum, run) => sum + run.totals.bytesReceived, 0) / 1_000_000;
    expect(requests).toBeGreaterThan(5);

    const status: TenantStatus = await api.tenantStatus(fresh.tenantId);
    expect(status.cost.last24h.requests).toBe(requests);
    expect(status.cost.last30d.requests).toBe(requests);
    expect(status.cost.last24h.mbDown).toBeCloseTo(down, 6);
    expect(status.cost.projectionBasisDays).toBe(1);
    expect(status.cost.projectedMonth.requests).toBe(requests * 30);
    expect(status.cost.included.requests).toBe(5_000);
    // The allowance is shared by all the customer's integrations: what this sync leaves for the rest.
    expect(status.cost.allowance).toMatchObject({
      sharedBy: 'all integrations of the customer',
      beyond: 'billed',
    });
    expect(status.cost.allowance.leftForOthers.requests).toBe(Math.max(0, 5_000 - requests * 30));
    // What the runs counted is what Xledger saw from their token, bar the onboarding check's requests.
    const seen = (await counters(h, 'owner1')).requests;
    expect(seen).toBeGreaterThanOrEqual(requests);

    const text = (await cli('tenant', 'status', fresh.tenantId)).stdout;
    const n = requests.toLocaleString('en-US');
    expect(text).toMatch(new RegExp(`^ {2}last 24 h: +${n} requests, [\\d.]+ MB down, [\\d.]+ MB up$`, 'm'));
    expect(text).toMatch(new RegExp(`^ {2}last 30 days: +${n} requests,`, 'm'));
    const share = Math.round((requests * 30 * 100) / 5000);
    expect(text).toMatch(
      new RegExp(
        `^ {2}per month: +${(requests * 30).toLocaleString('en-US')} requests, .* projected from 1 day\\(s\\): ${share}% of the 5,000 requests included`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `^ {2}allowance: +the customer's, shared by all its Xledger integrations: ${Math.max(0, 5_000 - requests * 30).toLocaleString('en-US')} requests .* left a month for the others; beyond it Xledger bills`,
        'm',
      ),
    );
  });
});
