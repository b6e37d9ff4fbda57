import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LIMIT_CODES,
  SEED_TOKENS,
  startSimulator,
  TIMEOUT_CODE,
  type RunningSimulator,
} from '../../src/simulator/index';
import { admin, gql } from './helpers';

let sim: RunningSimulator;
const SUPPLIERS =
  '{ suppliers(first: 3) { edges { node { dbId code description fromDate toDate modifiedAt } } } }';
const ACCOUNTS = '{ accounts(first: 3) { edges { node { dbId code } } } }';

const inject = async (fault: Record<string, unknown>) => {
  const created = await admin(sim, 'POST', '/admin/faults', fault);
  expect(created.status).toBe(201);
  return created.body as { id: number };
};

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, suppliers: 200 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await admin(sim, 'DELETE', '/admin/faults');
});

describe('injected Xledger errors', () => {
  it.each([
    ['burstRateLimit', LIMIT_CODES.burst],
    ['concurrencyLimit', LIMIT_CODES.concurrency],
    ['insufficientCredits', LIMIT_CODES.credits],
    ['timeout', TIMEOUT_CODE],
  ])('%s answers HTTP 200 with code %s, for the matching field only, count times', async (kind, code) => {
    await inject({ kind, count: 2, field: 'suppliers' });
    const other = await gql(sim, SEED_TOKENS.owner1, ACCOUNTS);
    expect(other.body.errors).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const faulted = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
      expect(faulted.status).toBe(200);
      expect(faulted.body.data).toBeNull();
      expect(faulted.body.errors?.[0]).toMatchObject({ code, extensions: { code } });
      if (kind === 'timeout') expect(faulted.body.errors?.[0]?.message).toBe('Your query timed out.');
      if (kind === 'insufficientCredits')
        expect(faulted.body.errors?.[0]?.extensions.resetAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).body.errors).toBeUndefined();
  });

  it('httpError answers with the given 5xx status and no JSON', async () => {
    await inject({ kind: 'httpError', status: 502 });
    const response = await fetch(sim.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `token ${SEED_TOKENS.owner1}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: SUPPLIERS }),
    });
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('Bad Gateway');
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).status).toBe(200);
  });

  it('slow delays the answer, which is still correct', async () => {
    await inject({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    const result = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(result.body.data?.suppliers.edges).toHaveLength(3);
  });

  it('connectionReset destroys the socket without an answer', async () => {
    await inject({ kind: 'connectionReset' });
    await expect(gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).rejects.toThrow();
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).status).toBe(200);
  });

  it('malformed makes records violate the documented types for the next N responses', async () => {
    await inject({ kind: 'malformed', count: 1 });
    const bad = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
    const node = bad.body.data?.suppliers.edges[0].node;
    expect(node.fromDate).toBe('31.02.2024');
    expect(node).not.toHaveProperty('code');
    expect(node.modifiedAt).toBe('yesterday');
    expect(bad.body.data?.suppliers.edges[1].node.code).toEqual(expect.any(String));
    const good = await gql(sim, SEED_TOKENS.owner1, SUPPLIERS);
    expect(good.body.data?.suppliers.edges[0].node.fromDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('malformed drops the non-null dbId when a node has nothing else to break', async () => {
    await inject({ kind: 'malformed' });
    const bad = await gql(sim, SEED_TOKENS.owner1, '{ objectKinds { edges { node { dbId name } } } }');
    expect(bad.body.data?.objectKinds.edges[0].node).not.toHaveProperty('dbId');
  });

  it('matches a token by name, leaving other tokens alone', async () => {
    await inject({ kind: 'timeout', token: 'owner2' });
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIERS)).body.errors).toBeUndefined();
    expect((await gql(sim, SEED_TOKENS.owner2, SUPPLIERS)).body.errors?.[0]?.code).toBe(TIMEOUT_CODE);
  });

  it('probability rules fire by chance until cleared, and are listed with their hits', async () => {
    await inject({ kind: 'timeout', probability: 1, field: 'accounts' });
    for (let i = 0; i < 3; i++)
      expect((await gql(sim, SEED_TOKENS.owner1, ACCOUNTS)).body.errors?.[0]?.code).toBe(TIMEOUT_CODE);
    const listed = await admin(sim, 'GET', '/admin/faults');
    expect(listed.body).toEqual([
      expect.objectContaining({ kind: 'timeout', probability: 1, hits: 3, remaining: null }),
    ]);
    await admin(sim, 'DELETE', '/admin/faults');
    expect((await gql(sim, SEED_TOKENS.owner1, ACCOUNTS)).body.errors).toBeUndefined();
  });

  it('a probability of one half fires on some requests but not all', async () => {
    await inject({ kind: 'timeout', probability: 0.5, field: 'accounts' });
    const results = await Promise.all(
      Array.from({ length: 40 }, () => gql(sim, SEED_TOKENS.owner1, ACCOUNTS)),
    );
    const fired = results.filter((result) => result.body.errors?.[0]?.code === TIMEOUT_CODE).length;
    expect(fired).toBeGreaterThan(5);
    expect(fired).toBeLessThan(35);
  });

  it('refuses an unknown fault kind with a 400 naming the field', async () => {
    const bad = await admin(sim, 'POST', '/admin/faults', { kind: 'meteorStrike', count: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^kind: /);
  });
});

describe('faults that cut a pass short', () => {
  const PAGE = (after: string | null) =>
    `{ p: suppliers(first: 2${after ? `, after: "${after}"` : ''}) { edges { cursor node { dbId } } pageInfo { hasNextPage } }
       d: supplier_deltas(last: 1) { edges { cursor } pageInfo { hasNextPage } } }`;
  type Connection = { edges: Array<{ cursor: string }> | null; pageInfo: { hasNextPage: boolean } | null };
  const read = async (after: string | null) =>
    (await gql<{ p: Connection; d: Connection }>(sim, SEED_TOKENS.owner1, PAGE(after))).body.data!;
  const cursors = (connection: Connection) => (connection.edges ?? []).map((edge) => edge.cursor);

  it('skip lets the first matching requests through; then endEarly says the stream ends, on the aliased field only', async () => {
    const clean = [await read(null)];
    clean.push(await read(cursors(clean[0]!.p).at(-1)!));
    await inject({ kind: 'endEarly', field: 'suppliers', skip: 1 });
    const first = await read(null);
    expect(first.p).toEqual(clean[0]!.p);
    const second = await read(cursors(first.p).at(-1)!);
    expect(cursors(second.p)).toEqual(cursors(clean[1]!.p));
    expect(second.p.pageInfo).toEqual({ hasNextPage: false });
    expect(clean[1]!.p.pageInfo).toEqual({ hasNextPage: true });
    expect(second.d).toEqual(clean[1]!.d);
  });

  it('dropPage serves the page after the one asked for', async () => {
    const first = await read(null);
    const second = await read(cursors(first.p).at(-1)!);
    await inject({ kind: 'dropPage', field: 'suppliers' });
    const dropped = await read(null);
    expect(cursors(dropped.p)).toEqual(cursors(second.p));
    expect(dropped.p.pageInfo).toEqual(second.p.pageInfo);
  });

  it('nullPageInfo and nullEdges answer what no well-formed last page is', async () => {
    await inject({ kind: 'nullPageInfo', field: 'suppliers' });
    expect((await read(null)).p.pageInfo).toBeNull();
    await inject({ kind: 'nullEdges', field: 'suppliers' });
    expect((await read(null)).p).toEqual({ edges: null, pageInfo: { hasNextPage: true } });
    expect(cursors((await read(null)).p)).toHaveLength(2);
  });
});
