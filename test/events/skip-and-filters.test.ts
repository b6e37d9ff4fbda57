import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateTenantConfig, type XledgerSyncClient } from '../../src/client';
import { eventIds, type EventType, type NewEvent } from '../../src/domain/event-catalogue';
import { publishEvent } from '../../src/events/publish';
import { webhookIdOf } from '../../src/events/webhook-id';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { startHarness, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { connectApi, waitFor } from '../tenants/support';

/**
 * No indefinite head-of-line blocking, and per-tenant type filters, on the run's real servers
 * with the real delivery workflow and a real HTTP receiver: an event the receiver keeps refusing
 * holds every later one until an operator skips it; a type the tenant's webhook does not take
 * is never POSTed and never holds anything up.
 */
let h: Harness;
let receiver: WebhookReceiver;
let api: XledgerSyncClient;
const suffix = randomBytes(3).toString('hex');
const hookPath = (tenantId: string) => `/hooks/${tenantId}`;

async function onboard(name: string, eventTypes?: EventType[]): Promise<string> {
  const tenantId = `${name}-${suffix}`;
  await h.saveTenant({
    tenantId,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    webhook: {
      url: receiver.url(hookPath(tenantId)),
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      ...(eventTypes ? { eventTypes } : {}),
    },
  });
  return tenantId;
}

const rejection = (tenantId: string, invoiceId: string): NewEvent => ({
  id: eventIds.invoiceRejected(tenantId, invoiceId),
  tenantId,
  type: 'invoice.rejected',
  data: { invoiceId, reasons: ['supplierCode: unknown supplier'], rejectedAt: new Date().toISOString() },
  occurredAt: new Date(),
});

const posted = (tenantId: string, invoiceId: string): NewEvent => ({
  id: eventIds.invoicePosted(tenantId, invoiceId),
  tenantId,
  type: 'invoice.posted',
  data: {
    invoiceId,
    xledger: { transactionDbId: 880213, lineDbIds: [5501] },
    postedAt: new Date().toISOString(),
  },
  occurredAt: new Date(),
});

const publish = (event: NewEvent) =>
  publishEvent({ db: h.store.db, temporal: h.client, taskQueue: h.taskQueue }, event);

const idsReceived = (tenantId: string) =>
  receiver.requests(hookPath(tenantId)).map((r) => String(r.headers['webhook-id']));

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ seed: 5, suppliers: 10 });
  await h.startWorker();
  api = await connectApi(h);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
  await receiver?.close();
});

describe('an event a receiver keeps refusing', () => {
  it('holds the later ones until it is skipped; the skip ends its attempts at once and delivery goes on', async () => {
    const tenantId = await onboard('stuck');
    const stuck = webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-1'));
    // Refused with a Retry-After of an hour: only the skip can end the wait before then.
    receiver.behave(hookPath(tenantId), {
      refuseIds: [stuck],
      failStatus: 500,
      failHeaders: { 'retry-after': '3600' },
    });
    for (const n of [1, 2, 3]) await publish(rejection(tenantId, `INV-${n}`));
    await waitFor('the first attempt of INV-1', () => idsReceived(tenantId).length >= 1 || undefined);
    // Blocked: the later events wait behind it (nothing else was sent, they are pending).
    const before = await api.listEvents(tenantId, { after: 0 });
    expect(idsReceived(tenantId)).toEqual([stuck]);
    expect(before.events.map((e) => e.delivery.state)).toEqual(['pending', 'pending', 'pending']);
    expect(before.events[0]!.delivery.lastError).toMatch(/HTTP 500/);
    expect(before.delivered).toBeLessThan(before.events[0]!.seq);

    const result = await api.skipEvent(tenantId, stuck, { by: 'ops@semine', reason: 'payload refused' });
    expect(result).toMatchObject({
      eventId: stuck,
      skipped: true,
      by: 'ops@semine',
      reason: 'payload refused',
    });
    // A second skip finds the first one's decision.
    expect(await api.skipEvent(tenantId, stuck, { by: 'someone else' })).toMatchObject({
      skipped: false,
      by: 'ops@semine',
    });

    await waitFor(
      'INV-2 and INV-3 delivered',
      () => receiver.delivered(hookPath(tenantId)).length >= 2 || undefined,
      {
        timeoutMs: 60_000,
      },
    );
    expect(receiver.delivered(hookPath(tenantId)).map((p) => p.id)).toEqual(
      [2, 3].map((n) => webhookIdOf(eventIds.invoiceRejected(tenantId, `INV-${n}`))),
    );
    // The cursor moves just after the last answer is stored.
    const after = await waitFor('delivery past every event', async () => {
      const list = await api.listEvents(tenantId, { after: 0 });
      return list.delivered === list.recorded ? list : undefined;
    });
    expect(after.events.map((e) => e.delivery.state)).toEqual(['skipped', 'delivered', 'delivered']);
    expect(after.events[0]!.delivery.lastError).toMatch(/^skipped by ops@semine at \S+: payload refused$/);
    // The skipped event was not attempted again.
    expect(idsReceived(tenantId).filter((id) => id === stuck)).toHaveLength(1);
  });

  it('only an event waiting for delivery can be skipped', async () => {
    const tenantId = await onboard('done');
    await publish(rejection(tenantId, 'INV-1'));
    await waitFor('the delivery', () => receiver.delivered(hookPath(tenantId)).length >= 1 || undefined);
    const id = webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-1'));
    await waitFor(
      'delivered in the list',
      async () => (await api.listEvents(tenantId)).events[0]?.delivery.state === 'delivered' || undefined,
    );
    await expect(api.skipEvent(tenantId, id)).rejects.toThrow(/is delivered, not waiting for delivery/);
    await expect(api.skipEvent(tenantId, 'evt_nope')).rejects.toThrow(/has no event/);
  });
});

describe("a tenant's webhook.eventTypes", () => {
  it('are the only types POSTed; the others are kept, marked filtered, and hold nothing up', async () => {
    const tenantId = await onboard('filtered', ['invoice.posted', 'sync.completed']);
    await publish(rejection(tenantId, 'INV-1'));
    await publish(posted(tenantId, 'INV-2'));
    await publish(rejection(tenantId, 'INV-3'));
    await publish(posted(tenantId, 'INV-4'));
    await waitFor(
      'both invoice.posted delivered',
      () => receiver.delivered(hookPath(tenantId)).length >= 2 || undefined,
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor('delivery has passed every event', async () => {
      const list = await api.listEvents(tenantId, { after: 0 });
      return list.delivered === list.recorded && list.recorded === 4 ? list : undefined;
    });
    const list = await api.listEvents(tenantId, { after: 0 });
    expect(list.events.map((e) => [e.type, e.delivery.state, e.delivery.attempts])).toEqual([
      ['invoice.rejected', 'filtered', 0],
      ['invoice.posted', 'delivered', 1],
      ['invoice.rejected', 'filtered', 0],
      ['invoice.posted', 'delivered', 1],
    ]);
    expect(list.events[0]!.delivery.lastError).toMatch(/not among the tenant's webhook\.eventTypes/);
    // Never POSTed, not even once.
    const types = receiver.requests(hookPath(tenantId)).map((r) => r.headers['xledger-sync-event-type']);
    expect(types).toEqual(['invoice.posted', 'invoice.posted']);
  });

  it('are checked against the event catalogue when the tenant is upserted', () => {
    const config = (eventTypes: string[]) => ({
      tenantId: `typo-${suffix}`,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      webhook: { url: 'https://hooks.example.com/x', secret: `whsec_${'A'.repeat(43)}=`, eventTypes },
    });
    expect(() => validateTenantConfig(config(['invoice.postd']), h.config)).toThrow(
      /webhook\.eventTypes\.0: unknown event type "invoice\.postd" \(known: sync\.completed/,
    );
    expect(() => validateTenantConfig(config(['invoice.posted', 'invoice.posted']), h.config)).toThrow(
      /lists an event type twice/,
    );
    expect(() => validateTenantConfig(config([]), h.config)).toThrow(/at least one event type/);
    expect(validateTenantConfig(config(['invoice.posted']), h.config).webhook?.eventTypes).toEqual([
      'invoice.posted',
    ]);
  });
});
