import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  TenantHasOpenInvoicesError,
  UnknownTenantError,
  XledgerRefusedError,
  XledgerSyncError,
  type XledgerSyncClient,
} from '../../src/client';
import { resolveTemporalCli } from '../../src/devstack/tools';
import { invoiceContentHash, invoiceSchema } from '../../src/invoices/invoice';
import { scheduleSpecsFor } from '../../src/temporal/schedules';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { addToOutbox } from '../../src/invoices/outbox';
import { pendingSyncRequest } from '../../src/store/sync-requests';
import { allCollections } from '../../src/store/collections';
import type { TenantConfigInput, TenantSettings } from '../../src/domain/tenant';
import { scheduleId, tenantWorkflowId } from '../../src/temporal/ids';
import { DataTypeKey, TenantIdKey, TriggerKey } from '../../src/temporal/search-attributes';
import { postPendingInvoicesWorkflow, syncDataTypeWorkflow } from '../../src/workflows';
import { resyncSignal, statusQuery } from '../../src/temporal/definitions';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { admin, connectApi, historyText, runsOf, sleep, waitFor, waitForRuns } from './support';

/**
 * The tenant lifecycle on the real servers: two tenants with different owners and intervals,
 * their schedules, resyncs (also as plain-JSON signals from the raw client and the `temporal`
 * CLI), coalescing, pause/resume, in-place changes, removal, and no token in any history.
 */

const execFileAsync = promisify(execFile);

let h: Harness;
let api: XledgerSyncClient;

// Long supplier intervals, so that no scheduled run can interfere with the counted resyncs.
const alpha = {
  tenantId: 'alpha',
  xledger: { token: SEED_TOKENS.owner1 },
  entityOwnerDbId: SEED_ENTITIES.owner1,
  options: { fixedAssets: true, projectManagers: false },
  intervalMinutes: { suppliers: 1440, dimensions: 180 },
} satisfies TenantConfigInput;

const beta = {
  tenantId: 'beta',
  // The root token sees both owners: the sync must keep only owner 2's records.
  xledger: { token: SEED_TOKENS.root },
  entityOwnerDbId: SEED_ENTITIES.owner2,
  intervalMinutes: { suppliers: 720, currencies: 720 },
} satisfies TenantConfigInput;

const ALWAYS = ['suppliers', 'accounts', 'dimensions', 'currencies', 'vatCodes'];
/** Schedules in registry order, then the invoice posting schedule every tenant has. */
const ALPHA_TYPES = [...ALWAYS, 'fixedAssets', 'invoices'];
const BETA_TYPES = [...ALWAYS, 'invoices'];
const ALL_TYPES = [...ALWAYS, 'projects', 'fixedAssets', 'invoices'];

beforeAll(async () => {
  h = await startHarness({ seed: 11, suppliers: 100 });
  await h.startWorker();
  api = await connectApi(h);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const describeSchedule = (tenantId: string, dataType: string) =>
  h.client.schedule.getHandle(scheduleId(tenantId, dataType)).describe();

async function scheduleExists(tenantId: string, dataType: string): Promise<boolean> {
  try {
    await describeSchedule(tenantId, dataType);
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

async function existingSchedules(tenantId: string): Promise<string[]> {
  const found: string[] = [];
  for (const type of ALL_TYPES) if (await scheduleExists(tenantId, type)) found.push(type);
  return found;
}

/** What must stay the same when nothing changed: the last update time, spec and action. */
async function scheduleVersions(tenantId: string, types: string[]) {
  const versions: Record<string, { lastUpdatedAt: number | null; spec: string; action: string }> = {};
  for (const type of types) {
    const d = await describeSchedule(tenantId, type);
    versions[type] = {
      lastUpdatedAt: d.info.lastUpdatedAt?.getTime() ?? null,
      spec: JSON.stringify(d.spec),
      action: JSON.stringify(d.action.args),
    };
  }
  return versions;
}

async function supplierDocs(tenantId: string) {
  return h.store.db
    .collection<{ tenantId: string; dbId: number; entityDbId: number; visibility: string }>('suppliers')
    .find({ tenantId })
    .toArray();
}

async function truth(ownerDbId: number, type: string) {
  return admin<{ records: Array<{ dbId: number; entityDbId: number; visibility: string }> }>(
    h,
    'GET',
    `/admin/truth/${ownerDbId}/${type}`,
  );
}

/** Sync workflows of a tenant's data type, from the visibility store (which may lag: poll). */
async function listSyncWorkflows(tenantId: string, dataType: string, extra = '') {
  const found: Array<{ workflowId: string; runId: string; trigger: unknown; status: string }> = [];
  for await (const execution of h.client.workflow.list({
    query: `TenantId = "${tenantId}" AND DataType = "${dataType}"${extra}`,
  })) {
    found.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      trigger: execution.typedSearchAttributes.get(TriggerKey),
      status: execution.status.name,
    });
  }
  return found;
}

function expectScheduleFor(tenant: TenantSettings, d: ScheduleDescription, dataType: string) {
  const spec = scheduleSpecsFor(tenant).find((s) => s.dataType === dataType)!;
  const interval = d.spec.intervals?.[0];
  expect(d.spec.intervals).toHaveLength(1);
  expect(interval?.every).toBe(spec.intervalMinutes * 60_000);
  expect(interval?.offset).toBe(spec.offsetMinutes * 60_000);
  expect(interval!.offset!).toBeLessThan(interval!.every as number);
  expect(d.spec.jitter).toBe(spec.jitterSeconds * 1000);
  expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  expect(d.action.type).toBe('startWorkflow');
  expect(d.action.taskQueue).toBe(h.taskQueue);
  if (dataType === 'invoices') {
    // Every tenant's invoice sweep: MongoDB only, so a quiet tenant costs no Xledger request.
    expect(interval?.every).toBe(5 * 60_000);
    expect(d.action.workflowType).toBe(postPendingInvoicesWorkflow.name);
    expect(d.action.workflowId).toBe(`invoices:${tenant.tenantId}`);
    expect(d.action.args).toEqual([{ tenantId: tenant.tenantId }]);
  } else {
    expect(d.action.workflowType).toBe(syncDataTypeWorkflow.name);
    expect(d.action.workflowId).toBe(`sync:${tenant.tenantId}:${dataType}`);
    expect(d.action.args).toEqual([
      { tenantId: tenant.tenantId, dataType, mode: 'auto', trigger: 'schedule' },
    ]);
  }
  const actionAttributes = d.action.typedSearchAttributes as TypedSearchAttributes;
  expect(actionAttributes.get(TenantIdKey)).toBe(tenant.tenantId);
  expect(actionAttributes.get(DataTypeKey)).toBe(dataType);
  expect(actionAttributes.get(TriggerKey)).toBe('schedule');
  expect(d.typedSearchAttributes.get(TenantIdKey)).toBe(tenant.tenantId);
  expect(d.memo).toEqual({ tenantId: tenant.tenantId, dataType });
  expect(d.state.paused).toBe(false);
}

describe('tenant lifecycle', () => {
  let alphaSettings: TenantSettings;
  let betaSettings: TenantSettings;

  it('onboards two tenants with different owners and intervals, each with its own schedules', async () => {
    // No first sync: the tests below count the runs their own resyncs start (the first sync at
    // onboarding is tested in client-tenant-states.test.ts).
    const savedAlpha = await api.upsertTenant(alpha, { firstSync: false });
    expect(savedAlpha.firstSync).toBeNull();
    alphaSettings = savedAlpha;
    betaSettings = await api.upsertTenant(beta, { firstSync: false });
    expect(alphaSettings).not.toHaveProperty('xledger.token');
    expect(alphaSettings.xledger.endpoint).toBe(h.sim.graphqlUrl);

    expect(await existingSchedules('alpha')).toEqual(ALPHA_TYPES);
    expect(await existingSchedules('beta')).toEqual(BETA_TYPES);

    for (const type of ALPHA_TYPES)
      expectScheduleFor(alphaSettings, await describeSchedule('alpha', type), type);
    for (const type of BETA_TYPES)
      expectScheduleFor(betaSettings, await describeSchedule('beta', type), type);

    const every = async (tenantId: string, type: string) =>
      (await describeSchedule(tenantId, type)).spec.intervals?.[0]?.every;
    expect(await every('alpha', 'suppliers')).toBe(1440 * 60_000);
    expect(await every('beta', 'suppliers')).toBe(720 * 60_000);
    expect(await every('alpha', 'dimensions')).toBe(180 * 60_000);
    expect(await every('beta', 'dimensions')).toBe(60 * 60_000); // the default
    expect(await every('alpha', 'fixedAssets')).toBe(6 * 60 * 60_000); // the default
    expect(await every('beta', 'currencies')).toBe(720 * 60_000);

    // Each tenant has its long-lived workflow, tagged with its id.
    for (const tenantId of ['alpha', 'beta']) {
      const d = await h.client.workflow.getHandle(tenantWorkflowId(tenantId)).describe();
      expect(d.status.name).toBe('RUNNING');
      expect(d.taskQueue).toBe(h.taskQueue);
      expect(d.typedSearchAttributes.get(TenantIdKey)).toBe(tenantId);
    }
    expect((await api.listTenants()).map((t) => t.tenantId)).toEqual(['alpha', 'beta']);

    // The token is stored encrypted: the tenant document holds no plain token.
    const stored = JSON.stringify(await h.store.db.collection('tenants').find({}).toArray());
    for (const token of Object.values(SEED_TOKENS)) expect(stored).not.toContain(token);
  });

  it('the same config twice changes nothing', async () => {
    const before = await scheduleVersions('alpha', ALPHA_TYPES);
    const created = (await describeSchedule('alpha', 'suppliers')).info.createdAt.getTime();
    await api.upsertTenant(alpha);
    expect(await scheduleVersions('alpha', ALPHA_TYPES)).toEqual(before);
    expect((await describeSchedule('alpha', 'suppliers')).info.createdAt.getTime()).toBe(created);
    expect(await existingSchedules('alpha')).toEqual(ALPHA_TYPES);
  });

  it('refuses invalid config with InvalidInputError naming the field and the tenant', async () => {
    const attempt = api.upsertTenant({
      tenantId: 'gamma',
      xledger: { token: 'sekret1' },
      entityOwnerDbId: -4,
      intervalMinutes: { suppliers: 0 },
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    const invalid = error as InvalidInputError;
    expect(invalid.tenantId).toBe('gamma');
    expect(invalid.issues.map((i) => i.field).sort()).toEqual([
      'entityOwnerDbId',
      'intervalMinutes.suppliers',
      'xledger.token',
    ]);
    expect(invalid.message).toMatch(/tenant gamma/);
    expect(invalid.message).toMatch(/entityOwnerDbId/);
    expect(invalid.message).not.toContain('sekret1');

    await expect(api.upsertTenant({ ...alpha, tenantId: 'Not A Tenant' })).rejects.toThrow(/tenantId/);
    await expect(
      api.upsertTenant({ ...alpha, intervalMinutes: { nonsense: 5 } as Record<string, number> }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    // @ts-expect-error no such data type: refused at run time too (plain JS callers)
    await expect(api.forceResync('alpha', { dataTypes: ['ledgers'] })).rejects.toThrow(
      /Invalid input for tenant alpha: dataTypes\.0/,
    );
    // A token Xledger does not know is refused by Xledger, not stored.
    await expect(
      api.upsertTenant({ ...beta, tenantId: 'delta', xledger: { token: 'not-a-real-token-123' } }),
    ).rejects.toBeInstanceOf(XledgerRefusedError);
    expect((await api.listTenants()).map((t) => t.tenantId)).toEqual(['alpha', 'beta']);
    expect(await existingSchedules('gamma')).toEqual([]);
    expect(await existingSchedules('delta')).toEqual([]);
  });

  it('an unknown tenant is an UnknownTenantError everywhere', async () => {
    await expect(api.getTenant('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    // A store error, and still one of the API's own: every public error extends one base class.
    await expect(api.getTenant('nobody')).rejects.toBeInstanceOf(XledgerSyncError);
    await expect(api.tenantStatus('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(api.forceResync('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(api.pauseTenant('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(api.resumeTenant('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(api.removeTenant('nobody')).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(api.getTenant('nobody')).rejects.toThrow('Unknown tenant "nobody"');
  });

  it('triggered syncs land in MongoDB for the right tenant only, tagged for the Web UI', async () => {
    await api.forceResync('alpha', { dataTypes: ['suppliers'] });
    await api.forceResync('beta', { dataTypes: ['suppliers'] });
    const [alphaRun] = await waitForRuns(h, 'alpha', 'suppliers', 1);
    const [betaRun] = await waitForRuns(h, 'beta', 'suppliers', 1);
    expect(alphaRun!.status).toBe('completed');
    expect(alphaRun!.trigger).toBe('resync');
    expect(betaRun!.trigger).toBe('resync');

    for (const [tenantId, owner, other] of [
      ['alpha', SEED_ENTITIES.owner1, SEED_ENTITIES.owner2],
      ['beta', SEED_ENTITIES.owner2, SEED_ENTITIES.owner1],
    ] as const) {
      const expected = (await truth(owner, 'suppliers')).records;
      const docs = await supplierDocs(tenantId);
      expect(docs.length).toBeGreaterThan(0);
      expect(docs.map((d) => d.dbId).sort((a, b) => a - b)).toEqual(
        expected.map((r) => r.dbId).sort((a, b) => a - b),
      );
      const otherOwner = new Set((await truth(other, 'suppliers')).records.map((r) => r.dbId));
      expect(docs.filter((d) => otherOwner.has(d.dbId))).toEqual([]);
      expect(docs.every((d) => d.entityDbId !== SEED_ENTITIES.root)).toBe(true);
    }
    // beta's root token fetched both owners' suppliers, and kept only owner 2's.
    expect(betaRun!.totals.fetched).toBeGreaterThan(betaRun!.totals.kept);
    expect(betaRun!.totals.kept).toBe((await supplierDocs('beta')).length);
    // Nothing else was synced for either tenant, and no other data type ran.
    expect(await runsOf(h, 'alpha', 'accounts')).toEqual([]);

    // Search attributes on the sync workflows: the operator's Web UI filter finds them.
    const listed = await waitFor('the alpha suppliers run in visibility', async () => {
      const found = await listSyncWorkflows('alpha', 'suppliers', ' AND SyncTrigger = "resync"');
      return found.length === 1 && found[0]!.status === 'COMPLETED' ? found : undefined;
    });
    expect(listed[0]!.workflowId).toMatch(/^sync:alpha:suppliers/);
    expect(listed[0]!.runId).toBe(alphaRun!.runId);
    expect(await listSyncWorkflows('alpha', 'accounts')).toEqual([]);
    const description = await h.client.workflow.getHandle(listed[0]!.workflowId).describe();
    expect(description.typedSearchAttributes.get(TenantIdKey)).toBe('alpha');
    expect(description.typedSearchAttributes.get(DataTypeKey)).toBe('suppliers');
    expect(description.typedSearchAttributes.get(TriggerKey)).toBe('resync');
  });

  it('a plain-JSON resync signal (raw client and `temporal workflow signal`) works as documented', async () => {
    const handle = h.client.workflow.getHandle('tenant:beta');
    // Incremental first: the last full pass is recent, so only the signal's `full` makes a full one.
    await handle.signal(resyncSignal, { dataTypes: ['suppliers'], full: false });
    const afterIncremental = await waitForRuns(h, 'beta', 'suppliers', 2);
    expect(afterIncremental[1]!.trigger).toBe('resync');
    expect(afterIncremental[1]!.streams.map((s) => s.mode)).toEqual(['incremental']);

    await handle.signal(resyncSignal, { dataTypes: ['suppliers'], full: true });
    const afterFull = await waitForRuns(h, 'beta', 'suppliers', 3);
    expect(afterFull[2]!.trigger).toBe('resync');
    expect(afterFull[2]!.streams.map((s) => s.mode)).toEqual(['full']);

    // Exactly the command the README shows, with the real temporal CLI: the signal's wire name is
    // spelled out here on purpose, to check what operators are told to type.
    const temporal = await resolveTemporalCli();
    await execFileAsync(temporal, [
      'workflow',
      'signal',
      '--address',
      h.config.temporal.address,
      '--namespace',
      h.config.temporal.namespace,
      '--workflow-id',
      'tenant:beta',
      '--name',
      'resync',
      '--input',
      '{"dataTypes":["suppliers"],"full":true}',
    ]);
    const afterCli = await waitForRuns(h, 'beta', 'suppliers', 4);
    expect(afterCli[3]!.trigger).toBe('resync');
    expect(afterCli[3]!.streams.map((s) => s.mode)).toEqual(['full']);

    // The status query reports the requests as they were signalled, newest first.
    const status = await handle.query(statusQuery);
    expect(status.pending).toEqual([]);
    expect(status.recent.slice(0, 3).map((r) => [r.dataTypes, r.full, r.dispatchedAt !== null])).toEqual([
      [['suppliers'], true, true],
      [['suppliers'], true, true],
      [['suppliers'], false, true],
    ]);
    // No other data type ran for beta, and alpha got nothing from beta's signals.
    expect(await runsOf(h, 'beta', 'accounts')).toEqual([]);
    expect(await runsOf(h, 'alpha', 'suppliers')).toHaveLength(1);
  });

  it('resync signals during a running sync are coalesced: one more run at most, never two at once', async () => {
    const before = (await runsOf(h, 'alpha', 'suppliers')).length;
    // Every alpha suppliers request answers after 3 s (beta's token is not slowed down).
    await admin(h, 'POST', '/admin/faults', {
      kind: 'slow',
      delayMs: 3000,
      field: 'suppliers',
      token: 'owner1',
      count: 10,
    });
    try {
      await api.forceResync('alpha', { dataTypes: ['suppliers'], full: true });
      let maxRunning = 0;
      const sample = async () => {
        const running = (await describeSchedule('alpha', 'suppliers')).info.runningActions.length;
        maxRunning = Math.max(maxRunning, running);
        return running;
      };
      await waitFor('the first run to be running', async () => (await sample()) === 1, {
        timeoutMs: 90_000,
        intervalMs: 50,
      });
      // …and to have taken its (full) request: requests that come before that merge into it
      // (by design), and the test wants them to be requests of their own, served by a second run.
      await waitFor(
        'the first run to take its resync request',
        async () => (await pendingSyncRequest(h.store.db, 'alpha', 'suppliers'))?.takenBy,
        { timeoutMs: 90_000, intervalMs: 50 },
      );
      // Five more requests while it runs: three through the API (not waiting for the run that
      // will serve them), two as raw signals.
      for (let i = 0; i < 3; i++) {
        const ticket = await api.forceResync('alpha', { dataTypes: ['suppliers'], waitForRunsMs: 0 });
        expect(ticket).toMatchObject({ dataTypes: ['suppliers'], runs: [], waiting: ['suppliers'] });
      }
      const raw = h.client.workflow.getHandle(tenantWorkflowId('alpha'));
      await raw.signal(resyncSignal, { dataTypes: ['suppliers'] });
      await raw.signal(resyncSignal, {});
      // Sample until everything has settled: all requests dispatched, nothing running.
      await waitFor(
        'the resyncs to settle',
        async () => {
          const status = await raw.query(statusQuery);
          const running = await sample();
          return (
            status.pending.length === 0 &&
            running === 0 &&
            (await runsOf(h, 'alpha', 'suppliers')).length >= before + 2
          );
        },
        { timeoutMs: 40_000, intervalMs: 100 },
      );
      // Give a wrongly started third run the time to show up.
      await sleep(1500);
      await sample();
      expect(maxRunning).toBe(1);

      const runs = (await runsOf(h, 'alpha', 'suppliers')).slice(before);
      expect(runs).toHaveLength(2);
      const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(first.durationMs).toBeGreaterThanOrEqual(3000);
      expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.finishedAt));
      expect(first.streams.map((s) => s.mode)).toEqual(['full']);
      expect(second.trigger).toBe('resync');
      // The requests that came in while the full run served its own were incremental.
      expect(second.streams.map((s) => s.mode)).toEqual(['incremental']);
      // The raw `{}` signal asked for every type: the other enabled types each ran once.
      for (const type of ALPHA_TYPES.filter((t) => t !== 'suppliers' && t !== 'invoices')) {
        await waitForRuns(h, 'alpha', type, 1);
      }
      // Visibility agrees: exactly the stored runs, no other suppliers workflow was started.
      const listed = await waitFor('visibility to catch up', async () => {
        const found = await listSyncWorkflows('alpha', 'suppliers');
        return found.length === before + 2 && found.every((f) => f.status === 'COMPLETED')
          ? found
          : undefined;
      });
      expect(listed.map((f) => f.runId).sort()).toEqual(
        (await runsOf(h, 'alpha', 'suppliers')).map((r) => r.runId).sort(),
      );
    } finally {
      await admin(h, 'DELETE', '/admin/faults');
    }
  });

  it('pause and resume act on one tenant only, and a change while paused keeps it paused', async () => {
    await api.pauseTenant('beta');
    for (const type of BETA_TYPES) expect((await describeSchedule('beta', type)).state.paused).toBe(true);
    for (const type of ALPHA_TYPES) expect((await describeSchedule('alpha', type)).state.paused).toBe(false);
    let status = await api.tenantStatus('beta');
    expect(status.paused).toBe(true);
    expect(status.dataTypes.every((d) => d.paused)).toBe(true);
    expect((await api.tenantStatus('alpha')).paused).toBe(false);

    // An interval change while paused updates the schedule and leaves it paused.
    await api.upsertTenant({ ...beta, intervalMinutes: { ...beta.intervalMinutes, accounts: 600 } });
    const accounts = await describeSchedule('beta', 'accounts');
    expect(accounts.spec.intervals?.[0]?.every).toBe(600 * 60_000);
    expect(accounts.state.paused).toBe(true);

    // The same (changed) config again while paused: no update, still paused.
    const pausedVersions = await scheduleVersions('beta', BETA_TYPES);
    expect(pausedVersions.accounts!.lastUpdatedAt).not.toBeNull();
    await api.upsertTenant({ ...beta, intervalMinutes: { ...beta.intervalMinutes, accounts: 600 } });
    expect(await scheduleVersions('beta', BETA_TYPES)).toEqual(pausedVersions);

    // An operator's explicit resync still runs once while paused; the tenant stays paused.
    const currencyRuns = (await runsOf(h, 'beta', 'currencies')).length;
    await api.forceResync('beta', { dataTypes: ['currencies'] });
    const [resynced] = (await waitForRuns(h, 'beta', 'currencies', currencyRuns + 1)).slice(currencyRuns);
    expect(resynced?.trigger).toBe('resync');
    expect((await describeSchedule('beta', 'currencies')).state.paused).toBe(true);
    expect((await api.tenantStatus('beta')).paused).toBe(true);

    await api.resumeTenant('beta');
    for (const type of BETA_TYPES) expect((await describeSchedule('beta', type)).state.paused).toBe(false);
    status = await api.tenantStatus('beta');
    expect(status.paused).toBe(false);
    expect(status.dataTypes.every((d) => d.nextRunAt !== null)).toBe(true);
  });

  it('an interval change updates the schedule in place and touches nothing else', async () => {
    const before = await describeSchedule('alpha', 'suppliers');
    const others = ALPHA_TYPES.filter((t) => t !== 'suppliers');
    const othersBefore = await scheduleVersions('alpha', others);
    const changed = { ...alpha, intervalMinutes: { ...alpha.intervalMinutes, suppliers: 360 } };
    const settings = await api.upsertTenant(changed);
    const after = await describeSchedule('alpha', 'suppliers');
    expect(after.spec.intervals?.[0]?.every).toBe(360 * 60_000);
    expectScheduleFor(settings, after, 'suppliers');
    expect(after.info.createdAt.getTime()).toBe(before.info.createdAt.getTime());
    expect(before.info.lastUpdatedAt).toBeUndefined();
    expect(after.info.lastUpdatedAt!.getTime()).toBeGreaterThanOrEqual(after.info.createdAt.getTime());
    // The schedule kept its history: the runs it started before the change are still listed.
    expect(after.info.recentActions.length).toBeGreaterThan(0);
    expect(await scheduleVersions('alpha', others)).toEqual(othersBefore);
    const status = await api.tenantStatus('alpha');
    expect(status.dataTypes.find((d) => d.dataType === 'suppliers')?.intervalMinutes).toBe(360);
    // And the changed config, sent again, changes nothing more.
    const changedOnce = await scheduleVersions('alpha', ALPHA_TYPES);
    await api.upsertTenant(changed);
    expect(await scheduleVersions('alpha', ALPHA_TYPES)).toEqual(changedOnce);
    Object.assign(alpha, changed);
  });

  it('disabling a data type deletes its schedule (no orphans)', async () => {
    expect(await scheduleExists('alpha', 'fixedAssets')).toBe(true);
    await api.upsertTenant({ ...alpha, options: { fixedAssets: false, projectManagers: false } });
    expect(await existingSchedules('alpha')).toEqual(BETA_TYPES);
    expect((await api.tenantStatus('alpha')).dataTypes.map((d) => d.dataType)).toEqual(BETA_TYPES);
    // Enabling project managers adds the projects schedule.
    await api.upsertTenant({ ...alpha, options: { fixedAssets: false, projectManagers: true } });
    expect(await existingSchedules('alpha')).toEqual([...ALWAYS, 'projects', 'invoices']);
  });

  it('remove deletes the schedules, the tenant workflow, running syncs and the tenant; --purge also its data', async () => {
    const alphaDocs = (await supplierDocs('alpha')).length;
    expect(alphaDocs).toBeGreaterThan(0);
    expect((await supplierDocs('beta')).length).toBeGreaterThan(0);

    // An invoice on its way to Xledger: removal is refused, and nothing is removed.
    const invoice = invoiceSchema.parse(demoInvoice('open-1', 'S-1', { entityDbId: SEED_ENTITIES.owner2 }));
    await addToOutbox(h.store.db, 'beta', invoice, invoiceContentHash(invoice));
    const refused = await api.removeTenant('beta', { purge: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TenantHasOpenInvoicesError);
    expect((refused as Error).message).toMatch(/beta.*1 invoice/);
    expect(await existingSchedules('beta')).toEqual(BETA_TYPES);

    // A full sync of beta under way, its page slowed down in Xledger: removal ends the run, and
    // the page in flight is not stored after the purge.
    await admin(h, 'POST', '/admin/faults', {
      kind: 'slow',
      delayMs: 12_000,
      field: 'suppliers',
      token: 'root',
      count: 1,
    });
    await api.forceResync('beta', { dataTypes: ['suppliers'], full: true });
    const running = await waitFor(
      "beta's sync to be running",
      async () => {
        for await (const execution of h.client.workflow.list({
          query: `TenantId = "beta" AND WorkflowType = "${syncDataTypeWorkflow.name}" AND ExecutionStatus = "Running"`,
        })) {
          return execution;
        }
        return undefined;
      },
      { intervalMs: 200 },
    );

    await api.removeTenant('beta', { purge: true, force: true });
    expect(await existingSchedules('beta')).toEqual([]);
    expect((await h.client.workflow.getHandle(tenantWorkflowId('beta')).describe()).status.name).toBe(
      'TERMINATED',
    );
    const sync = h.client.workflow.getHandle(running.workflowId, running.runId);
    expect((await sync.describe()).status.name).toBe('TERMINATED');
    await expect(api.getTenant('beta')).rejects.toBeInstanceOf(UnknownTenantError);
    expect(await supplierDocs('beta')).toEqual([]);
    // Every collection of the registry is purged of beta (the tenants collection by the tenant
    // store). Of beta's record only a tombstone stays, holding nothing (store/tenants.ts, remove).
    for (const { name, tenantKey } of allCollections()) {
      const filter = (
        name === 'tenant_versions'
          ? { tenantId: 'beta', value: { $ne: null } }
          : { [tenantKey ?? '_id']: 'beta' }
      ) as never;
      expect(await h.store.db.collection(name).countDocuments(filter), name).toBe(0);
    }
    expect(
      await h.store.db.collection('tenant_versions').countDocuments({ tenantId: 'beta' }),
    ).toBeGreaterThan(0);
    await sleep(14_000); // the slowed page has been answered by now
    expect(await supplierDocs('beta')).toEqual([]);
    expect(await h.store.db.collection('sync_runs').countDocuments({ tenantId: 'beta' })).toBe(0);
    // alpha is untouched.
    expect((await supplierDocs('alpha')).length).toBe(alphaDocs);
    expect(await existingSchedules('alpha')).toEqual([...ALWAYS, 'projects', 'invoices']);

    await api.removeTenant('alpha');
    expect(await existingSchedules('alpha')).toEqual([]);
    expect(await api.listTenants()).toEqual([]);
    // Without --purge the synced data stays.
    expect((await supplierDocs('alpha')).length).toBe(alphaDocs);
  });

  it('no token appears in any workflow history of the run', async () => {
    const executions: Array<{ workflowId: string; runId: string }> = [];
    for await (const execution of h.client.workflow.list({ query: `TaskQueue = "${h.taskQueue}"` })) {
      executions.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
    // Both tenant workflows and every stored run (visibility is eventually consistent: the
    // stored runs are the lower bound).
    const storedRuns = await h.store.db.collection('sync_runs').find({}).toArray();
    const runIds = new Set(executions.map((e) => e.runId));
    for (const run of storedRuns) expect(runIds.has(run.runId as string)).toBe(true);
    expect(executions.map((e) => e.workflowId)).toEqual(
      expect.arrayContaining(['tenant:alpha', 'tenant:beta']),
    );
    expect(executions.length).toBeGreaterThanOrEqual(12);

    // The check itself can see a token hidden in a payload's bytes.
    const hidden = { payloads: [{ data: new TextEncoder().encode(`{"t":"${SEED_TOKENS.owner1}"}`) }] };
    expect(historyText(hidden)).toContain(SEED_TOKENS.owner1);

    const secrets = Object.values(SEED_TOKENS).flatMap((token) => [
      token,
      Buffer.from(token).toString('base64'),
    ]);
    let bytes = 0;
    for (const { workflowId, runId } of executions) {
      const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const text = historyText(history);
      bytes += text.length;
      // The text is decoded: the workflow's own input is readable in it.
      expect(text).toContain('"tenantId":"');
      for (const secret of secrets) expect(text, `${workflowId} ${runId}`).not.toContain(secret);
      expect(text).not.toContain('xlsim-');
    }
    expect(bytes).toBeGreaterThan(10_000);
  });
});
