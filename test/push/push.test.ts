/**
 * Push from Xledger, end to end on the real servers (Temporal dev server, FerretDB, the
 * simulator): onboarding registers the webhooks the tenant's live schema offers; a change in
 * the simulator reaches SEMINE's webhook as `sync.completed` through Xledger's signed delivery,
 * the receiver and the data type's schedule; bad signatures, replays, stale Dates and unknown
 * tenants sync nothing; a FAULTED webhook is registered again, and one Xledger will not register
 * again falls back to polling at the normal interval; removal takes the webhooks out of Xledger.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XledgerSyncClient } from '../../src/client';
import { statusText } from '../../src/cli/format';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { startPushServer, type RunningPushServer } from '../../src/push/server';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { readTenantPush, type TenantPush } from '../../src/store/push-subscriptions';
import { scheduleId } from '../../src/temporal/ids';
import { webhookSignature } from '../../src/xledger/webhook-signature';
import { logger } from '../../src/logger';
import { startHarness, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { admin, connectApi, waitFor } from '../tenants/support';

let h: Harness;
let receiver: WebhookReceiver;
let pushServer: RunningPushServer;
let api: XledgerSyncClient;
const tenantId = `push-${randomBytes(3).toString('hex')}`;
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const hookPath = `/semine/${tenantId}`;

interface SimWebhookView {
  dbId: number;
  field: string;
  url: string;
  state: { code: string };
}
const simWebhooks = async () =>
  (await admin<{ webhooks: SimWebhookView[] }>(h, 'GET', '/admin/webhooks')).webhooks;
const push = async (): Promise<TenantPush> => (await readTenantPush(h.store.db, tenantId))!;
const subscription = async (field: string) => (await push()).subscriptions.find((s) => s.field === field)!;
const scheduleOf = (name: string) => h.client.schedule.getHandle(scheduleId(tenantId, name)).describe();
const intervalOf = async (name: string) =>
  Number((await scheduleOf(name)).spec.intervals?.[0]?.every) / 60_000;
const actionsOf = async (name: string) => (await scheduleOf(name)).info.numActionsTaken;

/** The `sync.completed` events SEMINE's receiver got for a data type, verified with its secret. */
function completedEvents(dataType: string) {
  const webhook = new Webhook(secret);
  return receiver
    .requests(hookPath)
    .filter((r) => r.status === 200)
    .map(
      (r) =>
        webhook.verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          data: { dataType: string; counts: { updated: number } };
        },
    )
    .filter((event) => event.type === 'sync.completed' && event.data.dataType === dataType);
}

/** A delivery as Xledger sends it, signed with `token` and dated `dateMs`. */
async function deliver(options: {
  token?: string;
  dateMs?: number;
  body?: string;
  path?: string;
  base?: string;
}) {
  const body = options.body ?? JSON.stringify({ data: { suppliersMutated: { edges: [] } } });
  const dateMs = options.dateMs ?? Date.now();
  const signature = webhookSignature(options.token ?? SEED_TOKENS.owner1, Math.floor(dateMs / 1000), body);
  const response = await fetch(
    `${options.base ?? pushServer.url}${options.path ?? `/xledger/webhooks/${tenantId}`}`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        date: new Date(dateMs).toUTCString(),
        'x-xl-webhook-signature': signature,
      },
      body,
    },
  );
  return { status: response.status, text: await response.text() };
}

const triggerWatch = () => h.client.schedule.getHandle(scheduleId(tenantId, 'pushWatch')).trigger();

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ seed: 7, suppliers: 40 }, undefined, undefined, {
    // Replaced by the receiver's address below, before the worker and the client read it.
    PUSH_PUBLIC_BASE_URL: 'http://127.0.0.1:1',
  });
  pushServer = await startPushServer({
    db: h.store.db,
    tenants: h.tenants,
    temporal: h.client,
    dateWindowMs: h.config.push.dateWindowMs,
    logger,
  });
  h.config.push.publicBaseUrl = pushServer.url;
  await h.startWorker();
  api = await connectApi(h);
}, 120_000);
afterAll(async () => {
  await api?.close();
  await pushServer?.close();
  await h?.close();
  await receiver?.close();
});

describe('push from Xledger', () => {
  it('registers at onboarding the subscriptions the live schema offers for the enabled types, and stretches their polling', async () => {
    await api.upsertTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.owner1 },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      options: { projectManagers: true },
      push: true,
      webhook: { url: receiver.url(hookPath), secret },
    });
    const registered = await waitFor(
      'the push watch',
      async () => {
        const doc = await readTenantPush(h.store.db, tenantId);
        return doc && doc.subscriptions.length === 5 ? doc : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(registered.offered.sort()).toEqual(
      [
        'employeesMutated',
        'objectKindsMutated',
        'objectValuesMutated',
        'projectsMutated',
        'suppliersMutated',
      ].sort(),
    );
    expect(registered.subscriptions.every((s) => s.state === 'RUNNING' && s.webhookDbId !== null)).toBe(true);
    expect(registered.pushedTypes.sort()).toEqual(['dimensions', 'projects', 'suppliers']);
    expect(registered.polled.find((p) => p.dataType === 'accounts')?.reason).toMatch(/accountsMutated/);
    expect(registered.polled.find((p) => p.dataType === 'vatCodes')?.reason).toMatch(/taxTableSetupsMutated/);
    const atXledger = (await simWebhooks()).filter(
      (w) => w.url === `${pushServer.url}/xledger/webhooks/${tenantId}`,
    );
    expect(atXledger.map((w) => w.field).sort()).toEqual(registered.offered.sort());

    // The watch re-times the schedules one after another: wait for the last of them.
    await waitFor('stretched schedules', async () =>
      (await intervalOf('suppliers')) === 120 &&
      (await intervalOf('projects')) === 240 &&
      (await intervalOf('dimensions')) === 240
        ? true
        : undefined,
    );
    expect(await intervalOf('accounts')).toBe(24 * 60);
    const status = await api.tenantStatus(tenantId);
    expect(status.push?.pushedTypes.sort()).toEqual(['dimensions', 'projects', 'suppliers']);
    expect(status.dataTypes.find((d) => d.dataType === 'suppliers')?.intervalMinutes).toBe(120);
  });

  it('takes a change in Xledger to SEMINE as sync.completed through the webhook', async () => {
    // The first full sync of suppliers is done before the change, so the next run is the push's.
    await waitFor(
      'the first suppliers sync',
      () => (completedEvents('suppliers').length >= 1 ? true : undefined),
      {
        timeoutMs: 90_000,
      },
    );
    await waitFor('no suppliers run under way', async () =>
      (await scheduleOf('suppliers')).info.runningActions.length === 0 ? true : undefined,
    );
    const before = completedEvents('suppliers').length;
    const supplier = h.sim.state.truth(SEED_ENTITIES.owner1, 'suppliers')[0]!;
    const started = performance.now();
    h.sim.state.patchRecord('suppliers', supplier.dbId, { description: `pushed ${tenantId}` });
    const event = await waitFor(
      'sync.completed of the pushed change',
      () =>
        completedEvents('suppliers')
          .slice(before)
          .find((e) => e.data.counts.updated >= 1),
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    const latencyMs = performance.now() - started;
    console.log(
      `push latency: change in Xledger → sync.completed at SEMINE's webhook: ${Math.round(latencyMs)} ms`,
    );
    expect(event.data.counts.updated).toBe(1);
    const stored = await h.store.db.collection('suppliers').findOne({ tenantId, dbId: supplier.dbId });
    expect(stored?.description).toBe(`pushed ${tenantId}`);
  });

  it('refuses a bad signature, a stale Date, a replay and an unknown tenant, and syncs nothing for them', async () => {
    await waitFor('no suppliers run under way', async () =>
      (await scheduleOf('suppliers')).info.runningActions.length === 0 ? true : undefined,
    );
    const actions = await actionsOf('suppliers');
    expect((await deliver({ token: SEED_TOKENS.owner2 })).status).toBe(401);
    expect((await deliver({ dateMs: Date.now() - 10 * 60_000 })).status).toBe(401);
    expect((await deliver({ dateMs: Date.now() + 10 * 60_000 })).status).toBe(401);
    const unknown = await deliver({ path: '/xledger/webhooks/no-such-tenant' });
    expect(unknown).toEqual({ status: 404, text: '' });
    expect((await deliver({ path: '/xledger/webhooks/..%2Fadmin' })).status).toBe(404);
    // Xledger's own last delivery, replayed byte for byte (the simulator's admin replay).
    const suppliersHook = await subscription('suppliersMutated');
    const replay = await admin<{ status: number }>(
      h,
      'POST',
      `/admin/webhooks/${suppliersHook.webhookDbId}/replay`,
    );
    expect(replay.status).toBe(409);
    expect(await actionsOf('suppliers')).toBe(actions);
    // A well-signed, fresh delivery syncs (through the schedule: coalesced with any run); the
    // same bytes again are refused.
    const dateMs = Date.now();
    expect((await deliver({ dateMs })).status).toBe(202);
    expect(await actionsOf('suppliers')).toBe(actions + 1);
    expect((await deliver({ dateMs })).status).toBe(409);
    expect(await actionsOf('suppliers')).toBe(actions + 1);
  });

  it("answers a bare 500 when Temporal cannot take the sync, and then takes Xledger's retry of the same bytes", async () => {
    const closed = await Connection.connect({ address: h.config.temporal.address });
    await closed.close();
    const broken = await startPushServer({
      db: h.store.db,
      tenants: h.tenants,
      temporal: new Client({ connection: closed, namespace: h.config.temporal.namespace }),
      dateWindowMs: h.config.push.dateWindowMs,
      logger,
    });
    try {
      const dateMs = Date.now();
      const body = JSON.stringify({
        data: { suppliersMutated: { edges: [{ syncVersion: randomBytes(4).toString('hex') }] } },
      });
      const failed = await deliver({ dateMs, body, base: broken.url });
      expect(failed).toEqual({ status: 500, text: '' });
      // The claim was released: the same bytes, retried, are a delivery, not a replay.
      expect((await deliver({ dateMs, body })).status).toBe(202);
      expect((await deliver({ dateMs, body })).status).toBe(409);
    } finally {
      await broken.close();
    }
  });

  it('registers a FAULTED webhook again; one Xledger will not register falls back to polling at the normal interval', async () => {
    const first = await subscription('suppliersMutated');
    await admin(h, 'PUT', `/admin/webhooks/${first.webhookDbId}/state`, { state: 'FAULTED' });
    await triggerWatch();
    const again = await waitFor(
      're-registration',
      async () => {
        const s = await subscription('suppliersMutated');
        return s.reregistrations === 1 ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(again.webhookDbId).not.toBe(first.webhookDbId);
    expect(again.state).toBe('RUNNING');
    expect((await simWebhooks()).some((w) => w.dbId === first.webhookDbId)).toBe(false);
    expect(await intervalOf('suppliers')).toBe(120);

    await admin(h, 'PUT', `/admin/webhooks/${again.webhookDbId}/state`, { state: 'PAUSED' });
    await admin(h, 'POST', '/admin/faults', {
      kind: 'httpError',
      field: 'addWebhooks',
      count: 50,
      status: 503,
    });
    await triggerWatch();
    const fallen = await waitFor(
      'fallback',
      async () => {
        const doc = await push();
        return doc.pushedTypes.includes('suppliers') ? undefined : doc;
      },
      { timeoutMs: 120_000 },
    );
    await admin(h, 'DELETE', '/admin/faults');
    expect(fallen.polled.find((p) => p.dataType === 'suppliers')?.reason).toMatch(
      /fallen back: suppliersMutated/,
    );
    expect(fallen.subscriptions.find((s) => s.field === 'suppliersMutated')?.webhookDbId).toBeNull();
    await waitFor('the normal interval', async () =>
      (await intervalOf('suppliers')) === 30 ? true : undefined,
    );
    expect(await intervalOf('projects')).toBe(240);
    const status = await api.tenantStatus(tenantId);
    expect(status.dataTypes.find((d) => d.dataType === 'suppliers')?.intervalMinutes).toBe(30);
    expect(status.push?.polled.some((p) => p.dataType === 'suppliers')).toBe(true);
    // `tenant status` prints it.
    const text = statusText(status);
    expect(text).toMatch(
      /^ {2}suppliersMutated: unknown \(not registered, registered again 1×.*registration refused/m,
    );
    expect(text).toContain('  pushed (polled less often): dimensions, projects');
    expect(text).toMatch(/^ {2}polled: suppliers: fallen back: suppliersMutated/m);
  });

  it('takes the webhooks out of Xledger when the tenant is removed', async () => {
    const ours = (await simWebhooks()).filter((w) => w.url.endsWith(`/xledger/webhooks/${tenantId}`));
    expect(ours.length).toBeGreaterThan(0);
    await api.removeTenant(tenantId, { purge: true });
    expect((await simWebhooks()).filter((w) => w.url.endsWith(`/xledger/webhooks/${tenantId}`))).toEqual([]);
    expect(await readTenantPush(h.store.db, tenantId)).toBeNull();
    expect((await deliver({})).status).toBe(404);
  });

  it('refuses push on a tenant when no public base URL is configured, naming the field', async () => {
    const { publicBaseUrl: _unset, ...withoutBase } = h.config.push;
    const bare = await connectWithConfig({
      ...h.config,
      push: withoutBase,
      xledger: { ...h.config.xledger, defaultEndpoint: h.sim.graphqlUrl },
    });
    try {
      await expect(
        bare.upsertTenant({
          tenantId: `${tenantId}-x`,
          xledger: { token: SEED_TOKENS.owner1 },
          entityOwnerDbId: 101,
          push: true,
        }),
      ).rejects.toThrow(/push.*PUSH_PUBLIC_BASE_URL/);
    } finally {
      await bare.close();
    }
  });
});
