/**
 * Keys and scopes over HTTP with the generated client: every mutation refused to a read key,
 * creating and removing tenants refused to a write key, a key limited to one tenant refused
 * (403) everywhere on another and shown only its own in the list, refusals writing nothing;
 * the per-key rate limit; `keys create|list|revoke` from the CLI (shown once, listed without the
 * secret, revoked → 401); and `xledger-sync api` as a process logging each request with its
 * request id and key id, never the key.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../../src/api/main';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { createXledgerSyncClient } from '../../clients/http/index.js';
import { spawnChild, type ChildWorker } from '../support/child-worker';
import { runCliCaptured } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { cliEnv, waitFor } from '../tenants/support';
import { clientWithKey, startTestApi, type HttpClient } from './support';

const NORTH = 'scope-north';
const SOUTH = 'scope-south';
let h: Harness;
let api: RunningApi;
let admin: HttpClient;
let read: HttpClient;
let write: HttpClient;
let northOnly: HttpClient;
const children: ChildWorker[] = [];

const at = (tenantId: string) => ({ path: { tenantId } });
const onboard = (tenantId: string) => ({
  params: { ...at(tenantId), query: { firstSync: 'false' as const } },
  body: { xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: SEED_ENTITIES.owner1 },
});

beforeAll(async () => {
  h = await startHarness({ seed: 12, suppliers: 10 });
  // Status queries the tenant workflow: a worker answers it (without one the query waits out its deadline).
  await h.startWorker();
  api = await startTestApi(h);
  admin = (await clientWithKey(h, api, 'admin')).client;
  read = (await clientWithKey(h, api, 'read')).client;
  write = (await clientWithKey(h, api, 'write')).client;
  northOnly = (await clientWithKey(h, api, 'write', [NORTH])).client;
  for (const tenantId of [NORTH, SOUTH]) {
    expect((await admin.PUT('/v1/tenants/{tenantId}', onboard(tenantId))).response.status).toBe(200);
  }
});
afterAll(async () => {
  for (const child of children) await child.kill('SIGKILL');
  for (const tenantId of [NORTH, SOUTH, 'scope-new']) {
    await admin?.DELETE('/v1/tenants/{tenantId}', {
      params: { ...at(tenantId), query: { purge: 'true', force: 'true' } },
    });
  }
  await api?.close();
  await h?.close();
});

/** Every mutation of the API on a tenant, as a client would send it. */
function mutations(client: HttpClient, tenantId: string) {
  const invoice = demoInvoice('SCOPE-1', 'S-1');
  return {
    upsert: () => client.PUT('/v1/tenants/{tenantId}', onboard(tenantId)),
    check: () => client.POST('/v1/tenants/{tenantId}/check', { params: at(tenantId) }),
    pause: () => client.POST('/v1/tenants/{tenantId}/pause', { params: at(tenantId) }),
    resume: () => client.POST('/v1/tenants/{tenantId}/resume', { params: at(tenantId) }),
    resync: () =>
      client.POST('/v1/tenants/{tenantId}/resyncs', { params: at(tenantId), body: { waitForRunsMs: 0 } }),
    redeliver: () =>
      client.POST('/v1/tenants/{tenantId}/events/{eventId}/redeliver', {
        params: { path: { tenantId, eventId: 'evt_x' } },
      }),
    skip: () =>
      client.POST('/v1/tenants/{tenantId}/events/{eventId}/skip', {
        params: { path: { tenantId, eventId: 'evt_x' } },
        body: { reason: 'scope test' },
      }),
    invoice: () =>
      client.PUT('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
        params: { path: { tenantId, invoiceId: 'SCOPE-1' } },
        body: invoice,
      }),
    remove: () => client.DELETE('/v1/tenants/{tenantId}', { params: at(tenantId) }),
  };
}

async function statuses(calls: Record<string, () => Promise<{ response: Response }>>) {
  const entries = await Promise.all(
    Object.entries(calls).map(async ([name, call]) => [name, (await call()).response.status] as const),
  );
  return Object.fromEntries(entries);
}

describe('scopes', () => {
  it('a read key reads, and every mutation is refused (403) with nothing written', async () => {
    expect((await read.GET('/v1/tenants/{tenantId}', { params: at(NORTH) })).response.status).toBe(200);
    expect((await read.GET('/v1/tenants/{tenantId}/events', { params: at(NORTH) })).response.status).toBe(
      200,
    );
    const refused = await statuses({
      ...mutations(read, NORTH),
      xledgerCheck: () =>
        read.POST('/v1/xledger/check', { body: { endpoint: h.sim.graphqlUrl, token: SEED_TOKENS.root } }),
    });
    expect(
      Object.values(refused).every((status) => status === 403),
      JSON.stringify(refused),
    ).toBe(true);
    const problem = await read.POST('/v1/tenants/{tenantId}/pause', { params: at(NORTH) });
    expect(problem.error).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(problem.error?.detail).toMatch(/scope write/);
    // Nothing was written: not paused, no invoice, still there.
    const status = await admin.GET('/v1/tenants/{tenantId}', { params: at(NORTH) });
    expect(status.data?.paused).toBe(false);
    expect(status.data?.invoices).toMatchObject({ pending: 0 });
  });

  it('a write key changes tenants, but creating and removing one needs admin', async () => {
    expect((await write.POST('/v1/tenants/{tenantId}/pause', { params: at(SOUTH) })).response.status).toBe(
      204,
    );
    expect((await write.POST('/v1/tenants/{tenantId}/resume', { params: at(SOUTH) })).response.status).toBe(
      204,
    );
    expect((await write.PUT('/v1/tenants/{tenantId}', onboard(SOUTH))).response.status).toBe(200);
    const created = await write.PUT('/v1/tenants/{tenantId}', onboard('scope-new'));
    expect(created.response.status).toBe(403);
    expect(created.error?.detail).toMatch(/scope admin/);
    expect((await admin.GET('/v1/tenants/{tenantId}', { params: at('scope-new') })).response.status).toBe(
      404,
    );
    expect((await write.DELETE('/v1/tenants/{tenantId}', { params: at(SOUTH) })).response.status).toBe(403);
    expect((await admin.GET('/v1/tenants/{tenantId}', { params: at(SOUTH) })).response.status).toBe(200);
  });

  it('a key for one tenant sees only it, and is refused (403) on another on every route', async () => {
    const listed = await northOnly.GET('/v1/tenants');
    expect(listed.data?.tenants.map((t) => t.tenantId)).toEqual([NORTH]);
    expect((await northOnly.GET('/v1/tenants/{tenantId}', { params: at(NORTH) })).response.status).toBe(200);
    const reads = {
      status: () => northOnly.GET('/v1/tenants/{tenantId}', { params: at(SOUTH) }),
      events: () => northOnly.GET('/v1/tenants/{tenantId}/events', { params: at(SOUTH) }),
      changes: () =>
        northOnly.GET('/v1/tenants/{tenantId}/changes/{dataType}', {
          params: { path: { tenantId: SOUTH, dataType: 'suppliers' } },
        }),
      invoice: () =>
        northOnly.GET('/v1/tenants/{tenantId}/invoices/{invoiceId}', {
          params: { path: { tenantId: SOUTH, invoiceId: 'X' } },
        }),
      progress: () =>
        northOnly.GET('/v1/tenants/{tenantId}/resyncs/{requestId}', {
          params: { path: { tenantId: SOUTH, requestId: 'x' } },
        }),
    };
    const refused = await statuses({ ...reads, ...mutations(northOnly, SOUTH) });
    expect(
      Object.values(refused).every((status) => status === 403),
      JSON.stringify(refused),
    ).toBe(true);
    const problem = await northOnly.GET('/v1/tenants/{tenantId}', { params: at(SOUTH) });
    expect(problem.error?.detail).toMatch(new RegExp(`may not touch tenant ${SOUTH}`));
    expect((await admin.GET('/v1/tenants/{tenantId}', { params: at(SOUTH) })).data?.paused).toBe(false);
  });
});

describe('the rate limit', () => {
  it('refuses a key past its requests a minute (429, Retry-After), and not another key', async () => {
    const limited = await startTestApi(h, { rateLimitPerMinute: 3 });
    try {
      const first = await clientWithKey(h, limited, 'read');
      const other = await clientWithKey(h, limited, 'read');
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await first.client.GET('/v1/tenants'));
      expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200, 429]);
      expect(answers[3]!.response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answers[3]!.error).toMatchObject({ status: 429, title: 'Too many requests' });
      expect((await other.client.GET('/v1/tenants')).response.status).toBe(200);
      // Health is not a key's request: never limited.
      for (let i = 0; i < 5; i++) expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('keys from the CLI, and the API as a process', () => {
  it('creates a key shown once, lists it without the secret, and a revoked key is refused (401)', async () => {
    const env = { env: cliEnv(h) };
    const created = await runCliCaptured(
      ['keys', 'create', '--scopes', 'read', '--tenant', NORTH, '--name', 'semine', '--json'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
    expect(key).toMatch(new RegExp(`^xs_${id}_`));
    const client = createXledgerSyncClient({ baseUrl: api.url, apiKey: key });
    expect((await client.GET('/v1/tenants')).data?.tenants.map((t) => t.tenantId)).toEqual([NORTH]);

    const listed = await runCliCaptured(['keys', 'list'], env, [key]);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+read\\s+tenants ${NORTH}\\s+semine`));
    const secret = key.split('_').slice(2).join('_');
    expect(listed.stdout).not.toContain(secret);
    expect(await h.store.db.collection('api_keys').findOne({ _id: id as never })).not.toHaveProperty('key');

    expect((await runCliCaptured(['keys', 'revoke', id], env, [key])).code).toBe(0);
    expect((await client.GET('/v1/tenants')).response.status).toBe(401);
    expect((await runCliCaptured(['keys', 'revoke', 'nope'], env)).code).toBe(2);
    const bad = await runCliCaptured(['keys', 'create', '--scopes', 'owner'], env);
    expect(bad.code).toBe(2);
    const help = await runCliCaptured(['keys', 'create', '--help'], env);
    expect(help.stdout).toContain('HTTP API key');
  });

  it('`xledger-sync api` serves, logs each request with its request id and key id (never the key), and traces it', async () => {
    const { key, keyId } = await clientWithKey(h, api, 'read');
    const spans: Array<{ name: string; traceId: string; attributes: Array<{ key: string }> }> = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        // OTLP/HTTP JSON: resourceSpans → scopeSpans → spans.
        const payload = JSON.parse(body) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: typeof spans }> }>;
        };
        spans.push(...payload.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const child = spawnChild(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'api'], {
      PATH: process.env.PATH ?? '',
      ...cliEnv(h),
      API_PORT: '0',
      API_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as { port: number }).port}`,
    });
    children.push(child);
    const url = await waitFor(
      'the API to listen',
      () => /HTTP API listening on (http:\/\/\S+) /.exec(child.output())?.[1],
      {
        timeoutMs: 60_000,
      },
    );
    const client = createXledgerSyncClient({
      baseUrl: url,
      apiKey: key,
      headers: { 'x-request-id': 'req-scope-1' },
    });
    expect((await client.GET('/v1/tenants/{tenantId}', { params: at(NORTH) })).response.status).toBe(200);
    const line = await waitFor('the request logged', () =>
      child
        .output()
        .split('\n')
        .find((l) => l.includes('"reqId":"req-scope-1"') && l.includes('request completed')),
    );
    const logged = JSON.parse(line) as { trace_id?: string };
    expect(logged).toMatchObject({ reqId: 'req-scope-1', keyId, res: { statusCode: 200 } });
    expect(await child.kill('SIGTERM')).toBe(0); // flushes the spans
    collector.close();
    expect(child.output()).not.toContain(key.split('_').slice(2).join('_'));
    const span = spans.find((s) => s.name === 'GET /v1/tenants/:tenantId');
    expect(span, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(span!.attributes.map((a) => a.key)).toEqual(expect.arrayContaining(['xledger_sync.key_id']));
    expect(logged.trace_id).toBe(span!.traceId);
    expect(JSON.stringify(spans)).not.toContain(key);
  });
});
