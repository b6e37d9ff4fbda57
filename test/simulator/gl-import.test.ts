import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { admin, gql, sleep } from './helpers';

/**
 * Xledger's processing of staged lines, simulated: long enough that a read right after a create
 * still sees the lines unprocessed on a loaded machine, and waited out with room to spare.
 */
const PROCESSING_MS = 1_000;
const AFTER_PROCESSING_MS = PROCESSING_MS + 300;

let sim: RunningSimulator;
let supplierCode: string;
let clientSupplierCode: string;

const ADD = `mutation($inputs: [AddGLImportItemsInput!]!) {
  addGLImportItems(inputs: $inputs) {
    edges { clientId node { dbId extIdentifier ownerDbId jobLevel { dbId dbSubId } jobLevelDbId } } } }`;
const FIND = `query($ext: [String!]) { glImportItems(filter: { extIdentifier_in: $ext }) {
  edges { node { dbId extIdentifier ownerDbId amount invoiceAmount text modifiedAt subledger { dbId code } } } } }`;
const PAYABLES = `query($ext: [String!]) { apTransactions(filter: { extIdentifier_in: $ext }) {
  edges { node { dbId extIdentifier invoiceNumber amount ownerDbId subledgerDbId
    transactionHeader { dbId transactionNumber postedDate transactionSource { code } jobLevel { dbSubId } } } } } }`;
const ERRORS = `query($ids: [Int!]) { glImportItemErrors(filter: { transactionDbId_in: $ids }) {
  edges { node { message errorLevel { dbId code name } errorLevelDbId transactionDbId createdAt } } } }`;

let voucherNumber = 1000;
/** A balanced supplier invoice: AP line, cost line, VAT line. */
function invoice(ext: string, overrides: { ap?: object; cost?: object; vat?: object; node?: object } = {}) {
  const trRegNumber = voucherNumber++;
  const common = {
    postedDate: '2025-03-10',
    invoiceDate: '2025-03-08',
    trRegNumber,
    extIdentifier: ext,
    jobLevel: { dbSubId: 1 },
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

/** The nodes of a connection; an empty one answers `"edges": null` (H). */
function nodesOf<T>(connection: { edges: Array<{ node: T }> | null } | undefined): T[] {
  expect(connection).toBeDefined();
  expect(connection?.edges).not.toEqual([]);
  return (connection?.edges ?? []).map((edge) => edge.node);
}

/** Staging lines as glImportItems serves them (posted ones are gone in the default model). */
async function linesOf(ext: string, token: string = SEED_TOKENS.owner1) {
  const result = await gql(sim, token, FIND, { ext: [ext] });
  expect(result.body.errors).toBeUndefined();
  return nodesOf(result.body.data?.glImportItems) as Array<{
    dbId: number;
    subledger: { dbId: number | null; code: string };
  }>;
}

async function payablesOf(ext: string, token: string = SEED_TOKENS.owner1) {
  const result = await gql(sim, token, PAYABLES, { ext: [ext] });
  expect(result.body.errors).toBeUndefined();
  return nodesOf(result.body.data?.apTransactions) as Array<{
    dbId: number;
    extIdentifier: string;
    amount: string;
    subledgerDbId: number;
    transactionHeader: { dbId: number; transactionNumber: number; postedDate: string };
  }>;
}

async function errorsOf(lineIds: number[]) {
  const result = await gql(sim, SEED_TOKENS.owner1, ERRORS, { ids: lineIds });
  expect(result.body.errors).toBeUndefined();
  return nodesOf(result.body.data?.glImportItemErrors) as Array<{
    message: string;
    errorLevel: { dbId: number; code: string; name: string };
    errorLevelDbId: number;
    transactionDbId: number;
  }>;
}

/** Ground truth from the admin API: every line ever staged, with its internal status. */
async function truthOf(ext: string) {
  const listing = await admin(sim, 'GET', `/admin/gl-import/${SEED_ENTITIES.owner1}`);
  return (
    listing.body.lines as Array<{ dbId: number; extIdentifier: string; status: string; readable: boolean }>
  ).filter((line) => line.extIdentifier === ext);
}

async function setModel(processedLines: 'disappear' | 'stay') {
  const result = await admin(sim, 'PUT', '/admin/gl-import/model', { processedLines });
  expect(result.body).toMatchObject({ processedLines });
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 2, suppliers: 500, importProcessingDelayMs: PROCESSING_MS });
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
  it('accepts lines with a jobLevel, echoes clientId, then posts the balanced voucher: its payable in apTransactions', async () => {
    const result = await post(invoice('inv-ok-1'));
    expect(result.body.errors).toBeUndefined();
    const edges = result.body.data?.addGLImportItems.edges;
    expect(edges.map((edge: { clientId: string }) => edge.clientId)).toEqual([
      'inv-ok-1-ap',
      'inv-ok-1-cost',
      'inv-ok-1-vat',
    ]);
    expect(edges[0].node).toMatchObject({ ownerDbId: 101, jobLevel: { dbId: null, dbSubId: 1 } });

    const accepted = await linesOf('inv-ok-1');
    expect(accepted).toHaveLength(3);
    expect(await payablesOf('inv-ok-1')).toEqual([]);

    await sleep(AFTER_PROCESSING_MS);
    // The default model (A): a posted line leaves glImportItems…
    expect(await linesOf('inv-ok-1')).toEqual([]);
    expect((await truthOf('inv-ok-1')).map((line) => [line.status, line.readable])).toEqual([
      ['POSTED', false],
      ['POSTED', false],
      ['POSTED', false],
    ]);
    // …and the accounts-payable line is a posted payable, with the line's extIdentifier.
    const payables = await payablesOf('inv-ok-1');
    expect(payables).toHaveLength(1);
    expect(payables[0]).toMatchObject({
      extIdentifier: 'inv-ok-1',
      amount: '-1250.00',
      subledgerDbId: expect.any(Number),
      transactionHeader: {
        dbId: expect.any(Number),
        transactionNumber: expect.any(Number),
        postedDate: '2025-03-10',
      },
    });
    expect(await errorsOf(accepted.map((line) => line.dbId))).toEqual([]);
  });

  it('in the `stay` model, posted lines stay readable beside their payable', async () => {
    await setModel('stay');
    try {
      await post(invoice('inv-stay'));
      await sleep(AFTER_PROCESSING_MS);
      const lines = await linesOf('inv-stay');
      expect(lines).toHaveLength(3);
      expect(lines[0]?.subledger).toMatchObject({ code: supplierCode, dbId: expect.any(Number) });
      expect(await payablesOf('inv-stay')).toHaveLength(1);
    } finally {
      await setModel('disappear');
    }
    // The model applies to reads: the same lines are gone once it is `disappear` again.
    expect(await linesOf('inv-stay')).toEqual([]);
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
  ])(
    'rejects %s with an import error and no payable; the failed lines stay',
    async (_label, overrides, message) => {
      const ext = `inv-bad-${Math.random().toString(36).slice(2)}`;
      const result = await post(invoice(ext, overrides));
      expect(result.body.errors).toBeUndefined();
      await sleep(AFTER_PROCESSING_MS);
      const lines = await linesOf(ext);
      expect(lines).toHaveLength(3);
      expect(await payablesOf(ext)).toEqual([]);
      const errors = await errorsOf(lines.map((line) => line.dbId));
      expect(errors.some((error) => message.test(error.message))).toBe(true);
      // errorLevel is an object, with its dbId beside it (M).
      for (const error of errors) {
        expect(error.errorLevel).toMatchObject({ code: 'ERROR', name: 'Error', dbId: expect.any(Number) });
        expect(error.errorLevelDbId).toBe(error.errorLevel.dbId);
      }
      // Every line of the failed voucher has at least one error (A: transactionDbId is the line).
      expect(new Set(errors.map((error) => error.transactionDbId))).toEqual(
        new Set(lines.map((line) => line.dbId)),
      );
    },
  );

  it('rejects a posting date inside a closed period set through the admin API', async () => {
    const closed = await admin(sim, 'PUT', `/admin/closed-periods/${SEED_ENTITIES.owner1}`, {
      closedTo: '2025-03-31',
    });
    expect(closed.status).toBe(200);
    try {
      await post(invoice('inv-closed'));
      await sleep(AFTER_PROCESSING_MS);
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
    await sleep(AFTER_PROCESSING_MS);
    const payables = await payablesOf('inv-client');
    expect(payables).toHaveLength(1);
    expect(payables[0]).toMatchObject({ ownerDbId: SEED_ENTITIES.owner1Clients[0] });
    // The same client supplier is unknown in a sibling client.
    await post(
      invoice('inv-sibling', {
        node: { owner: { code: 'O1-C2' } },
        ap: { subledger: { code: clientSupplierCode } },
      }),
    );
    await sleep(AFTER_PROCESSING_MS);
    expect(await payablesOf('inv-sibling')).toEqual([]);
    expect(await linesOf('inv-sibling')).toHaveLength(3);
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
        jobLevel: { dbSubId: 1 },
      },
    }));
    const result = await post(inputs);
    expect(result.body.errors?.[0]).toMatchObject({ code: 'INVALID_VALUE' });
    expect(await linesOf('inv-too-many')).toEqual([]);
  });

  it.each([
    ['a line without jobLevel', { vat: { jobLevel: null } }, /inputs\[2\]\.node\.jobLevel is required/],
    [
      'a trRegNumber of more than 8 digits',
      { node: { trRegNumber: 123_456_789 } },
      /trRegNumber 123456789 .*8 digits/,
    ],
  ])('(A) refuses %s, creating nothing', async (_label, overrides, message) => {
    const ext = `inv-refused-${Math.random().toString(36).slice(2)}`;
    const result = await post(invoice(ext, overrides));
    expect(result.body.errors?.[0]).toMatchObject({
      code: 'INVALID_VALUE',
      message: expect.stringMatching(message),
    });
    expect(await truthOf(ext)).toEqual([]);
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
    await sleep(AFTER_PROCESSING_MS);
    expect(await payablesOf('inv-dup')).toHaveLength(2);
    expect(await payablesOf('inv-dup', SEED_TOKENS.owner2)).toEqual([]);
  });

  it('commitThenDrop: the request fails on the wire, but the lines exist and get posted', async () => {
    await admin(sim, 'POST', '/admin/faults', { kind: 'commitThenDrop', field: 'addGLImportItems' });
    await expect(post(invoice('inv-dropped'))).rejects.toThrow();
    const found = await linesOf('inv-dropped');
    expect(found).toHaveLength(3);
    await sleep(AFTER_PROCESSING_MS);
    expect(await linesOf('inv-dropped')).toEqual([]);
    expect(await payablesOf('inv-dropped')).toHaveLength(1);
  });

  it('slow: a create runs to its end after the client hung up (it lands after the client timed out)', async () => {
    await admin(sim, 'POST', '/admin/faults', { kind: 'slow', field: 'addGLImportItems', delayMs: 600 });
    const hungUp = fetch(sim.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `token ${SEED_TOKENS.owner1}` },
      body: JSON.stringify({ query: ADD, variables: { inputs: invoice('inv-late') } }),
      signal: AbortSignal.timeout(150),
    });
    await expect(hungUp).rejects.toThrow();
    expect((await truthOf('inv-late')).length).toBe(0);
    await sleep(600 + AFTER_PROCESSING_MS);
    expect(await payablesOf('inv-late')).toHaveLength(1);
  });

  it('duplicateCommit: one request, one answer, the voucher held twice', async () => {
    await admin(sim, 'POST', '/admin/faults', { kind: 'duplicateCommit', field: 'addGLImportItems' });
    const result = await post(invoice('inv-twice'));
    expect(result.body.data?.addGLImportItems.edges).toHaveLength(3);
    await sleep(AFTER_PROCESSING_MS);
    expect(await payablesOf('inv-twice')).toHaveLength(2);
  });

  it('lookupLagMs: what was written is read only after the lag', async () => {
    expect((await admin(sim, 'PUT', '/admin/gl-import/model', { lookupLagMs: 700 })).body).toEqual({
      processedLines: 'disappear',
      lookupLagMs: 700,
    });
    try {
      await post(invoice('inv-lag'));
      const hidden = await gql(sim, SEED_TOKENS.owner1, FIND, { ext: ['inv-lag'] });
      expect(hidden.body.data?.glImportItems.edges).toBeNull();
      expect((await truthOf('inv-lag')).length).toBe(3);
      await sleep(AFTER_PROCESSING_MS); // processed, its payable still lagging (700 ms after it)
      const lagging = await gql(sim, SEED_TOKENS.owner1, PAYABLES, { ext: ['inv-lag'] });
      expect(lagging.body.data?.apTransactions.edges).toBeNull();
      await sleep(800);
      expect(await payablesOf('inv-lag')).toHaveLength(1);
    } finally {
      await admin(sim, 'PUT', '/admin/gl-import/model', { lookupLagMs: 0 });
    }
  });

  it('empty connections answer "edges": null', async () => {
    const result = await gql(
      sim,
      SEED_TOKENS.owner1,
      `{ glImportItems(filter: { extIdentifier_in: ["none"] }) { edges { cursor } pageInfo { hasNextPage } }
         glImportItemErrors(filter: { transactionDbId_in: [1] }) { edges { cursor } }
         apTransactions(filter: { extIdentifier: "none" }) { edges { cursor } } }`,
    );
    expect(result.body).toEqual({
      data: {
        glImportItems: { edges: null, pageInfo: { hasNextPage: false } },
        glImportItemErrors: { edges: null },
        apTransactions: { edges: null },
      },
    });
  });

  it('the processing model is read and switched through the admin API, which validates it', async () => {
    expect((await admin(sim, 'GET', '/admin/gl-import/model')).body).toEqual({
      processedLines: 'disappear',
      lookupLagMs: 0,
    });
    const bad = await admin(sim, 'PUT', '/admin/gl-import/model', { processedLines: 'vanish' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/processedLines/);
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
          jobLevel: { dbSubId: 1 },
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
          jobLevel: { dbSubId: 1 },
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
