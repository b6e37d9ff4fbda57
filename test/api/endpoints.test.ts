/**
 * Every endpoint of the HTTP API over HTTP, through the generated slim client (clients/http),
 * against the real server on the run's Temporal, MongoDB and the simulator, with a worker: what
 * each answers, bad input (400 naming the field, nothing written), an unknown tenant (404), the
 * problem details of every error, health, metrics and the served document.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../src/api/main';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { waitFor } from '../tenants/support';
import { apiServerConfig, clientWithKey, startTestApi, type HttpClient } from './support';

const TENANT = 'http-north';
let h: Harness;
let api: RunningApi;
let admin: HttpClient;
let adminKey: string;
const tenant = { path: { tenantId: TENANT } };

beforeAll(async () => {
  h = await startHarness({ seed: 11, suppliers: 40 });
  await h.startWorker();
  api = await startTestApi(h);
  ({ client: admin, key: adminKey } = await clientWithKey(h, api, 'admin'));
});
afterAll(async () => {
  await admin?.DELETE('/v1/tenants/{tenantId}', {
    params: { ...tenant, query: { purge: 'true', force: 'true' } },
  });
  await api?.close();
  await h?.close();
});

const problemType = (response: Response) => response.headers.get('content-type');

describe('tenants', () => {
  it('refuses bad input naming the field, and writes nothing', async () => {
    const bad = await admin.PUT('/v1/tenants/{tenantId}', {
      params: tenant,
      body: { xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: -3 },
    });
    expect(bad.response.status).toBe(400);
    expect(problemType(bad.response)).toMatch(/^application\/problem\+json/);
    expect(bad.error).toMatchObject({
      status: 400,
      tenantId: TENANT,
      errors: [expect.objectContaining({ field: 'entityOwnerDbId' })],
    });
    // A misspelt field is named, not ignored.
    const misspelt = await admin.PUT('/v1/tenants/{tenantId}', {
      params: tenant,
      body: { xledger: { token: SEED_TOKENS.root, endpiont: 'https://x' }, entityOwnerDbId: 101 } as never,
    });
    expect(misspelt.error?.errors).toEqual([expect.objectContaining({ field: 'xledger.endpiont' })]);
    const badId = await admin.GET('/v1/tenants/{tenantId}', {
      params: { path: { tenantId: 'Not A Tenant' } },
    });
    expect(badId.response.status).toBe(400);
    expect(badId.error?.errors?.[0]?.field).toBe('tenantId');
    expect(JSON.stringify([bad.error, misspelt.error])).not.toContain(SEED_TOKENS.root);
    // Nothing was written.
    const missing = await admin.GET('/v1/tenants/{tenantId}', { params: tenant });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({
      status: 404,
      title: 'Unknown tenant',
      instance: `/v1/tenants/${TENANT}`,
    });
    expect(missing.error?.type).toBe('urn:xledger-sync:problem:unknown-tenant');
  });

  it('onboards a tenant (the token write-only), lists it by state, reports its status', async () => {
    const saved = await admin.PUT('/v1/tenants/{tenantId}', {
      params: tenant,
      body: { xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: SEED_ENTITIES.owner1 },
    });
    expect(saved.error).toBeUndefined();
    expect(saved.data).toMatchObject({ tenantId: TENANT, entityOwnerDbId: SEED_ENTITIES.owner1 });
    expect(saved.data?.firstSync?.dataTypes).toContain('suppliers');
    expect(JSON.stringify(saved.data)).not.toContain(SEED_TOKENS.root);

    const listed = await admin.GET('/v1/tenants');
    expect(listed.data?.tenants.map((t) => t.tenantId)).toContain(TENANT);
    expect(JSON.stringify(listed.data)).not.toContain(SEED_TOKENS.root);
    const paused = await admin.GET('/v1/tenants', { params: { query: { state: 'paused' } } });
    expect(paused.data?.tenants.map((t) => t.tenantId)).not.toContain(TENANT);
    const badState = await admin.GET('/v1/tenants', { params: { query: { state: 'sleepy' } } });
    expect(badState.response.status).toBe(400);

    const status = await admin.GET('/v1/tenants/{tenantId}', { params: tenant });
    expect(status.data?.tenant.tenantId).toBe(TENANT);
    expect(status.data?.dataTypes.map((d) => d.dataType)).toEqual(
      expect.arrayContaining(['suppliers', 'accounts', 'invoices']),
    );
  });

  it('checks the stored tenant against Xledger', async () => {
    const checked = await admin.POST('/v1/tenants/{tenantId}/check', { params: tenant });
    expect(checked.data).toMatchObject({ tenantId: TENANT, ok: true, problems: [] });
  });

  it('pauses and resumes', async () => {
    expect((await admin.POST('/v1/tenants/{tenantId}/pause', { params: tenant })).response.status).toBe(204);
    expect((await admin.GET('/v1/tenants/{tenantId}', { params: tenant })).data?.paused).toBe(true);
    expect((await admin.POST('/v1/tenants/{tenantId}/resume', { params: tenant })).response.status).toBe(204);
    expect((await admin.GET('/v1/tenants/{tenantId}', { params: tenant })).data?.paused).toBe(false);
  });

  it('answers 404 for an unknown tenant on every tenant route', async () => {
    const nobody = { path: { tenantId: 'http-nobody' } };
    const answers = await Promise.all([
      admin.GET('/v1/tenants/{tenantId}', { params: nobody }),
      admin.POST('/v1/tenants/{tenantId}/pause', { params: nobody }),
      admin.POST('/v1/tenants/{tenantId}/resyncs', { params: nobody, body: { waitForRunsMs: 0 } }),
      admin.GET('/v1/tenants/{tenantId}/changes/{dataType}', {
        params: { path: { ...nobody.path, dataType: 'suppliers' } },
      }),
      admin.GET('/v1/tenants/{tenantId}/events', { params: nobody }),
      admin.GET('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
        params: { path: { ...nobody.path, invoiceId: 'INV-1' } },
      }),
      admin.DELETE('/v1/tenants/{tenantId}', { params: nobody }),
    ]);
    expect(answers.map((a) => a.response.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
  });
});

describe('resyncs, the change feed and events', () => {
  it('a resync hands back a ticket whose progress ends completed, and the feed then holds the records', async () => {
    const ticket = await admin.POST('/v1/tenants/{tenantId}/resyncs', {
      params: tenant,
      body: { dataTypes: ['suppliers'], full: true },
    });
    expect(ticket.response.status).toBe(202);
    const requestId = ticket.data!.requestId;
    expect(ticket.data?.dataTypes).toEqual(['suppliers']);
    const done = await waitFor(
      'the resync to finish',
      async () => {
        const progress = await admin.GET('/v1/tenants/{tenantId}/resyncs/{requestId}', {
          params: { path: { tenantId: TENANT, requestId } },
        });
        return progress.data?.done ? progress.data : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(done.failed).toBe(false);
    const unknownResync = await admin.GET('/v1/tenants/{tenantId}/resyncs/{requestId}', {
      params: { path: { tenantId: TENANT, requestId: 'no-such-resync' } },
    });
    expect(unknownResync.error).toMatchObject({ status: 404, title: 'Unknown resync' });
    expect(done.dataTypes[0]).toMatchObject({ dataType: 'suppliers', state: 'completed' });

    const page = await admin.GET('/v1/tenants/{tenantId}/changes/{dataType}', {
      params: { path: { tenantId: TENANT, dataType: 'suppliers' }, query: { after: 0, limit: 10 } },
    });
    expect(page.data?.changes.length).toBe(10);
    expect(page.data?.hasMore).toBe(true);
    const next = await admin.GET('/v1/tenants/{tenantId}/changes/{dataType}', {
      params: {
        path: { tenantId: TENANT, dataType: 'suppliers' },
        query: { after: page.data!.next, limit: 10 },
      },
    });
    expect(next.data!.changes[0]!.changeSeq).toBeGreaterThan(page.data!.next);
    const unknownType = await admin.GET('/v1/tenants/{tenantId}/changes/{dataType}', {
      params: { path: { tenantId: TENANT, dataType: 'planets' as never } },
    });
    expect(unknownType.response.status).toBe(400);
    expect(unknownType.error?.errors?.[0]?.field).toBe('dataType');
  });

  it('lists the events and redelivers one', async () => {
    const listed = await waitFor('a sync.completed event', async () => {
      const list = await admin.GET('/v1/tenants/{tenantId}/events', {
        params: { ...tenant, query: { limit: 50 } },
      });
      const done = list.data?.events.find((e) => e.type === 'sync.completed');
      return done && done.delivery.state !== 'pending' ? list.data : undefined;
    });
    const event = listed.events.find((e) => e.type === 'sync.completed')!;
    expect(event.id).toMatch(/^evt_/);
    // Skipping: only an event waiting for delivery (this tenant has no webhook URL: its events are
    // passed over at once, not waiting); unknown ids are 404, bad input names the field.
    const notWaiting = await admin.POST('/v1/tenants/{tenantId}/events/{eventId}/skip', {
      params: { path: { tenantId: TENANT, eventId: event.id } },
      body: { reason: 'not waiting' },
    });
    expect(notWaiting.response.status).toBe(400);
    expect(notWaiting.error?.errors?.[0]?.field).toBe('eventId');
    const unknownSkip = await admin.POST('/v1/tenants/{tenantId}/events/{eventId}/skip', {
      params: { path: { tenantId: TENANT, eventId: 'evt_nothing' } },
      body: {},
    });
    expect(unknownSkip.response.status).toBe(404);
    const badSkip = await admin.POST('/v1/tenants/{tenantId}/events/{eventId}/skip', {
      params: { path: { tenantId: TENANT, eventId: event.id } },
      body: { reason: '' },
    });
    expect(badSkip.error?.errors?.[0]?.field).toBe('reason');
    const again = await admin.POST('/v1/tenants/{tenantId}/events/{eventId}/redeliver', {
      params: { path: { tenantId: TENANT, eventId: event.id } },
    });
    expect(again.response.status).toBe(202);
    expect(again.data).toMatchObject({ tenantId: TENANT, eventId: event.id, seq: event.seq });
    const unknown = await admin.POST('/v1/tenants/{tenantId}/events/{eventId}/redeliver', {
      params: { path: { tenantId: TENANT, eventId: 'evt_nothing' } },
    });
    expect(unknown.response.status).toBe(404);
    const badLimit = await admin.GET('/v1/tenants/{tenantId}/events', {
      params: { ...tenant, query: { limit: 0 } },
    });
    expect(badLimit.error?.errors?.[0]?.field).toBe('limit');
  });
});

describe('invoices and the Xledger check', () => {
  it('submits an invoice idempotently by id, refuses other content under it, and reports its status', async () => {
    const invoice = demoInvoice('HTTP-1', 'S-1');
    const path = { path: { tenantId: TENANT, invoiceId: 'HTTP-1' } };
    const first = await admin.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: path,
      body: invoice,
    });
    expect(first.data).toMatchObject({ tenantId: TENANT, invoiceId: 'HTTP-1' });
    const again = await admin.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: path,
      body: invoice,
    });
    expect(again.data?.submittedAt).toBe(first.data?.submittedAt);
    const conflict = await admin.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: path,
      body: { ...invoice, invoiceNumber: 'OTHER' },
    });
    expect(conflict.response.status).toBe(409);
    const status = await admin.GET('/v1/tenants/{tenantId}/invoices/{invoiceId}', { params: path });
    expect(status.data?.invoiceId).toBe('HTTP-1');
    const unknown = await admin.GET('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: { path: { tenantId: TENANT, invoiceId: 'HTTP-404' } },
    });
    expect(unknown.response.status).toBe(404);

    const mismatch = await admin.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: { path: { tenantId: TENANT, invoiceId: 'HTTP-2' } },
      body: invoice,
    });
    expect(mismatch.error?.errors).toEqual([expect.objectContaining({ field: 'invoiceId' })]);
    const unbalanced = await admin.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: { path: { tenantId: TENANT, invoiceId: 'HTTP-3' } },
      body: demoInvoice('HTTP-3', 'S-1', { totalAmount: '1.00' }),
    });
    expect(unbalanced.error?.errors).toEqual([expect.objectContaining({ field: 'totalAmount' })]);
    const never = await admin.GET('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
      params: { path: { tenantId: TENANT, invoiceId: 'HTTP-3' } },
    });
    expect(never.response.status).toBe(404);
  });

  it('checks an endpoint and token before onboarding', async () => {
    const checked = await admin.POST('/v1/xledger/check', {
      body: { endpoint: h.sim.graphqlUrl, token: SEED_TOKENS.owner1, ownerDbId: SEED_ENTITIES.owner1 },
    });
    expect(checked.data).toMatchObject({ ok: true, problems: [] });
    const bad = await admin.POST('/v1/xledger/check', {
      body: { endpoint: 'not a url', token: SEED_TOKENS.owner1 },
    });
    expect(bad.error?.errors?.map((e) => e.field)).toEqual(['endpoint']);
  });
});

describe('the server', () => {
  it('refuses a request without a key, or with an unknown one, as a problem (401)', async () => {
    const none = await fetch(`${api.url}/v1/tenants`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    const forged = adminKey.slice(0, -4) + 'AAAA';
    const wrong = await fetch(`${api.url}/v1/tenants`, { headers: { authorization: `Bearer ${forged}` } });
    expect(wrong.status).toBe(401);
  });

  it('serves health, readiness, metrics and the generated document without a key', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, checks: { temporal: 'ok', mongodb: 'ok' } });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(
      /xledger_sync_api_requests_total\{method="PUT",route="\/v1\/tenants\/:tenantId",status="200"\} \d+/,
    );
    // The API's own series name routes, never a tenant (the worker in this process adds its own).
    const apiSeries = metrics.split('\n').filter((line) => line.startsWith('xledger_sync_api_'));
    expect(apiSeries.length).toBeGreaterThan(0);
    expect(apiSeries.filter((line) => line.includes(TENANT))).toEqual([]);
    const served = (await (await fetch(`${api.url}/openapi.json`)).json()) as unknown;
    const committed = JSON.parse(
      readFileSync(new URL('../../clients/http/openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(served).toEqual(committed);
  });

  it('answers an unknown route and a body that is not JSON as problems, echoing no body', async () => {
    const unknown = await fetch(`${api.url}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(problemType(unknown)).toMatch(/^application\/problem\+json/);
    const broken = await fetch(`${api.url}/v1/xledger/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: `{"token": "${SEED_TOKENS.root}"`,
    });
    expect(broken.status).toBe(400);
    expect(await broken.text()).not.toContain(SEED_TOKENS.root);
  });
});

describe('with push configured', () => {
  it("mounts Xledger's webhook receiver: no key asked, its own bare answers, not the API's problems", async () => {
    const pushed = await startApi({
      ...apiServerConfig(h),
      push: { ...h.config.push, publicBaseUrl: 'https://sync.example' },
    });
    try {
      const delivery = () =>
        fetch(`${pushed.url}/xledger/webhooks/nobody`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', date: new Date().toUTCString() },
          body: '{"data":{}}',
        });
      const answer = await delivery();
      // The receiver's 404 (an unknown tenant) has no body; the API's own would be a problem (401 first).
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type') ?? '').not.toContain('problem');
      expect(await answer.text()).toBe('');
    } finally {
      await pushed.close();
    }
    // Without push configured, the path is not served: the API's problem answer.
    const plain = await fetch(`${api.url}/xledger/webhooks/nobody`, { method: 'POST', body: '{}' });
    expect(plain.headers.get('content-type') ?? '').toContain('problem');
  });
});
