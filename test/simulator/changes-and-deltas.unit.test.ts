import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cetWallClockToInstant,
  SEED_ENTITIES,
  SEED_TOKENS,
  startSimulator,
  toCetWallClock,
  type RunningSimulator,
} from '../../src/simulator/index';
import { admin, gql, readAll, sleep } from './helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, suppliers: 2_000 });
});
afterAll(async () => {
  await sim.close();
});

const CHANGED_SUPPLIERS = `query($since: DateTimeString) {
  suppliers(filter: { modifiedAt_gte: $since }, objectStatus: ALL) { edges { node { dbId description modifiedAt ownerDbId } } } }`;

describe('modifiedAt (CET wall clock)', () => {
  it('modifiedAt_gte picks only the records changed after an admin patch or create', async () => {
    const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner1}/suppliers`);
    const target = (truth.body.records as Array<{ dbId: number }>)[10] as { dbId: number };
    await sleep(5);
    const since = toCetWallClock(new Date());
    expect(
      (await gql(sim, SEED_TOKENS.owner1, CHANGED_SUPPLIERS, { since })).body.data?.suppliers.edges,
    ).toBeNull();

    const patched = await admin(sim, 'PATCH', `/admin/records/suppliers/${target.dbId}`, {
      description: 'Renamed AS',
    });
    expect(patched.status).toBe(200);
    const created = await admin(sim, 'POST', '/admin/records/suppliers', {
      ownerDbId: SEED_ENTITIES.owner1Clients[1],
      code: 'NEW-1',
      description: 'Brand New AS',
      fromDate: '2024-01-01',
    });
    expect(created.status).toBe(201);

    const changed = await gql(sim, SEED_TOKENS.owner1, CHANGED_SUPPLIERS, { since });
    const nodes = changed.body.data?.suppliers.edges.map((edge: { node: unknown }) => edge.node);
    expect(nodes.map((node: { dbId: number }) => node.dbId)).toEqual([target.dbId, created.body.dbId]);
    expect(nodes[0].description).toBe('Renamed AS');
    for (const node of nodes) {
      expect(node.modifiedAt >= since).toBe(true);
      // A wall-clock time in Oslo, without offset, within a few seconds of now.
      expect(node.modifiedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(Math.abs(cetWallClockToInstant(node.modifiedAt).getTime() - Date.now())).toBeLessThan(10_000);
    }
    // The other owner sees none of it.
    expect(
      (await gql(sim, SEED_TOKENS.owner2, CHANGED_SUPPLIERS, { since })).body.data?.suppliers.edges,
    ).toBeNull();
    // The client that owns the new record sees it; another client does not.
    const client2 = await admin(sim, 'POST', '/admin/tokens', {
      name: 'o1c2',
      entityDbId: SEED_ENTITIES.owner1Clients[1],
      scopes: ['SUPPLIER_READ'],
    });
    const seen = await gql(sim, client2.body.token, CHANGED_SUPPLIERS, { since });
    expect(seen.body.data?.suppliers.edges.map((edge: { node: { dbId: number } }) => edge.node.dbId)).toEqual(
      [created.body.dbId],
    );
    expect(
      (await gql(sim, SEED_TOKENS.owner1Client1, CHANGED_SUPPLIERS, { since })).body.data?.suppliers.edges,
    ).toBeNull();
  });

  it('a deleted record disappears from reads and from the ground truth', async () => {
    const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner2}/accounts`);
    const victim = (truth.body.records as Array<{ dbId: number }>)[0] as { dbId: number };
    expect((await admin(sim, 'DELETE', `/admin/records/accounts/${victim.dbId}`)).status).toBe(200);
    const after = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner2}/accounts`);
    expect(after.body.count).toBe(truth.body.count - 1);
    const read = await gql(
      sim,
      SEED_TOKENS.owner2,
      `query($id: Int64) { accounts(filter: { dbId: $id }, objectStatus: ALL) { edges { cursor } } }`,
      {
        id: victim.dbId,
      },
    );
    expect(read.body.data?.accounts.edges).toBeNull();
    expect((await admin(sim, 'DELETE', `/admin/records/accounts/${victim.dbId}`)).status).toBe(404);
  });

  it('validates admin record bodies with a message naming the field', async () => {
    const bad = await admin(sim, 'POST', '/admin/records/suppliers', {
      ownerDbId: 101,
      code: 'X',
      fromDate: '31.02.2024',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^fromDate: /);
    const unknownOwner = await admin(sim, 'POST', '/admin/records/suppliers', { ownerDbId: 999, code: 'X' });
    expect(unknownOwner.status).toBe(400);
    expect(unknownOwner.body.error).toMatch(/^ownerDbId: /);
    const unknownType = await admin(sim, 'POST', '/admin/records/customers', { ownerDbId: 101 });
    expect(unknownType.status).toBe(404);
  });
});

describe('deltas', () => {
  const DELTAS = (field: string) => `query($after: String) { ${field}(first: 10000, after: $after) {
    edges { cursor node { dbId mutationType } } pageInfo { hasNextPage } } }`;

  async function allDeltas(token: string, field: string, after: string | null) {
    const edges: Array<{ cursor: string; node: { dbId: number; mutationType: string } }> = [];
    let cursor = after;
    for (;;) {
      const page = await gql(sim, token, DELTAS(field), { after: cursor });
      expect(page.body.errors).toBeUndefined();
      const connection = page.body.data?.[field];
      edges.push(...(connection.edges ?? []));
      if (!connection.pageInfo.hasNextPage) break;
      cursor = connection.edges[connection.edges.length - 1].cursor;
    }
    return edges;
  }

  it('seeded employees appear as ADDED deltas, in time order, only for the token’s tree', async () => {
    const edges = await allDeltas(SEED_TOKENS.owner1, 'employee_deltas', null);
    const { nodes } = await readAll<{ dbId: number }>(sim, SEED_TOKENS.owner1, 'employees', 'dbId', {
      args: 'objectStatus: ALL',
    });
    expect(edges.every((edge) => edge.node.mutationType === 'ADDED')).toBe(true);
    expect(new Set(edges.map((edge) => edge.node.dbId))).toEqual(new Set(nodes.map((node) => node.dbId)));
    const cursors = edges.map((edge) => Number(edge.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
  });

  it('admin create, patch and delete produce ADDED, UPDATED and DELETED after the last cursor', async () => {
    for (const [type, field] of [
      ['suppliers', 'supplier_deltas'],
      ['employees', 'employee_deltas'],
      ['projects', 'project_deltas'],
    ] as const) {
      const before = await allDeltas(SEED_TOKENS.owner1, field, null);
      const lastCursor = before[before.length - 1]?.cursor ?? null;
      const otherBefore = await allDeltas(SEED_TOKENS.owner2, field, null);
      const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner1}/${type}`);
      const [first, second] = truth.body.records as Array<{ dbId: number }>;
      const created = await admin(sim, 'POST', `/admin/records/${type}`, {
        ownerDbId: SEED_ENTITIES.owner1Clients[2],
        code: `NEW-${type}`,
        description: 'New',
      });
      await admin(sim, 'PATCH', `/admin/records/${type}/${first?.dbId}`, { description: 'Updated' });
      await admin(sim, 'DELETE', `/admin/records/${type}/${second?.dbId}`);

      const after = await allDeltas(SEED_TOKENS.owner1, field, lastCursor);
      expect(after.map((edge) => edge.node)).toEqual([
        { dbId: created.body.dbId, mutationType: 'ADDED' },
        { dbId: first?.dbId, mutationType: 'UPDATED' },
        { dbId: second?.dbId, mutationType: 'DELETED' },
      ]);
      expect(Number(after[0]?.cursor)).toBeGreaterThan(Number(lastCursor));
      const otherAfter = await allDeltas(
        SEED_TOKENS.owner2,
        field,
        otherBefore[otherBefore.length - 1]?.cursor ?? null,
      );
      expect(otherAfter).toEqual([]);
    }
  });

  it('last: 1 answers the newest delta only; nothing after it answers "edges": null', async () => {
    const all = await allDeltas(SEED_TOKENS.owner1, 'supplier_deltas', null);
    const newest = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ supplier_deltas(last: 1) { edges { cursor node { dbId mutationType } } pageInfo { hasNextPage hasPreviousPage } } }',
    );
    expect(newest.body.data?.supplier_deltas.edges).toEqual([all[all.length - 1]]);
    expect(newest.body.data?.supplier_deltas.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true });
    const after = await gql(sim, SEED_TOKENS.owner1, DELTAS('supplier_deltas'), {
      after: all[all.length - 1]?.cursor,
    });
    expect(after.body.data?.supplier_deltas.edges).toBeNull();
  });

  it('drops deltas older than the retention and refuses a cursor whose delta was dropped', async () => {
    const retention = sim.state.deltaRetentionMs;
    const before = await allDeltas(SEED_TOKENS.owner1, 'employee_deltas', null);
    const oldCursor = before[before.length - 1]!.cursor;
    try {
      sim.state.deltaRetentionMs = 1;
      await sleep(5);
      const refused = await gql(sim, SEED_TOKENS.owner1, DELTAS('employee_deltas'), { after: oldCursor });
      expect(refused.status).toBe(200);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors?.[0]).toMatchObject({
        code: 'INVALID_VALUE',
        path: ['employee_deltas'],
        message: expect.stringContaining(oldCursor),
      });
      // Reading from the start still works: nothing is kept.
      expect(
        (await gql(sim, SEED_TOKENS.owner1, DELTAS('employee_deltas'), { after: null })).body.data
          ?.employee_deltas.edges,
      ).toBeNull();
      // A cursor never issued is refused too.
      const unknown = await gql(sim, SEED_TOKENS.owner1, DELTAS('project_deltas'), { after: '99999999' });
      expect(unknown.body.errors?.[0]?.code).toBe('INVALID_VALUE');
    } finally {
      sim.state.deltaRetentionMs = retention;
    }
  });
});
