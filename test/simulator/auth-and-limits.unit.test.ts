import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LIMIT_CODES,
  SCOPES,
  SEED_ENTITIES,
  SEED_TOKENS,
  startSimulator,
  type RunningSimulator,
} from '../../src/simulator/index';
import { admin, gql, sleep } from './helpers';

let sim: RunningSimulator;
const SUPPLIERS = '{ suppliers(first: 5) { edges { node { dbId code } } } }';

async function makeToken(
  name: string,
  scopes: readonly string[] = SCOPES,
  entityDbId: number = SEED_ENTITIES.owner1,
) {
  const created = await admin<{ token: string }>(sim, 'POST', '/admin/tokens', { name, entityDbId, scopes });
  expect(created.status).toBe(201);
  return created.body.token;
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, suppliers: 300 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await admin(sim, 'PUT', '/admin/limits', {
    burst: false,
    concurrency: false,
    creditsPerWindow: null,
    creditWindowMs: 3_600_000,
    creditCost: 1,
    creditsRefusal: 'http200',
    burstMax: 20,
    burstWindowMs: 5000,
  });
  await admin(sim, 'DELETE', '/admin/faults');
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'token not-a-real-token'],
    ['the Bearer scheme', `Bearer ${SEED_TOKENS.owner1}`],
    ['a bare token without scheme', SEED_TOKENS.owner1],
  ])(
    'answers %s as the real API refuses a token: HTTP 200, its message, no code',
    async (_label, authorization) => {
      const result = await gql(sim, null, SUPPLIERS, undefined, authorization ?? '');
      // grasp-labs' tests: the message exactly, and nothing else in the entry; the status is
      // unpublished (200, the GraphQL norm).
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        errors: [
          { message: 'Bad format for API Token. Expected header: "Authorization: token <your-token>"' },
        ],
      });
    },
  );

  it('accepts "token <TOKEN>"', async () => {
    const result = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
    expect(result.status).toBe(200);
    expect(result.body.data?.suppliers.edges).toHaveLength(5);
  });

  it('names the missing scope and field, with data null for it', async () => {
    const result = await gql(sim, SEED_TOKENS.owner1NoSupplierRead, SUPPLIERS);
    expect(result.status).toBe(200);
    expect(result.body.data).toBeNull();
    expect(result.body.errors).toEqual([
      expect.objectContaining({
        message: 'Missing scope SUPPLIER_READ for field suppliers',
        code: 'FORBIDDEN',
        path: ['suppliers'],
        extensions: { code: 'FORBIDDEN', scope: 'SUPPLIER_READ' },
      }),
    ]);
    const accounts = await gql(
      sim,
      SEED_TOKENS.owner1NoSupplierRead,
      '{ accounts(first: 1) { edges { cursor } } }',
    );
    expect(accounts.body.errors).toBeUndefined();
  });

  it('requires GL_IMPORT_WRITE for addGLImportItems', async () => {
    const result = await gql(
      sim,
      SEED_TOKENS.owner1ReadOnly,
      'mutation { addGLImportItems(inputs: [{ clientId: "1", node: { amount: "1.00" } }]) { edges { clientId } } }',
    );
    expect(result.body.errors?.[0]).toMatchObject({
      code: 'FORBIDDEN',
      extensions: { scope: 'GL_IMPORT_WRITE' },
    });
  });

  it('a deleted token stops working', async () => {
    const token = await makeToken('short-lived');
    expect((await gql(sim, token, SUPPLIERS)).status).toBe(200);
    expect((await admin(sim, 'DELETE', '/admin/tokens/short-lived')).status).toBe(200);
    const refused = await gql(sim, token, SUPPLIERS);
    expect(refused.body.errors?.[0]?.message).toMatch(/^Bad format for API Token/);
    expect(refused.body.data).toBeUndefined();
  });

  it('validates admin token bodies, naming the field', async () => {
    const bad = await admin(sim, 'POST', '/admin/tokens', {
      name: 'x',
      entityDbId: 101,
      scopes: ['SUPPLIER_WRITE'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('scopes.0');
  });
});

describe('limits', () => {
  it('burst: the 21st request within 5 s is refused; other tokens are not affected', async () => {
    const token = await makeToken('burst-a');
    await admin(sim, 'PUT', '/admin/limits', { burst: true });
    for (let i = 0; i < 20; i++) expect((await gql(sim, token, SUPPLIERS)).body.errors).toBeUndefined();
    const refused = await gql(sim, token, SUPPLIERS);
    expect(refused.status).toBe(200);
    expect(refused.body.errors?.[0]).toMatchObject({
      code: LIMIT_CODES.burst,
      extensions: { code: 'BAD_REQUEST.BURST_RATE_LIMIT_REACHED' },
    });
    expect((await gql(sim, SEED_TOKENS.owner2, SUPPLIERS)).body.errors).toBeUndefined();
  });

  it('burst: requests pass again once the window has moved on', async () => {
    const token = await makeToken('burst-b');
    await admin(sim, 'PUT', '/admin/limits', { burst: true, burstMax: 3, burstWindowMs: 300 });
    for (let i = 0; i < 3; i++) expect((await gql(sim, token, SUPPLIERS)).body.errors).toBeUndefined();
    expect((await gql(sim, token, SUPPLIERS)).body.errors?.[0]?.code).toBe(LIMIT_CODES.burst);
    await sleep(350);
    expect((await gql(sim, token, SUPPLIERS)).body.errors).toBeUndefined();
  });

  it('concurrency: more than 4 requests in flight for one token are refused', async () => {
    const token = await makeToken('parallel');
    await admin(sim, 'PUT', '/admin/limits', { concurrency: true });
    await admin(sim, 'POST', '/admin/faults', { kind: 'slow', delayMs: 500, count: 10, token: 'parallel' });
    const results = await Promise.all(Array.from({ length: 7 }, () => gql(sim, token, SUPPLIERS)));
    const codes = results.map((result) => result.body.errors?.[0]?.code ?? 'ok');
    expect(codes.filter((code) => code === 'ok')).toHaveLength(4);
    expect(codes.filter((code) => code === LIMIT_CODES.concurrency)).toHaveLength(3);
    expect((await gql(sim, token, SUPPLIERS)).body.errors).toBeUndefined();
  });

  it('credits: an hourly pool shared by the installation; spent, every request is refused until the window ends, then it fills again', async () => {
    await admin(sim, 'PUT', '/admin/limits', { creditsPerWindow: 6, creditCost: 2, creditWindowMs: 1_500 });
    const started = Date.now();
    for (let i = 0; i < 3; i++)
      expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).body.errors).toBeUndefined();
    const refused = await gql(sim, SEED_TOKENS.owner2, SUPPLIERS);
    expect(refused.status).toBe(200);
    expect(refused.body.errors?.[0]).toMatchObject({
      code: LIMIT_CODES.credits,
      message: 'Insufficient credits.',
    });
    const { resetAt, retryAfter } = refused.body.errors![0]!.extensions as unknown as {
      resetAt: string;
      retryAfter: number;
    };
    expect(Date.parse(resetAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(resetAt)).toBeLessThanOrEqual(started + 1_500 + 50);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBe(String(retryAfter));
    expect((await admin(sim, 'GET', '/admin/limits')).body).toMatchObject({
      creditsPerWindow: 6,
      creditsUsed: 6,
    });
    await sleep(Date.parse(resetAt) - Date.now() + 20);
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).body.errors).toBeUndefined();
  });

  it('credits: the 429 variant answers HTTP 429 with Retry-After and the same error', async () => {
    await admin(sim, 'PUT', '/admin/limits', { creditsPerWindow: 1, creditsRefusal: 'http429' });
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).body.errors).toBeUndefined();
    const refused = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.code).toBe(LIMIT_CODES.credits);
    expect(Number(refused.retryAfter)).toBeGreaterThan(3_000); // about an hour
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(3_600);
  });

  it("rateLimit { remaining cost }: the request's cost and the pool left after it", async () => {
    const query = '{ rateLimit { remaining cost } suppliers(first: 1) { edges { node { dbId } } } }';
    expect((await gql(sim, SEED_TOKENS.owner1, query)).body.data?.rateLimit).toEqual({
      remaining: null,
      cost: 1,
    });
    await admin(sim, 'PUT', '/admin/limits', { creditsPerWindow: 10, creditCost: 3 });
    expect((await gql(sim, SEED_TOKENS.owner1, query)).body.data?.rateLimit).toEqual({
      remaining: 7,
      cost: 3,
    });
    expect((await gql(sim, SEED_TOKENS.owner1, query)).body.data?.rateLimit).toEqual({
      remaining: 4,
      cost: 3,
    });
  });
});

describe('counters', () => {
  it('counts requests and bytes in and out per token and per root field, refused ones included', async () => {
    const token = await makeToken('counted');
    const sent: number[] = [];
    const received: number[] = [];
    for (const query of [SUPPLIERS, SUPPLIERS, '{ accounts(first: 3) { edges { node { code } } } }']) {
      const result = await gql(sim, token, query);
      sent.push(result.sentBytes);
      received.push(result.bytes);
    }
    await admin(sim, 'PUT', '/admin/limits', { creditsPerWindow: 0 });
    const refused = await gql(sim, token, SUPPLIERS);
    expect(refused.body.errors?.[0]?.code).toBe(LIMIT_CODES.credits);
    sent.push(refused.sentBytes);
    received.push(refused.bytes);

    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    const counters = await admin(sim, 'GET', '/admin/counters/counted');
    expect(counters.body).toMatchObject({
      requests: 4,
      refused: 1,
      bytesIn: sum(sent),
      bytesOut: sum(received),
    });
    expect(counters.body.byField.suppliers).toMatchObject({
      requests: 3,
      refused: 1,
      bytesIn: sum([sent[0], sent[1], sent[3]] as number[]),
    });
    expect(counters.body.byField.accounts).toMatchObject({ requests: 1, bytesOut: received[2] });

    await admin(sim, 'POST', '/admin/counters/reset', { token: 'counted' });
    expect((await admin(sim, 'GET', '/admin/counters/counted')).body.requests).toBe(0);
  });

  it('counts requests without a valid token under (unauthenticated)', async () => {
    await admin(sim, 'POST', '/admin/counters/reset', {});
    await gql(sim, 'nope', SUPPLIERS);
    const all = await admin(sim, 'GET', '/admin/counters');
    expect(all.body['(unauthenticated)']).toMatchObject({ requests: 1, refused: 1 });
  });
});
