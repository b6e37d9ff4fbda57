import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { admin, gql, sleep } from './helpers';

let sim: RunningSimulator;
let supplierCode: string;
let clientSupplierCode: string;

const ADD = `mutation($inputs: [GLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) { edges { clientId node { dbId extIdentifier ownerDbId transaction { dbId } } } } }`;
const FIND = `query($ext: [String!]) { glImportItems(filter: { extIdentifier_in: $ext }) {
  edges { node { dbId extIdentifier ownerDbId amount transaction { dbId code } subledger { dbId code } } } } }`;
const ERRORS = `query($ids: [Int64String!]) { glImportItemErrors(filter: { glImportItemDbId_in: $ids }) {
  edges { node { message errorLevel createdAt glImportItem { dbId extIdentifier } } } } }`;

let voucherNumber = 1000;
/** A balanced supplier invoice: AP line, cost line, VAT line. */
function invoice(ext: string, overrides: { ap?: object; cost?: object; vat?: object; node?: object } = {}) {
  const trRegNumber = voucherNumber++;
  const common = {
    postedDate: '2025-03-10',
    invoiceDate: '2025-03-08',
    trRegNumber,
    extIdentifier: ext,
    ...overrides.node,
  };
  return [
    {
      clientId: `${ext}-ap`,
      node: {
        ...common,
        transactionSource: { code: 'AP' },
        account: { code: '2400' },
        amount: '-1250.00',
        subledger: { code: supplierCode },
        currency: { code: 'NOK' },
        invoiceNumber: ext,
        ...overrides.ap,
      },
    },
    {
      clientId: `${ext}-cost`,
      node: {
        ...common,
        account: { code: '6800' },
        amount: '1000.00',
        taxRule: { code: '1' },
        ...overrides.cost,
      },
    },
    {
      clientId: `${ext}-vat`,
      node: { ...common, account: { code: '2710' }, amount: '250.00', ...overrides.vat },
    },
  ];
}

async function post(inputs: unknown[], token: string = SEED_TOKENS.owner1) {
  const result = await gql(sim, token, ADD, { inputs });
  return result;
}

async function linesOf(ext: string, token: string = SEED_TOKENS.owner1) {
  const result = await gql(sim, token, FIND, { ext: [ext] });
  return result.body.data?.glImportItems.edges.map((edge: { node: unknown }) => edge.node) as Array<{
    dbId: number;
    transaction: { dbId: number; code: string } | null;
    subledger: { dbId: number | null; code: string };
  }>;
}

async function errorsOf(lineIds: number[]) {
  const result = await gql(sim, SEED_TOKENS.owner1, ERRORS, { ids: lineIds.map(String) });
  return result.body.data?.glImportItemErrors.edges.map((edge: { node: unknown }) => edge.node) as Array<{
    message: string;
    errorLevel: string;
    glImportItem: { dbId: number };
  }>;
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 2, suppliers: 500, importProcessingDelayMs: 150 });
  const truth = await admin(sim, 'GET', `/admin/truth/${SEED_ENTITIES.owner1}/suppliers`);
  const records = truth.body.records as Array<{ code: string; visibility: string; entityDbId: number }>;
  supplierCode = (records.find((record) => record.visibility === 'owner') as { code: string }).code;
  const onClient = await admin(sim, 'POST', '/admin/records/suppliers', {
    ownerDbId: SEED_ENTITIES.owner1Clients[0],
    code: 'CLIENT-ONLY-1',
    description: 'Client only AS',
  });
  clientSupplierCode = onClient.body.code;
  await admin(sim, 'POST', '/admin/records/suppliers', {
    ownerDbId: SEED_ENTITIES.owner2,
    code: 'OWNER2-ONLY',
    description: 'Other owner AS',
  });
});
afterAll(async () => {
  await sim.close();
});

describe('GL import', () => {
  it('accepts lines, echoes clientId, then posts the balanced voucher as one transaction', async () => {
    const result = await post(invoice('inv-ok-1'));
    expect(result.body.errors).toBeUndefined();
    const edges = result.body.data?.addGLImportItems.edges;
    expect(edges.map((edge: { clientId: string }) => edge.clientId)).toEqual([
      'inv-ok-1-ap',
      'inv-ok-1-cost',
      'inv-ok-1-vat',
    ]);
    expect(
      edges.every(
        (edge: { node: { ownerDbId: number; transaction: unknown } }) =>
          edge.node.ownerDbId === 101 && edge.node.transaction === null,
      ),
    ).toBe(true);

    const accepted = await linesOf('inv-ok-1');
    expect(accepted).toHaveLength(3);
    expect(accepted.every((line) => line.transaction === null)).toBe(true);

    await sleep(400);
    const posted = await linesOf('inv-ok-1');
    const transactions = new Set(posted.map((line) => line.transaction?.dbId));
    expect(transactions.size).toBe(1);
    expect([...transactions][0]).toEqual(expect.any(Number));
    expect(posted[0]?.subledger).toMatchObject({ code: supplierCode, dbId: expect.any(Number) });
    expect(await errorsOf(posted.map((line) => line.dbId))).toEqual([]);
  });

  it.each([
    [
      'an unknown supplier',
      { ap: { subledger: { code: 'NO-SUCH-SUPPLIER' } } },
      /Unknown supplier \(subledger\) NO-SUCH-SUPPLIER/,
    ],
    [
      "another owner's supplier",
      { ap: { subledger: { code: 'OWNER2-ONLY' } } },
      /Unknown supplier \(subledger\) OWNER2-ONLY/,
    ],
    ['an unknown account', { cost: { account: { code: '9999' } } }, /Unknown account 9999/],
    [
      'a tax rule that is not a TAX_RULE value',
      { cost: { taxRule: { code: '100' } } },
      /Unknown tax rule 100: not a value of object kind TAX_RULE/,
    ],
    ['an unknown currency', { ap: { currency: { code: 'XYZ' } } }, /Unknown currency XYZ/],
    ['an unbalanced voucher', { vat: { amount: '249.00' } }, /does not balance: its lines sum to -1.00/],
  ])('rejects %s with an import error and no transaction', async (_label, overrides, message) => {
    const ext = `inv-bad-${Math.random().toString(36).slice(2)}`;
    const result = await post(invoice(ext, overrides));
    expect(result.body.errors).toBeUndefined();
    await sleep(400);
    const lines = await linesOf(ext);
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => line.transaction === null)).toBe(true);
    const errors = await errorsOf(lines.map((line) => line.dbId));
    expect(errors.some((error) => message.test(error.message))).toBe(true);
    expect(errors.every((error) => error.errorLevel === 'ERROR')).toBe(true);
    // Every line of the failed voucher has at least one error.
    expect(new Set(errors.map((error) => error.glImportItem.dbId))).toEqual(
      new Set(lines.map((line) => line.dbId)),
    );
  });

  it('rejects a posting date inside a closed period set through the admin API', async () => {
    const closed = await admin(sim, 'PUT', `/admin/closed-periods/${SEED_ENTITIES.owner1}`, {
      closedTo: '2025-03-31',
    });
    expect(closed.status).toBe(200);
    try {
      await post(invoice('inv-closed'));
      await sleep(400);
      const lines = await linesOf('inv-closed');
      const errors = await errorsOf(lines.map((line) => line.dbId));
      expect(errors.map((error) => error.message)).toContain(
        'Posted date 2025-03-10 is in a closed period (closed up to 2025-03-31) in entity OWNER1',
      );
    } finally {
      await admin(sim, 'PUT', `/admin/closed-periods/${SEED_ENTITIES.owner1}`, { closedTo: null });
    }
  });

  it('posts into a client entity named by node.owner, using that client’s own supplier', async () => {
    const lines = invoice('inv-client', {
      node: { owner: { code: 'O1-C1' } },
      ap: { subledger: { code: clientSupplierCode } },
    });
    const result = await post(lines);
    expect(result.body.data?.addGLImportItems.edges[0].node.ownerDbId).toBe(SEED_ENTITIES.owner1Clients[0]);
    await sleep(400);
    expect((await linesOf('inv-client')).every((line) => line.transaction !== null)).toBe(true);
    // The same client supplier is unknown in a sibling client.
    await post(
      invoice('inv-sibling', {
        node: { owner: { code: 'O1-C2' } },
        ap: { subledger: { code: clientSupplierCode } },
      }),
    );
    await sleep(400);
    expect((await linesOf('inv-sibling')).every((line) => line.transaction === null)).toBe(true);
  });

  it('refuses an owner the token cannot see, creating nothing', async () => {
    const result = await post(invoice('inv-forbidden', { node: { owner: { dbId: SEED_ENTITIES.owner2 } } }));
    expect(result.body.errors?.[0]?.code).toBe('FORBIDDEN');
    expect(await linesOf('inv-forbidden', SEED_TOKENS.root)).toEqual([]);
  });

  it('refuses more than 500 nodes per request', async () => {
    const inputs = Array.from({ length: 501 }, (_, index) => ({
      clientId: String(index),
      node: {
        extIdentifier: 'inv-too-many',
        account: { code: '6800' },
        amount: '0.00',
        postedDate: '2025-03-10',
      },
    }));
    const result = await post(inputs);
    expect(result.body.errors?.[0]).toMatchObject({ code: 'INVALID_VALUE' });
    expect(await linesOf('inv-too-many')).toEqual([]);
  });

  it('never de-duplicates: the same extIdentifier twice makes two vouchers, which the admin API counts', async () => {
    await post(invoice('inv-dup'));
    await post(invoice('inv-dup'));
    const lines = await linesOf('inv-dup');
    expect(lines).toHaveLength(6);
    const listing = await admin(sim, 'GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`);
    expect(listing.body.duplicates).toContainEqual({ extIdentifier: 'inv-dup', count: 6 });
    // Lines are only visible to tokens that see their owner.
    expect(await linesOf('inv-dup', SEED_TOKENS.owner2)).toEqual([]);
  });

  it('commitThenDrop: the request fails on the wire, but the lines exist and get posted', async () => {
    await admin(sim, 'POST', '/admin/faults', { kind: 'commitThenDrop', field: 'addGLImportItems' });
    await expect(post(invoice('inv-dropped'))).rejects.toThrow();
    const found = await linesOf('inv-dropped');
    expect(found).toHaveLength(3);
    await sleep(400);
    expect((await linesOf('inv-dropped')).every((line) => line.transaction !== null)).toBe(true);
  });
});

describe('GL import processing on demand', () => {
  let slow: RunningSimulator;
  beforeAll(async () => {
    slow = await startSimulator({ seed: 2, suppliers: 200, importProcessingDelayMs: 60_000 });
  });
  afterAll(async () => {
    await slow.close();
  });

  it('POST /admin/gl-import/process processes pending lines now', async () => {
    const truth = await admin(slow, 'GET', `/admin/truth/${SEED_ENTITIES.owner2}/suppliers`);
    const code = (truth.body.records as Array<{ code: string; visibility: string }>).find(
      (record) => record.visibility === 'owner',
    )?.code;
    const lines = [
      {
        node: {
          postedDate: '2025-01-02',
          trRegNumber: 1,
          extIdentifier: 'now-1',
          account: { code: '2400' },
          amount: '-10.00',
          subledger: { code },
        },
      },
      {
        node: {
          postedDate: '2025-01-02',
          trRegNumber: 1,
          extIdentifier: 'now-1',
          account: { code: '4000' },
          amount: '10.00',
        },
      },
    ];
    await gql(slow, SEED_TOKENS.owner2, ADD, { inputs: lines });
    const before = await admin(slow, 'GET', `/admin/gl-import/${SEED_ENTITIES.owner2}`);
    expect(before.body.lines.map((line: { status: string }) => line.status)).toEqual([
      'ACCEPTED',
      'ACCEPTED',
    ]);
    expect((await admin(slow, 'POST', '/admin/gl-import/process')).body).toEqual({ processed: 2 });
    const after = await admin(slow, 'GET', `/admin/gl-import/${SEED_ENTITIES.owner2}`);
    expect(after.body.lines.map((line: { status: string }) => line.status)).toEqual(['POSTED', 'POSTED']);
  });
});
