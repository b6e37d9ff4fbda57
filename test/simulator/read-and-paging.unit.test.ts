import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cetToday,
  RECORD_TYPES,
  SEED_ENTITIES,
  SEED_TOKENS,
  startSimulator,
  type RunningSimulator,
} from '../../src/simulator/index';
import { admin, gql, readAll } from './helpers';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, suppliers: 30_000 });
});
afterAll(async () => {
  await sim.close();
});

describe('schema', () => {
  it('answers introspection with the SDL types', async () => {
    const result = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ __schema { queryType { name } mutationType { name } types { name } } }',
    );
    expect(result.status).toBe(200);
    const names = (result.body.data?.__schema.types as Array<{ name: string }>).map((type) => type.name);
    expect(names).toEqual(
      expect.arrayContaining(['Supplier', 'Supplier_Filter', 'Int64', 'DateTimeString', 'GLImportItem']),
    );
    expect(result.body.data?.__schema.mutationType.name).toBe('Mutation');
  });

  it('rejects an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const result = await gql(sim, SEED_TOKENS.owner1, '{ suppliers { edges { node { nope } } } }');
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('rejects a DateTimeString with an offset or a fraction as INVALID_VALUE', async () => {
    for (const t of ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00.000', '2024-01-01T10:00']) {
      const result = await gql(
        sim,
        SEED_TOKENS.owner1,
        'query($t: DateTimeString) { suppliers(filter: { modifiedAt_gte: $t }) { edges { cursor } } }',
        { t },
      );
      expect(result.status, t).toBe(400);
      expect(result.body.errors?.[0]?.code, t).toBe('INVALID_VALUE');
    }
  });

  it('declares DateTimeString, not DateTime, for the modifiedAt filters (as Xledger’s sample does)', async () => {
    const result = await gql(
      sim,
      SEED_TOKENS.owner1,
      'query($t: DateTime) { suppliers(filter: { modifiedAt_gte: $t }) { edges { cursor } } }',
      { t: '2024-01-01T10:00:00' },
    );
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers "edges": null for a connection with no match', async () => {
    const result = await gql(
      sim,
      SEED_TOKENS.owner1,
      'query($t: DateTimeString) { suppliers(filter: { modifiedAt_gte: $t }) { edges { cursor } pageInfo { hasNextPage } } }',
      { t: '2999-01-01T00:00:00' },
    );
    expect(result.body.data?.suppliers).toEqual({ edges: null, pageInfo: { hasNextPage: false } });
  });
});

describe('paging', () => {
  it.each([1_000, 10_000])('visits every supplier exactly once with pages of %i', async (first) => {
    const { nodes, pages } = await readAll<{ dbId: number }>(sim, SEED_TOKENS.root, 'suppliers', 'dbId', {
      first,
      args: 'objectStatus: ALL',
    });
    const ids = nodes.map((node) => node.dbId);
    expect(ids.length).toBe(30_000);
    expect(new Set(ids).size).toBe(30_000);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(pages).toBe(Math.ceil(30_000 / first));
  });

  it('refuses first above 10000 with INVALID_VALUE', async () => {
    const result = await gql(sim, SEED_TOKENS.root, '{ suppliers(first: 10001) { edges { cursor } } }');
    expect(result.status).toBe(200);
    expect(result.body.data).toBeNull();
    expect(result.body.errors?.[0]).toMatchObject({
      code: 'INVALID_VALUE',
      extensions: { code: 'INVALID_VALUE' },
    });
  });

  it('pages backwards with last/before and reports neighbours in pageInfo', async () => {
    const query = `query($after: String, $before: String, $first: Int, $last: Int) {
      accounts(first: $first, last: $last, after: $after, before: $before, objectStatus: ALL) {
        edges { cursor node { dbId } } pageInfo { hasNextPage hasPreviousPage } } }`;
    const head = await gql(sim, SEED_TOKENS.owner1, query, { first: 10 });
    const edges = head.body.data?.accounts.edges as Array<{ cursor: string; node: { dbId: number } }>;
    expect(edges.map((edge) => edge.cursor)).toEqual(edges.map((edge) => String(edge.node.dbId)));
    const back = await gql(sim, SEED_TOKENS.owner1, query, { last: 3, before: edges[5]?.cursor });
    expect(back.body.data?.accounts.edges.map((edge: { cursor: string }) => edge.cursor)).toEqual(
      edges.slice(2, 5).map((edge) => edge.cursor),
    );
    expect(back.body.data?.accounts.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
    const next = await gql(sim, SEED_TOKENS.owner1, query, { first: 2, after: edges[1]?.cursor });
    expect(next.body.data?.accounts.pageInfo.hasPreviousPage).toBe(true);
    expect(next.body.data?.accounts.edges[0].cursor).toBe(edges[2]?.cursor);
  });

  it('filters by code_in, dbId_in ([Int!], as the real API takes it) and dbId_gt', async () => {
    const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner1}/suppliers`);
    const records = truth.body.records as Array<{ dbId: number; code: string; visibility: string }>;
    const [a, b] = records;
    const c = records.find((record) => record.visibility === 'owner');
    const byIds = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query($ids: [Int!]) { suppliers(filter: { dbId_in: $ids }, objectStatus: ALL) { edges { node { dbId } } } }`,
      { ids: [a?.dbId, b?.dbId] },
    );
    expect(
      byIds.body.data?.suppliers.edges.map((edge: { node: { dbId: number } }) => edge.node.dbId),
    ).toEqual([a?.dbId, b?.dbId]);
    // Round three: the real API refused [Int64String!] for dbId_in (Skyvell 50f807c); so does this.
    const asStrings = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query($ids: [Int64String!]) { suppliers(filter: { dbId_in: $ids }) { edges { node { dbId } } } }`,
      { ids: [String(a?.dbId)] },
    );
    expect(asStrings.body.errors?.[0]?.message).toMatch(
      /Variable "\$ids" of type "\[Int64String!\]" used in position expecting type "\[Int!\]"/,
    );
    const gt = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query($id: Int64) { suppliers(first: 1, filter: { dbId_gt: $id }, objectStatus: ALL) { edges { node { dbId } } } }`,
      {
        id: String(b?.dbId),
      },
    );
    expect(gt.body.data?.suppliers.edges[0].node.dbId).toBeGreaterThan(b?.dbId ?? 0);
    const codes = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query($codes: [String!]) { suppliers(filter: { code_in: $codes }, objectStatus: ALL, ownerSet: CURRENT) { edges { node { code ownerDbId } } } }`,
      {
        codes: [c?.code],
      },
    );
    const nodes = codes.body.data?.suppliers.edges.map((edge: { node: unknown }) => edge.node);
    expect(nodes).toEqual([{ code: c?.code, ownerDbId: SEED_ENTITIES.owner1 }]);
  });
});

describe('owner scoping', () => {
  it('an owner token sees exactly its owner tree for every type, matching the ground truth, and the group’s records beside it', async () => {
    let groupRecords = 0;
    for (const type of RECORD_TYPES) {
      const hasStatus = ['suppliers', 'accounts', 'objectValues', 'employees', 'projects', 'assets'].includes(
        type,
      );
      const { nodes } = await readAll<{ dbId: number; ownerDbId: number }>(
        sim,
        SEED_TOKENS.owner2,
        type,
        'dbId ownerDbId',
        {
          args: hasStatus ? 'objectStatus: ALL' : undefined,
        },
      );
      const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner2}/${type}`);
      const truthIds = (truth.body.records as Array<{ dbId: number }>).map((record) => record.dbId);
      // Records owned above the token's entity (the group) come too (ownerSet ALL): not the tenant's.
      const fromAbove = nodes.filter((node) => node.ownerDbId === SEED_ENTITIES.root);
      groupRecords += fromAbove.length;
      expect(
        nodes.filter((node) => node.ownerDbId !== SEED_ENTITIES.root).map((node) => node.dbId),
        type,
      ).toEqual(truthIds);
      expect(truthIds.length, type).toBeGreaterThan(0);
      const levels = new Set(
        (truth.body.records as Array<{ visibility: string }>).map((record) => record.visibility),
      );
      expect([...levels].sort(), type).toEqual(['client', 'owner']);
    }
    expect(groupRecords).toBeGreaterThan(0);
  });

  it('the root token sees both owners and root-level records; owner tokens never see the other owner, but the group’s records', async () => {
    const { nodes: rootView } = await readAll<{ ownerDbId: number }>(
      sim,
      SEED_TOKENS.root,
      'employees',
      'ownerDbId',
      {
        args: 'objectStatus: ALL',
      },
    );
    const rootOwners = new Set(rootView.map((node) => node.ownerDbId));
    expect([...rootOwners].sort()).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108]);
    const { nodes: ownerView } = await readAll<{ ownerDbId: number }>(
      sim,
      SEED_TOKENS.owner1,
      'employees',
      'ownerDbId',
      {
        args: 'objectStatus: ALL',
      },
    );
    // The group (100) is above the token's entity: its records come too, its entity does not.
    expect([...new Set(ownerView.map((node) => node.ownerDbId))].sort()).toEqual([100, 101, 102, 103, 104]);
    const entities = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ entities { edges { node { dbId parent { dbId } } } } }',
    );
    expect(
      entities.body.data?.entities.edges.map((edge: { node: { dbId: number } }) => edge.node.dbId),
    ).toEqual([101, 102, 103, 104]);
  });

  it('a client token sees only its own client-level records (and the group’s, owned above it)', async () => {
    const { nodes } = await readAll<{ ownerDbId: number }>(
      sim,
      SEED_TOKENS.owner1Client1,
      'suppliers',
      'ownerDbId',
    );
    expect(new Set(nodes.map((node) => node.ownerDbId))).toEqual(
      new Set([SEED_ENTITIES.owner1Clients[0], SEED_ENTITIES.root]),
    );
  });

  it('ownerSet CURRENT, LOWER and UPPER narrow what ALL returns; UPPER is the group above', async () => {
    const owners = async (ownerSet: string) =>
      new Set(
        (
          await readAll<{ ownerDbId: number }>(sim, SEED_TOKENS.owner1, 'projects', 'ownerDbId', {
            args: `ownerSet: ${ownerSet}, objectStatus: ALL`,
          })
        ).nodes.map((node) => node.ownerDbId),
      );
    expect(await owners('CURRENT')).toEqual(new Set([101]));
    expect(await owners('MINE')).toEqual(new Set([101]));
    expect(await owners('LOWER')).toEqual(new Set([102, 103, 104]));
    expect(await owners('UPPER')).toEqual(new Set([SEED_ENTITIES.root]));
    expect(await owners('ALL')).toEqual(new Set([100, 101, 102, 103, 104]));
  });

  it('objectStatus OPEN (default) hides closed records, CLOSED shows only them', async () => {
    const { nodes: open } = await readAll<{ toDate: string | null }>(
      sim,
      SEED_TOKENS.owner1,
      'suppliers',
      'toDate',
    );
    const { nodes: closed } = await readAll<{ toDate: string | null }>(
      sim,
      SEED_TOKENS.owner1,
      'suppliers',
      'toDate',
      {
        args: 'objectStatus: CLOSED',
      },
    );
    const today = cetToday();
    expect(closed.length).toBeGreaterThan(0);
    expect(closed.every((node) => node.toDate !== null && node.toDate < today)).toBe(true);
    expect(open.every((node) => node.toDate === null || node.toDate >= today)).toBe(true);
    const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner1}/suppliers`);
    const { nodes: group } = await readAll(sim, SEED_TOKENS.owner1, 'suppliers', 'dbId', {
      args: 'objectStatus: ALL, ownerSet: UPPER',
    });
    expect(open.length + closed.length).toBe(truth.body.count + group.length);
  });

  it('seeds projects whose manager has an email, has none, is unknown, or is missing', async () => {
    const { nodes: projects } = await readAll<{ projectManager: { dbId: number } | null }>(
      sim,
      SEED_TOKENS.owner1,
      'projects',
      'projectManager { dbId }',
      { args: 'objectStatus: ALL' },
    );
    const { nodes: employees } = await readAll<{ dbId: number; email: string | null }>(
      sim,
      SEED_TOKENS.owner1,
      'employees',
      'dbId email',
      {
        args: 'objectStatus: ALL',
      },
    );
    const emailOf = new Map(employees.map((employee) => [employee.dbId, employee.email]));
    const kinds = new Set(
      projects.map((project) => {
        if (!project.projectManager) return 'none';
        if (!emailOf.has(project.projectManager.dbId)) return 'unknown';
        return emailOf.get(project.projectManager.dbId) ? 'email' : 'no-email';
      }),
    );
    expect([...kinds].sort()).toEqual(['email', 'no-email', 'none', 'unknown']);
  });

  it('each owner has its own TAX_RULE kind with tax rules and percentages', async () => {
    type KindEdge = { node: { dbId: number; ownerDbId: number } };
    const kindOf = async (token: string) => {
      const edges = (
        await gql(
          sim,
          token,
          '{ objectKinds(filter: { name: "TAX_RULE" }) { edges { node { dbId ownerDbId } } } }',
        )
      ).body.data?.objectKinds.edges as KindEdge[];
      // The group's own TAX_RULE kind comes beside the owner's (owned above the token's entity).
      expect(edges.filter((edge) => edge.node.ownerDbId === SEED_ENTITIES.root)).toHaveLength(1);
      return edges.filter((edge) => edge.node.ownerDbId !== SEED_ENTITIES.root);
    };
    const [one, two] = [await kindOf(SEED_TOKENS.owner1), await kindOf(SEED_TOKENS.owner2)];
    expect(one).toHaveLength(1);
    expect(two).toHaveLength(1);
    expect(one[0]!.node.dbId).not.toBe(two[0]!.node.dbId);
    const values = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query($k: Int64) { objectValues(filter: { objectKindDbId: $k }) { edges { node { code } } } }`,
      {
        k: one[0]!.node.dbId,
      },
    );
    expect(
      values.body.data?.objectValues.edges.map((edge: { node: { code: string } }) => edge.node.code),
    ).toEqual(expect.arrayContaining(['1', '3', '5', '81']));
    const setups = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ taxTableSetups { edges { node { taxPercent objectValue { code } account { code } } } } }',
    );
    expect(setups.body.data?.taxTableSetups.edges).toEqual(
      expect.arrayContaining([
        { node: { taxPercent: '25.00', objectValue: { code: '1' }, account: { code: '2710' } } },
      ]),
    );
  });
});
