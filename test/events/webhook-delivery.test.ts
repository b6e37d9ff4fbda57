import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownEventError, type XledgerSyncClient } from '../../src/client';
import { eventIds, type NewEvent } from '../../src/domain/event-catalogue';
import { publishEvent } from '../../src/events/publish';
import { EVENT_TYPE_HEADER, TENANT_HEADER } from '../../src/events/webhook';
import { webhookIdOf } from '../../src/events/webhook-id';
import { eventKey, recordEvent } from '../../src/store/events';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { runCliCaptured } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { admin, runSync, truth } from '../support/sync';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { harnessActivities, harnessDeps } from '../support/activities';
import { createActivities } from '../../src/activities';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { eventJsonSchemas } from '../../src/domain/event-schemas';
import { cliEnv, connectApi, waitFor } from '../tenants/support';

/**
 * Events delivered to a real HTTP receiver by the real delivery workflow on the run's Temporal
 * server: signed (verified with the standardwebhooks library), in seq order per tenant, through
 * a receiver's outage, redelivered on request, and never held up by another tenant's receiver.
 */
let h: Harness;
let receiver: WebhookReceiver;
let api: XledgerSyncClient;
const suffix = randomBytes(3).toString('hex');
const secrets = new Map<string, string>();

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const hookPath = (tenantId: string) => `/hooks/${tenantId}`;

async function onboard(name: string): Promise<string> {
  const tenantId = `${name}-${suffix}`;
  const secret = newSecret();
  secrets.set(tenantId, secret);
  await h.saveTenant({
    tenantId,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    webhook: { url: receiver.url(hookPath(tenantId)), secret },
  });
  return tenantId;
}

const rejection = (tenantId: string, invoiceId: string): NewEvent => ({
  id: eventIds.invoiceRejected(tenantId, invoiceId),
  tenantId,
  type: 'invoice.rejected',
  data: {
    invoiceId,
    reasons: [`supplierCode: unknown supplier for ${invoiceId}`],
    rejectedAt: new Date().toISOString(),
  },
  occurredAt: new Date(),
});

const publish = (event: NewEvent) =>
  publishEvent({ db: h.store.db, temporal: h.client, taskQueue: h.taskQueue }, event);

/** Every request verified with the library against the tenant's secret; the payloads, in arrival order. */
function verifiedDeliveries(tenantId: string) {
  const webhook = new Webhook(secrets.get(tenantId)!);
  return receiver
    .requests(hookPath(tenantId))
    .filter((r) => r.status === 200)
    .map((r) => {
      const payload = webhook.verify(r.body, r.headers as Record<string, string>) as {
        id: string;
        seq: number;
        type: string;
        tenantId: string;
      };
      expect(r.headers['webhook-id']).toBe(payload.id);
      // Opaque ids (no `.`, URL-safe), and type and tenant beside the signature for routing.
      expect(payload.id).toMatch(/^evt_[A-Za-z0-9_-]+$/);
      expect(r.headers[EVENT_TYPE_HEADER]).toBe(payload.type);
      expect(r.headers[TENANT_HEADER]).toBe(tenantId);
      expect(payload.tenantId).toBe(tenantId);
      return payload;
    });
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ seed: 5, suppliers: 40 });
  await h.startWorker();
  api = await connectApi(h);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
  await receiver?.close();
});

describe('webhook delivery', () => {
  it('signs every event (verified with standardwebhooks) and delivers a tenant’s events in seq order', async () => {
    const tenantId = await onboard('order');
    // Recorded one after another, then eight at once: the seq decides the order either way.
    for (const n of [1, 2, 3, 4]) await publish(rejection(tenantId, `INV-${n}`));
    await Promise.all([5, 6, 7, 8, 9, 10, 11, 12].map((n) => publish(rejection(tenantId, `INV-${n}`))));
    await waitFor(
      '12 deliveries',
      () => (receiver.delivered(hookPath(tenantId)).length >= 12 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    const payloads = verifiedDeliveries(tenantId);
    expect(payloads).toHaveLength(12);
    const seqs = payloads.map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(payloads.map((p) => p.id)).size).toBe(12);
    // A wrong secret fails verification: the signature really is the tenant's.
    const first = receiver.requests(hookPath(tenantId))[0]!;
    expect(() =>
      new Webhook(newSecret()).verify(first.body, first.headers as Record<string, string>),
    ).toThrow();

    const list = await api.listEvents(tenantId, { after: 0, limit: 100 });
    expect(list.events).toHaveLength(12);
    expect(list.events.every((e) => e.delivery.state === 'delivered' && e.delivery.attempts === 1)).toBe(
      true,
    );
    expect(list.delivered).toBe(list.recorded);
  });

  it('a receiver failing for a while, then recovering, loses and reorders nothing', async () => {
    const tenantId = await onboard('outage');
    receiver.behave(hookPath(tenantId), { failNext: 3, failStatus: 503 });
    for (const n of [1, 2, 3, 4, 5]) await publish(rejection(tenantId, `INV-${n}`));
    await waitFor(
      '5 deliveries after the outage',
      () => receiver.delivered(hookPath(tenantId)).length >= 5 || undefined,
      {
        timeoutMs: 90_000,
      },
    );
    const requests = receiver.requests(hookPath(tenantId));
    const firstId = webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-1'));
    // Every refused attempt was the first event: the others waited behind it.
    expect(requests.slice(0, 3).map((r) => [r.status, r.headers['webhook-id']])).toEqual([
      [503, firstId],
      [503, firstId],
      [503, firstId],
    ]);
    const payloads = verifiedDeliveries(tenantId);
    expect(payloads.map((p) => p.id)).toEqual(
      [1, 2, 3, 4, 5].map((n) => webhookIdOf(eventIds.invoiceRejected(tenantId, `INV-${n}`))),
    );
    const { events } = await api.listEvents(tenantId);
    expect(events.map((e) => [e.delivery.state, e.delivery.attempts])).toEqual([
      ['delivered', 4],
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
  });

  it('one receiver that hangs does not delay another tenant', async () => {
    const slow = await onboard('slow');
    const fast = await onboard('fast');
    receiver.behave(hookPath(slow), { hold: true });
    for (const n of [1, 2, 3]) await publish(rejection(slow, `INV-${n}`));
    for (const n of [1, 2, 3]) await publish(rejection(fast, `INV-${n}`));
    await waitFor(
      'the fast tenant’s 3 deliveries',
      () => receiver.delivered(hookPath(fast)).length >= 3 || undefined,
      {
        timeoutMs: 60_000,
      },
    );
    // Meanwhile the slow tenant's receiver holds its first event; its others were not sent.
    const slowRequests = receiver.requests(hookPath(slow));
    expect(slowRequests.length).toBeGreaterThanOrEqual(1);
    expect(new Set(slowRequests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([webhookIdOf(eventIds.invoiceRejected(slow, 'INV-1'))]),
    );
    receiver.release(hookPath(slow));
    await waitFor(
      'the slow tenant’s 3 deliveries',
      () => new Set(receiver.delivered(hookPath(slow)).map((p) => p.id)).size >= 3 || undefined,
      {
        timeoutMs: 90_000,
      },
    );
    const ids = verifiedDeliveries(slow).map((p) => p.id);
    // At least once: a held attempt that timed out is sent again, never out of order.
    expect([...new Set(ids)]).toEqual(
      [1, 2, 3].map((n) => webhookIdOf(eventIds.invoiceRejected(slow, `INV-${n}`))),
    );
  });

  it('redelivers an event on request, with the same webhook-id, through the CLI and the API', async () => {
    const tenantId = await onboard('redeliver');
    await publish(rejection(tenantId, 'INV-1'));
    await publish(rejection(tenantId, 'INV-2'));
    await waitFor('2 deliveries', () => receiver.delivered(hookPath(tenantId)).length >= 2 || undefined);
    const id = eventIds.invoiceRejected(tenantId, 'INV-1');
    const cli = await runCliCaptured(['events', 'redeliver', tenantId, id], { env: cliEnv(h) }, [
      secrets.get(tenantId)!,
    ]);
    expect(cli).toMatchObject({ code: 0 });
    expect(cli.stdout).toContain('queued for redelivery');
    await waitFor('the redelivery', () => receiver.delivered(hookPath(tenantId)).length >= 3 || undefined);
    // Asked for by its stored id (the operator's), delivered under its webhook id.
    expect(verifiedDeliveries(tenantId).map((p) => p.id)).toEqual([
      webhookIdOf(id),
      webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-2')),
      webhookIdOf(id),
    ]);

    await expect(api.redeliverEvent(tenantId, 'sync.completed:nope')).rejects.toBeInstanceOf(
      UnknownEventError,
    );
    // Another tenant's event is unknown to this one.
    const other = await onboard('redeliver-other');
    await expect(api.redeliverEvent(other, id)).rejects.toBeInstanceOf(UnknownEventError);
    const unknown = await runCliCaptured(['events', 'redeliver', other, id], { env: cliEnv(h) });
    expect(unknown.code).toBe(2);
    const list = await runCliCaptured(['events', 'list', tenantId], { env: cliEnv(h) }, [
      secrets.get(tenantId)!,
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(webhookIdOf(id));
    expect(list.stdout).toMatch(/delivered\s+2\s/);
    // Asked for by the webhook id SEMINE received, too.
    await expect(api.redeliverEvent(tenantId, webhookIdOf(id))).resolves.toMatchObject({
      eventId: webhookIdOf(id),
      queued: true,
    });
    await waitFor(
      'the second redelivery',
      () => receiver.delivered(hookPath(tenantId)).length >= 4 || undefined,
    );
  });
});

describe('nothing waits for ever', () => {
  it('passes a seq whose recorder died, and the sweep wakes a delivery no one was told about', async () => {
    const tenantId = await onboard('gap');
    // A recorder that took seq 1 and died before inserting its event:
    await h.store.db
      .collection<{ _id: string; seq: number; tenantId: string }>('event_sequences')
      .updateOne({ _id: tenantId }, { $inc: { seq: 1 }, $setOnInsert: { tenantId } }, { upsert: true });
    // Then an event recorded by a process that died before waking the delivery:
    await recordEvent(h.store.db, rejection(tenantId, 'INV-1'));
    expect(await api.listEvents(tenantId)).toMatchObject({ recorded: 2, delivered: 0 });
    const { woken } = await harnessActivities(h, { pageSize: 100 }).wakePendingDeliveries();
    expect(woken).toBeGreaterThanOrEqual(1);
    await waitFor(
      'the delivery past the gap',
      () => receiver.delivered(hookPath(tenantId)).length >= 1 || undefined,
    );
    expect(verifiedDeliveries(tenantId).map((p) => [p.id, p.seq])).toEqual([
      [webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-1')), 2],
    ]);
    await waitFor('the cursor past both seqs', async () => (await api.listEvents(tenantId)).delivered === 2);
  });

  it('an event refused until its deadline is marked failed and passed; redeliver sends it again', async () => {
    const tenantId = await onboard('expired');
    await recordEvent(h.store.db, rejection(tenantId, 'INV-1'));
    const activities = harnessActivities(h, { pageSize: 100 });
    const [next] = (await activities.takeNextEvents({ tenantId, limit: 10 })).events;
    receiver.behave(hookPath(tenantId), { failNext: 2, failStatus: 500 });
    // An attempt within the 3 days is retried (Temporal's retry policy); one after them is final.
    await expect(
      activities.deliverEvent({ tenantId, key: next!.key, deadline: next!.deadline }),
    ).rejects.toMatchObject({
      type: 'WebhookDeliveryFailed',
      nonRetryable: false,
    });
    const past = new Date(Date.now() - 1000).toISOString();
    await expect(activities.deliverEvent({ tenantId, key: next!.key, deadline: past })).rejects.toMatchObject(
      {
        type: 'WebhookDeliveryExpired',
        nonRetryable: true,
      },
    );
    const list = await api.listEvents(tenantId);
    expect(list).toMatchObject({ recorded: 1, delivered: 1 });
    expect(list.events[0]!.delivery).toMatchObject({ state: 'failed', attempts: 2 });
    expect(list.events[0]!.delivery.lastError).toMatch(/answered HTTP 500$/);
    // Not the receiver's path: errors name the origin only.
    expect(list.events[0]!.delivery.lastError).not.toContain('/hooks/');
    await api.redeliverEvent(tenantId, eventIds.invoiceRejected(tenantId, 'INV-1'));
    await waitFor('the redelivery', () => receiver.delivered(hookPath(tenantId)).length >= 1 || undefined);
    await waitFor(
      'the event delivered',
      async () => (await api.listEvents(tenantId)).events[0]!.delivery.state === 'delivered',
    );
  });

  it('refuses a webhook URL the endpoint rules do not allow, naming the field and the tenant', async () => {
    await expect(
      api.upsertTenant({
        tenantId: `bad-hook-${suffix}`,
        xledger: { token: SEED_TOKENS.root },
        entityOwnerDbId: SEED_ENTITIES.owner1,
        webhook: { url: 'http://hooks.semine.example/x', secret: newSecret() },
      }),
    ).rejects.toThrow(`Invalid input for tenant bad-hook-${suffix}: webhook.url: must be https`);
  });
});

describe('what the receiver asks for', () => {
  it('Retry-After (seconds or an HTTP date) sets the next attempt, clamped to the deadline', async () => {
    const tenantId = await onboard('retry-after');
    await recordEvent(h.store.db, rejection(tenantId, 'INV-1'));
    const activities = harnessActivities(h, { pageSize: 100 });
    const [next] = (await activities.takeNextEvents({ tenantId, limit: 10 })).events;
    const attempt = (deadline = next!.deadline) =>
      activities.deliverEvent({ tenantId, key: next!.key, deadline });
    /** The failure an attempt ends with (the attempt must fail). */
    const failure = (deadline?: string) =>
      attempt(deadline).then(
        () => expect.unreachable('the attempt was to fail'),
        (error: { type?: string; nextRetryDelay?: number }) => error,
      );
    receiver.behave(hookPath(tenantId), {
      failNext: 1,
      failStatus: 429,
      failHeaders: { 'retry-after': '120' },
    });
    await expect(attempt()).rejects.toMatchObject({ type: 'WebhookDeliveryFailed', nextRetryDelay: 120_000 });
    const inTenMinutes = new Date(Date.now() + 10 * 60_000 + 30_000).toUTCString();
    receiver.behave(hookPath(tenantId), {
      failNext: 1,
      failStatus: 503,
      failHeaders: { 'retry-after': inTenMinutes },
    });
    const dated = await failure();
    expect(dated.nextRetryDelay).toBeGreaterThan(9 * 60_000);
    expect(dated.nextRetryDelay).toBeLessThanOrEqual(11 * 60_000);
    // Never past the event's deadline; without the header, Temporal's own backoff.
    const soon = new Date(Date.now() + 60 * 60_000).toISOString();
    receiver.behave(hookPath(tenantId), {
      failNext: 1,
      failStatus: 503,
      failHeaders: { 'retry-after': '86400' },
    });
    const clamped = await failure(soon);
    expect(clamped.nextRetryDelay).toBeLessThanOrEqual(60 * 60_000);
    receiver.behave(hookPath(tenantId), { failNext: 1, failStatus: 503 });
    const plain = await failure();
    expect(plain).toMatchObject({ type: 'WebhookDeliveryFailed' });
    expect(plain.nextRetryDelay).toBeUndefined();
    await expect(attempt()).resolves.toEqual({ state: 'delivered' });
  });

  it('410 Gone turns the endpoint off and raises tenant.needs_attention; an upsert turns it back on', async () => {
    const tenantId = await onboard('gone');
    receiver.behave(hookPath(tenantId), { failNext: 1, failStatus: 410 });
    await publish(rejection(tenantId, 'INV-1'));
    await publish(rejection(tenantId, 'INV-2'));
    const listed = await waitFor('the endpoint disabled and every event passed', async () => {
      const list = await api.listEvents(tenantId, { after: 0 });
      const attention = list.events.find((e) => e.type === 'tenant.needs_attention');
      return attention && list.delivered === list.recorded ? list : undefined;
    });
    // One request: the 410. Nothing after it went to the endpoint, and nothing was retried.
    expect(receiver.requests(hookPath(tenantId)).map((r) => r.status)).toEqual([410]);
    // INV-2 may have been recorded before or after the attention event; each is kept, skipped.
    expect(listed.events.map((e) => e.delivery.state)).toEqual(['skipped', 'skipped', 'skipped']);
    const byInvoice = (invoiceId: string) =>
      listed.events.find((e) => (e.data as { invoiceId?: string }).invoiceId === invoiceId)!;
    expect(byInvoice('INV-1').delivery.lastError).toMatch(/answered 410 Gone/);
    expect(byInvoice('INV-2').delivery.lastError).toMatch(/answered 410 Gone/);
    expect(listed.events.find((e) => e.type === 'tenant.needs_attention')!.data).toMatchObject({
      reason: 'webhook_gone',
      dataType: 'webhooks',
    });

    // The tenant upserted again (its webhook fixed): deliveries go again, and the skipped ones
    // can be sent on request.
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      webhook: { url: receiver.url(hookPath(tenantId)), secret: secrets.get(tenantId)! },
    });
    await api.redeliverEvent(tenantId, byInvoice('INV-2').id);
    await publish(rejection(tenantId, 'INV-3'));
    await waitFor(
      'INV-2 and INV-3 delivered',
      () => receiver.delivered(hookPath(tenantId)).length >= 2 || undefined,
    );
    // A redelivery and a new event: either may go first (the redelivery waits between two events).
    const ids = verifiedDeliveries(tenantId).map((p) => p.id);
    expect(ids.sort()).toEqual(
      ['INV-2', 'INV-3'].map((invoice) => webhookIdOf(eventIds.invoiceRejected(tenantId, invoice))).sort(),
    );
  });

  it('410 Gone from the service default endpoint turns it off for the tenant: what announces it is not sent there', async () => {
    const tenantId = `default-gone-${suffix}`;
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    const activities = createActivities({
      ...harnessDeps(h),
      webhooks: {
        ...h.config.webhooks,
        defaultEndpoint: { url: receiver.url('/default-gone'), secret: newSecret() },
      },
    });
    receiver.behave('/default-gone', { failNext: 5, failStatus: 410 });
    await recordEvent(h.store.db, rejection(tenantId, 'INV-1'));
    const [first] = (await activities.takeNextEvents({ tenantId, limit: 10 })).events;
    await expect(
      activities.deliverEvent({ tenantId, key: first!.key, deadline: first!.deadline }),
    ).resolves.toEqual({
      state: 'skipped',
    });
    // The tenant.needs_attention it recorded (seq 2) goes nowhere near the endpoint that refused.
    const attention = await waitFor('the webhook_gone event', async () =>
      (await api.listEvents(tenantId, { after: 0 })).events.find((e) => e.type === 'tenant.needs_attention'),
    );
    expect(attention.data).toMatchObject({ reason: 'webhook_gone' });
    await expect(
      activities.deliverEvent({
        tenantId,
        key: eventKey(tenantId, attention.seq),
        deadline: first!.deadline,
      }),
    ).resolves.toEqual({ state: 'skipped' });
    expect(receiver.requests('/default-gone').map((r) => r.status)).toEqual([410]);
  });
});

describe('events recorded where the outcome is recorded', () => {
  it('a sync announces sync.completed, and the change feed returns exactly what it changed', async () => {
    const tenantId = await onboard('feed');
    const first = await runSync(h, tenantId, 'suppliers', 'full');
    const completed = await waitFor('sync.completed', () =>
      receiver.delivered(hookPath(tenantId)).find((p) => p.type === 'sync.completed'),
    );
    const announced = completed.data as {
      counts: { inserted: number };
      changes: { through: number };
      runId: string;
    };
    expect(announced).toMatchObject({ runId: first.runId, counts: { inserted: first.totals.inserted } });
    const all = await api.changes(tenantId, 'suppliers', { after: 0, limit: 10_000 });
    expect(all.changes).toHaveLength(first.totals.inserted);
    expect(all.next).toBe(announced.changes.through);

    const records = await truth(h, SEED_ENTITIES.owner1, 'suppliers');
    const [renamed, removed] = records;
    await admin(h, 'PATCH', `/admin/records/suppliers/${renamed!.dbId}`, {
      description: 'Renamed for the feed',
    });
    await admin(h, 'DELETE', `/admin/records/suppliers/${removed!.dbId}`);
    const created = await admin<{ dbId: number }>(h, 'POST', '/admin/records/suppliers', {
      ownerDbId: 101,
      code: `S-FEED-${suffix}`,
      description: 'New for the feed',
      fromDate: '2024-01-01',
    });
    const second = await runSync(h, tenantId, 'suppliers', 'incremental');
    const announcements = await waitFor('the second sync.completed', () => {
      const found = receiver.delivered(hookPath(tenantId)).filter((p) => p.type === 'sync.completed');
      return found.length >= 2 ? found : undefined;
    });
    expect((announcements[1]!.data as { runId: string }).runId).toBe(second.runId);
    const page = await api.changes(tenantId, 'suppliers', { after: all.next, limit: 2 });
    const rest = await api.changes(tenantId, 'suppliers', { after: page.next });
    expect(page.hasMore).toBe(true);
    const changed = [...page.changes, ...rest.changes].map((c) => [c.record.dbId, c.deleted]);
    expect(changed).toEqual(
      expect.arrayContaining([
        [renamed!.dbId, false],
        [removed!.dbId, true],
        [created.dbId, false],
      ]),
    );
    expect(changed).toHaveLength(3);
    expect(rest.next).toBe((announcements[1]!.data as { changes: { through: number } }).changes.through);
    // @ts-expect-error no such data type: refused at run time too (plain JS callers)
    await expect(api.changes(tenantId, 'nope', {})).rejects.toThrow(/dataType: unknown data type "nope"/);
  });

  it('a rejected invoice announces invoice.rejected with the reasons', async () => {
    const tenantId = await onboard('invoice');
    await api.submitInvoice(tenantId, demoInvoice('INV-R1', 'NO-SUCH-SUPPLIER'));
    const event = await waitFor(
      'invoice.rejected',
      () => receiver.delivered(hookPath(tenantId)).find((p) => p.type === 'invoice.rejected'),
      { timeoutMs: 60_000 },
    );
    expect(event.id).toBe(webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-R1')));
    expect((event.data as { reasons: string[] }).reasons).toEqual(
      expect.arrayContaining([expect.stringContaining('NO-SUCH-SUPPLIER')]),
    );
  });

  it('every event delivered in this file, real ones included, validates against its published JSON Schema (ajv)', () => {
    // After the tests above: sync.completed and invoice.rejected as the service recorded them
    // (a sync run, a rejected invoice), and the events the tests published, as POSTed.
    // date-time is checked by the schema's own pattern (zod writes both).
    const ajv = new Ajv2020({ strict: true, allErrors: true, formats: { 'date-time': true } });
    const schemas = eventJsonSchemas();
    const validators = new Map(Object.entries(schemas).map(([type, schema]) => [type, ajv.compile(schema)]));
    const bodies = receiver
      .all()
      .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    const problems = bodies.flatMap((body) => {
      const validate = validators.get(body.type);
      if (!validate) return [`${body.type}: no schema`];
      return validate(body as unknown) ? [] : [`${body.type}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(problems).toEqual([]);
    const types = new Set(bodies.map((b) => b.type));
    for (const type of ['sync.completed', 'invoice.rejected']) expect(types).toContain(type);
    // The check can fail: a payload missing a field, or with one of the wrong type, does not validate.
    const posted = validators.get('sync.completed')!;
    const real = bodies.find((b) => b.type === 'sync.completed')!;
    expect(posted({ ...real, data: { ...real.data, counts: undefined } })).toBe(false);
    expect(posted({ ...real, data: { ...real.data, mode: 'partial' } })).toBe(false);
  });
});
