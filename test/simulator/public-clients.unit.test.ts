/**
 * Queries that public Xledger clients send must run against the simulator unchanged: a field
 * or argument they rely on that the simulator lacks would make it stricter than Xledger, and a
 * shape they parse that the simulator serves differently would make it lie.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_TOKENS,
  startSimulator,
  toCetWallClock,
  type RunningSimulator,
} from '../../src/simulator/index';
import { gql } from './helpers';
import { CLIENT_FIELDS, selectionOf } from './public-client-fields';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, suppliers: 300 });
});
afterAll(async () => {
  await sim.close();
});

/**
 * Xledger's own sample, verbatim: xledger/graphql-samples, Webhooks-CSharp/GraphQL/Queries.cs
 * (MIT, © 2023 Xledger), assembled as its C# constants are.
 */
const ProjectsNodeSelection = `
          node {
            fromDate
            toDate
            dbId
            code
            description
            createdAt
            modifiedAt
            text
            ownerDbId
            email
            yourReference
            extIdentifier
            external
            billable
            fixedClient
            allowPosting
            timesheetEntry
            accessControl
            assignment
            activity
            extOrder
            contract
            progressDate
            pctCompleted
            overview
            expenseLedger
            fundProject
            invoiceHeader
            invoiceFooter
            totalRevenue
            yearlyRevenue
            contractedRevenue
            totalCost
            yearlyCost
            totalEstimateHours
            yearlyEstimateHours
            budgetCoveragePercent
            mainProjectDbId
            shortInfo
            shortInternalInfo
            xgl {
                dbId
                code
            }
            glObject1 {
                dbId
                code
            }
            glObject2 {
                dbId
                code
            }
            glObject3 {
                dbId
                code
            }
            glObject4 {
                dbId
                code
            }
            glObject5 {
                dbId
                code
            }
          }
        `;
const ProjectsSelection =
  `
        edges {
          cursor
        ` +
  ProjectsNodeSelection +
  '\n' +
  `
        }
        `;
const ProjectsFullSyncQuery =
  `
            query ($after: String) {
                projects(first: 10000, after: $after) {
            ` +
  ProjectsSelection +
  '\n' +
  'pageInfo { hasNextPage }\n' +
  '    }\n}';
const ProjectsLatestChangesSyncQuery =
  `
            query ($after: String, $since: DateTimeString) {
                projects(first: 10000, after: $after, filter: { modifiedAt_gte: $since }) {
            ` +
  ProjectsSelection +
  '\n' +
  'pageInfo { hasNextPage }\n' +
  '    }\n}';

describe("Xledger's sample projects query (Webhooks-CSharp/GraphQL/Queries.cs)", () => {
  it('the full sync query runs unchanged and returns projects with the sample’s field shapes', async () => {
    const result = await gql(sim, SEED_TOKENS.owner1, ProjectsFullSyncQuery, { after: null });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const edges = result.body.data?.projects.edges as Array<{
      cursor: string;
      node: Record<string, unknown>;
    }>;
    expect(edges.length).toBeGreaterThan(0);
    for (const { node } of edges) {
      // FieldMapping.cs: dates yyyy-MM-dd, CET date-times yyyy-MM-ddTHH:mm:ss, ownerDbId an integer.
      expect(node.fromDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(node.modifiedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(node.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(Number.isInteger(node.ownerDbId)).toBe(true);
    }
    expect(result.body.data?.projects.pageInfo).toEqual({ hasNextPage: false });
  });

  it('the latest-changes query runs unchanged with $since as the sample formats it', async () => {
    // The sample: UTC now − 15 minutes, converted to CET, formatted yyyy-MM-ddTHH:mm:ss.
    const since = toCetWallClock(new Date(Date.now() - 15 * 60_000));
    const none = await gql(sim, SEED_TOKENS.owner1, ProjectsLatestChangesSyncQuery, { after: null, since });
    expect(none.status).toBe(200);
    expect(none.body.errors).toBeUndefined();
    // Nothing changed: Xledger answers "edges": null (help centre), which the sample's
    // SelectTokens("$.data.projects.edges[*]") reads as no edges.
    expect(none.body.data?.projects.edges).toBeNull();

    const changed = await gql(sim, SEED_TOKENS.owner1, ProjectsLatestChangesSyncQuery, {
      after: null,
      since: '2000-01-01T00:00:00',
    });
    expect(changed.body.errors).toBeUndefined();
    expect(changed.body.data?.projects.edges.length).toBeGreaterThan(0);
  });
});

// --- fields public clients read (public-client-fields.ts) ----------------------------------

describe('fields public clients read', () => {
  for (const [rootField, clients] of Object.entries(CLIENT_FIELDS)) {
    for (const [client, fields] of Object.entries(clients)) {
      it(`${rootField}: every field ${client} reads is served`, async () => {
        // As the clients page: first + after, and cursor and pageInfo beside the nodes.
        const query = `query ($after: String) { ${rootField}(first: 50, after: $after) {
          pageInfo { hasNextPage hasPreviousPage } edges { cursor node { ${selectionOf(fields)} } } } }`;
        const result = await gql(sim, SEED_TOKENS.owner1, query, { after: null });
        expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
        expect(result.status).toBe(200);
        expect(result.body.data?.[rootField].edges.length).toBeGreaterThan(0);
      });
    }
  }

  it('delta queries take first, last and after as Skyvell’s delta fetcher sends them', async () => {
    for (const field of ['supplier_deltas', 'employee_deltas', 'project_deltas']) {
      const query = `query get_${field}($first: Int, $last: Int, $after: String) {
        ${field}(first: $first, last: $last, after: $after) {
          edges { node { dbId mutationType } cursor } pageInfo { hasNextPage } } }`;
      // A full synchronisation first asks { last: 1 }: the newest delta's cursor only.
      const newest = await gql(sim, SEED_TOKENS.owner1, query, { last: 1 });
      expect(newest.body.errors, field).toBeUndefined();
      const [edge] = newest.body.data?.[field].edges as Array<{ cursor: string }>;
      expect(newest.body.data?.[field].edges).toHaveLength(1);
      // Then { first, after }: nothing after the newest.
      const after = await gql(sim, SEED_TOKENS.owner1, query, { first: 10000, after: edge!.cursor });
      expect(after.body.errors, field).toBeUndefined();
      expect(after.body.data?.[field].edges, field).toBeNull();
    }
  });

  it('go-xledger’s inline arguments (ownerSet: LOWER, an objectKindDbId filter) are taken', async () => {
    const kinds = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ objectKinds(first: 500) { edges { node { dbId name } } } }',
    );
    const taxRule = (
      kinds.body.data?.objectKinds.edges as Array<{ node: { dbId: number; name: string } }>
    ).find((edge) => edge.node.name === 'TAX_RULE');
    const values = await gql(
      sim,
      SEED_TOKENS.owner1,
      `{ objectValues(filter: {objectKindDbId: ${taxRule!.node.dbId}}, first: 500) { pageInfo { hasNextPage } edges { cursor node { dbId objectKind { dbId name } code description } } } }`,
    );
    expect(values.body.errors).toBeUndefined();
    expect(values.body.data?.objectValues.edges.length).toBeGreaterThan(0);
    const accounts = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ accounts(ownerSet: LOWER, first: 500) { pageInfo { hasNextPage } edges { cursor node { dbId } } } }',
    );
    expect(accounts.body.errors).toBeUndefined();
  });
});

// --- round three (../shared/xledger-api.md, "Round three") ----------------------------------

/** The supplier fields Skyvell's suppliers/queries.py reads (functions/api_functions/). */
const SKYVELL_SUPPLIER_FIELDS = `dbId description code number phone bankAccount notes
  company { dbId companyNumber } subledgerGroup { dbId description }
  address { dbId streetAddress zipCode place fullAddress } contact { dbId name }`;

/** The edge shape Skyvell's queries read: node, then cursor, and hasNextPage. */
const skyvellConnection = (selection: string) =>
  `edges { node { ${selection} } cursor } pageInfo { hasNextPage }`;

describe('round three: the queries public clients send', () => {
  const ownerSuppliers = async () => {
    const all = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ suppliers(first: 3, ownerSet: ALL) { edges { node { dbId } } } }',
    );
    return (all.body.data?.suppliers.edges as Array<{ node: { dbId: number } }>).map(
      (edge) => edge.node.dbId,
    );
  };

  it('Skyvell: suppliers by id with $ownerSet: OwnerSet and $dbIdList: [Int!] (commit 50f807c), and after a cursor', async () => {
    const ids = await ownerSuppliers();
    const byIds = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query get_suppliers($first: Int, $after: String, $ownerSet: OwnerSet, $dbIdList: [Int!]) {
        suppliers(first: $first, after: $after, ownerSet: $ownerSet, filter: { dbId_in: $dbIdList }) {
          ${skyvellConnection(SKYVELL_SUPPLIER_FIELDS)} } }`,
      { first: 500, after: null, ownerSet: 'ALL', dbIdList: ids },
    );
    expect(byIds.body.errors, JSON.stringify(byIds.body.errors)).toBeUndefined();
    const nodes = byIds.body.data?.suppliers.edges as Array<{ node: { dbId: number } }>;
    expect(nodes.map((edge) => edge.node.dbId)).toEqual(ids);

    const afterCursor = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query get_suppliers($first: Int, $after: String, $ownerSet: OwnerSet) {
        suppliers(first: $first, after: $after, ownerSet: $ownerSet) {
          ${skyvellConnection(SKYVELL_SUPPLIER_FIELDS)} } }`,
      { first: 2, after: String(ids[0]), ownerSet: 'ALL' },
    );
    expect(afterCursor.body.errors, JSON.stringify(afterCursor.body.errors)).toBeUndefined();
    expect(afterCursor.body.data?.suppliers.edges[0].node.dbId).toBe(ids[1]);
  });

  it('Skyvell: supplier_deltas with $ownerSet: OwnerSet', async () => {
    const query = `query get_supplier_deltas($first: Int, $last: Int, $after: String, $ownerSet: OwnerSet) {
      supplier_deltas(first: $first, last: $last, after: $after, ownerSet: $ownerSet) {
        ${skyvellConnection('dbId mutationType')} } }`;
    const newest = await gql(sim, SEED_TOKENS.owner1, query, { last: 1, ownerSet: 'ALL' });
    expect(newest.body.errors, JSON.stringify(newest.body.errors)).toBeUndefined();
    expect(newest.body.data?.supplier_deltas.edges).toHaveLength(1);
    const all = await gql(sim, SEED_TOKENS.owner1, query, { first: 10000, ownerSet: 'ALL' });
    // CURRENT: the token's own entity only, fewer than everything it sees.
    const current = await gql(sim, SEED_TOKENS.owner1, query, { first: 10000, ownerSet: 'CURRENT' });
    expect(current.body.errors).toBeUndefined();
    expect(current.body.data?.supplier_deltas.edges.length).toBeGreaterThan(0);
    expect(current.body.data?.supplier_deltas.edges.length).toBeLessThan(
      all.body.data?.supplier_deltas.edges.length as number,
    );
  });

  it.each([
    ['projects', 'dbId description code projectManager { dbId description }'],
    ['employees', 'dbId email description'],
  ])('Skyvell: %s by id with $dbIdList: [Int!] (commit 50f807c)', async (field, selection) => {
    const first = await gql(sim, SEED_TOKENS.owner1, `{ ${field}(first: 2) { edges { node { dbId } } } }`);
    const ids = (first.body.data?.[field].edges as Array<{ node: { dbId: number } }>).map((e) => e.node.dbId);
    const byIds = await gql(
      sim,
      SEED_TOKENS.owner1,
      `query get_${field}($first: Int, $after: String, $dbIdList: [Int!]) {
        ${field}(first: $first, after: $after, filter: { dbId_in: $dbIdList }) { ${skyvellConnection(selection)} } }`,
      { first: 500, dbIdList: ids },
    );
    expect(byIds.body.errors, JSON.stringify(byIds.body.errors)).toBeUndefined();
    expect(
      (byIds.body.data?.[field].edges as Array<{ node: { dbId: number } }>).map((e) => e.node.dbId),
    ).toEqual(ids);
  });

  it('Profitbase: pageInfo { endCursor }, the last edge’s cursor (null on an empty page)', async () => {
    const page = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ suppliers(first: 3) { edges { cursor } pageInfo { hasNextPage endCursor } } }',
    );
    expect(page.body.errors).toBeUndefined();
    const edges = page.body.data?.suppliers.edges as Array<{ cursor: string }>;
    expect(page.body.data?.suppliers.pageInfo).toEqual({ hasNextPage: true, endCursor: edges[2]!.cursor });
    const empty = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ suppliers(first: 3, filter: { modifiedAt_gte: "2999-01-01T00:00:00" }) { edges { cursor } pageInfo { endCursor } } }',
    );
    expect(empty.body.data?.suppliers).toEqual({ edges: null, pageInfo: { endCursor: null } });
  });

  it('Profitbase: glImportItems read incrementally with filter: { modifiedAt_gte }', async () => {
    // One staging line (unbalanced, so it fails and stays readable whatever the processing model).
    const added = await gql(
      sim,
      SEED_TOKENS.owner1,
      `mutation { addGLImportItems(inputs: [{ clientId: "pb-1", node: { postedDate: "2026-03-10",
        transactionSource: { code: "GL" }, account: { code: "6800" }, amount: "1.00", invoiceAmount: "1.00",
        jobLevel: { dbSubId: 1 }, extIdentifier: "profitbase-1" } }]) { edges { node { dbId } } } }`,
    );
    expect(added.body.errors, JSON.stringify(added.body.errors)).toBeUndefined();
    const query = `query ($after: String, $since: DateTimeString) {
      glImportItems(first: 1000, after: $after, filter: { modifiedAt_gte: $since }) {
        edges { cursor node { dbId extIdentifier amount invoiceAmount modifiedAt } } pageInfo { hasNextPage endCursor } } }`;
    const since = toCetWallClock(new Date(Date.now() - 60 * 60_000));
    const recent = await gql(sim, SEED_TOKENS.owner1, query, { after: null, since });
    expect(recent.body.errors, JSON.stringify(recent.body.errors)).toBeUndefined();
    const nodes = (recent.body.data?.glImportItems.edges as Array<{ node: Record<string, unknown> }>).map(
      (edge) => edge.node,
    );
    expect(nodes).toContainEqual(
      expect.objectContaining({ extIdentifier: 'profitbase-1', amount: '1.00', invoiceAmount: '1.00' }),
    );
    const later = await gql(sim, SEED_TOKENS.owner1, query, { after: null, since: '2999-01-01T00:00:00' });
    expect(later.body.data?.glImportItems.edges).toBeNull();
    // A string literal inline, as a client that declares no type name writes it.
    const inline = await gql(
      sim,
      SEED_TOKENS.owner1,
      `{ glImportItems(first: 10, filter: { modifiedAt_gte: "${since}" }) { edges { node { dbId } } } }`,
    );
    expect(inline.body.errors).toBeUndefined();
  });
});
