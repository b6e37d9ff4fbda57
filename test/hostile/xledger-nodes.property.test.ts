/**
 * Hostile Xledger answers, property-based (fast-check), through the real sync activity and the
 * real store: the tenant's endpoint is a proxy in front of the simulator that rewrites the
 * supplier nodes it passes on — fields nulled, removed, mistyped, very long, odd unicode, extra
 * fields with odd names, ids beyond 53 bits written as JSON numbers, and a record served twice
 * across pages. Each full pass must complete; every record it was not told about lands as in
 * the truth, every mutated one lands or becomes a reject whose reason names the field; nothing
 * else is lost.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/activities';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import type { StreamFigures } from '../../src/domain/figures';
import { attemptOf, harnessActivities } from '../support/activities';
import { startHarness, type Harness } from '../support/harness';
import { DATA_TYPE_TRUTH, liveDocs, truth, type TruthRecord } from '../support/sync';
import type { RejectedRecord } from '../../src/domain/records';

const OWNER = SEED_ENTITIES.owner1;
const PAGE_SIZE = 10;
const SPEC = DATA_TYPE_TRUTH.suppliers![0]!;
/** Beyond 2^53: as a JSON number it cannot be read exactly by JavaScript. */
const BIG = '9007199254740993';

type Mutation =
  | { kind: 'null' | 'remove'; field: string }
  | { kind: 'set'; field: string; value: unknown }
  | { kind: 'bigNumber'; field: 'dbId' | 'ownerDbId' }
  | { kind: 'extra'; key: string; value: unknown };

interface Plan {
  /** Node changes by the record's dbId. */
  mutations: Map<number, Mutation[]>;
  /** A record served again, first on a later page than its own. */
  duplicate: number | null;
}

let h: Harness;
let activities: Activities;
let proxyUrl: string;
let proxy: http.Server;
let plan: Plan = { mutations: new Map(), duplicate: null };
let truthRecords: TruthRecord[];

function applyMutation(node: Record<string, unknown>, mutation: Mutation): void {
  switch (mutation.kind) {
    case 'null':
      node[mutation.field] = null;
      break;
    case 'remove':
      delete node[mutation.field];
      break;
    case 'set':
      node[mutation.field] = mutation.value;
      break;
    case 'bigNumber':
      node[mutation.field] = `@@BIG@@`;
      break;
    case 'extra':
      node[mutation.key] = mutation.value;
      break;
  }
}

/** Applies the plan to one answer; returns the JSON text to send. */
function rewrite(text: string, served: Map<number, unknown>): string {
  const answer = JSON.parse(text) as {
    data?: Record<string, { edges?: Array<{ node: Record<string, unknown> }> }>;
  };
  const connection = answer.data?.suppliers;
  if (!connection?.edges) return text;
  const originals = connection.edges.map((edge) => ({ ...edge.node }));
  for (const edge of connection.edges) {
    const node = edge.node;
    for (const mutation of plan.mutations.get(node.dbId as number) ?? []) applyMutation(node, mutation);
  }
  const ids = new Set(originals.map((node) => node.dbId as number));
  if (plan.duplicate !== null && served.has(plan.duplicate) && !ids.has(plan.duplicate)) {
    // First on the page: the page's last cursor, and so the paging, stay as they were.
    connection.edges.unshift({ cursor: String(plan.duplicate), node: served.get(plan.duplicate) } as never);
  }
  for (const node of originals) served.set(node.dbId as number, node);
  return JSON.stringify(answer).replaceAll('"@@BIG@@"', BIG);
}

beforeAll(async () => {
  h = await startHarness({ seed: 17, suppliers: 60 });
  activities = harnessActivities(h, { pageSize: PAGE_SIZE });
  truthRecords = await truth(h, OWNER, 'suppliers');
  let served = new Map<number, unknown>();
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!JSON.parse(body.toString()).variables?.after) served = new Map();
      void fetch(h.sim.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body,
      })
        .then(async (answer) => {
          const text = rewrite(await answer.text(), served);
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await h?.close();
});

const FIELDS = [
  'dbId',
  'ownerDbId',
  'code',
  'description',
  'email',
  'fromDate',
  'toDate',
  'modifiedAt',
  'company',
  'glObject1',
];
const ODD_STRINGS = ['\u202Eevil', 'a\u0000b', '\uD800', 'ℌ𝔢𝔩𝔩𝔬', '٣٤٥', 'e\u0301', '\u200B', '', ' '];
const ODD_KEYS = ['$where', 'a.b', '', '\u0000', '__proto__x', 'ℌ', 'x'.repeat(500)];

/** A value that still reads as a record or entity id: another record or owner, not a hostile one. */
const readableId = (value: unknown) =>
  (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
  (typeof value === 'string' && /^\d+$/.test(value) && Number.isSafeInteger(Number(value)));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('null' as const, 'remove' as const), field: fc.constantFrom(...FIELDS) }),
  fc
    .record({
      kind: fc.constant('set' as const),
      field: fc.constantFrom(...FIELDS),
      value: fc.oneof(
        fc.constantFrom<unknown>(
          42,
          -1,
          1.5,
          true,
          [],
          {},
          ['x'],
          { dbId: 'x' },
          '2024-02-31',
          'yesterday',
          BIG,
        ),
        fc.constantFrom(...ODD_STRINGS),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.integer({ min: 1_000, max: 100_000 }).map((n) => 'ø'.repeat(n)),
      ),
    })
    .filter((change) => !(['dbId', 'ownerDbId'].includes(change.field) && readableId(change.value))),
  fc.record({
    kind: fc.constant('bigNumber' as const),
    field: fc.constantFrom('dbId' as const, 'ownerDbId' as const),
  }),
  fc.record({
    kind: fc.constant('extra' as const),
    key: fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ minLength: 1, maxLength: 12 })),
    value: fc.oneof(fc.constant(null), fc.string({ maxLength: 10 }), fc.integer(), fc.constant({ $gt: 1 })),
  }),
);

/** The fields a node's mutations touch, as a reject's reason would name them. */
function touched(changes: Mutation[]): string[] {
  return changes.flatMap((change) => (change.kind === 'extra' ? [] : [change.field]));
}

/** Whether a mutation takes the record's id out of reach (its reject cannot name the record). */
function losesId(changes: Mutation[]): boolean {
  return changes.some(losesIdBy);
}

function losesIdBy(change: Mutation): boolean {
  if (change.kind === 'extra' || change.field !== 'dbId') return false;
  if (change.kind === 'set') {
    const value = change.value;
    return !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
  }
  return true;
}

let run = 0;

describe('hostile Xledger nodes in a full pass', () => {
  it('land, or become a reject naming the field; nothing else is lost; no pass crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        // One or two changes to each of one to five records (a broken field and an odd key together
        // put the odd key into the stored reject).
        fc.uniqueArray(
          fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.array(mutation, { minLength: 1, maxLength: 2 })),
          {
            minLength: 1,
            maxLength: 5,
            selector: ([index]) => index,
          },
        ),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
        async (changes, duplicateIndex) => {
          const ids = truthRecords.map((record) => record.dbId).sort((x, y) => x - y);
          const pick = (index: number) => ids[index % ids.length]!;
          const mutations = new Map<number, Mutation[]>();
          for (const [index, change] of changes) mutations.set(pick(index), change);
          // A duplicate of a record of the first page, served again on a later one.
          const duplicate = duplicateIndex === null ? null : pick(duplicateIndex % PAGE_SIZE);
          plan = { mutations, duplicate: duplicate !== null && mutations.has(duplicate) ? null : duplicate };

          const tenantId = `hostile-${++run}`;
          await h.saveTenant({
            tenantId,
            xledger: { endpoint: proxyUrl, token: SEED_TOKENS.owner1 },
            entityOwnerDbId: OWNER,
          });
          const figures = (await attemptOf(`hostile-run-${run}`, 1).run(activities.syncStream, {
            tenantId,
            dataType: 'suppliers',
            stream: 'suppliers',
            mode: 'full' as const,
          })) as StreamFigures;

          const stored = new Map(
            (await liveDocs(h, SPEC.collection, tenantId)).map((doc) => [doc.dbId, doc]),
          );
          const rejects = await h.store.db
            .collection<RejectedRecord>(collections.rejects)
            .find({ tenantId })
            .toArray();
          const rejectedIds = new Map(rejects.map((reject) => [reject.dbId, reject]));
          for (const reject of rejects) {
            expect(reject.stream).toBe('suppliers');
            expect(reject.reason.length).toBeGreaterThan(0);
          }
          let idLost = 0;
          for (const record of truthRecords) {
            const change = mutations.get(record.dbId);
            const doc = stored.get(record.dbId);
            if (!change) {
              // Untouched: stored exactly as in the truth, and never a reject.
              expect(doc, `record ${record.dbId}`).toBeDefined();
              for (const field of ['entityDbId', 'visibility', ...SPEC.keyFields]) {
                expect(doc![field as keyof typeof doc] ?? null, `${record.dbId}.${field}`).toEqual(
                  record[field] ?? null,
                );
              }
              expect(rejectedIds.has(record.dbId)).toBe(false);
              continue;
            }
            if (losesId(change)) {
              idLost += 1;
              continue;
            }
            const reject = rejectedIds.get(record.dbId);
            // Mutated: it landed, or it is a reject whose reason names what was wrong.
            expect(doc !== undefined || reject !== undefined, `record ${record.dbId} lost`).toBe(true);
            if (reject && !doc) {
              const reason = reject.reason;
              expect(
                touched(change).some((field) => reason.includes(field)),
                `reason "${reason.slice(0, 200)}" for ${JSON.stringify(change).slice(0, 200)}`,
              ).toBe(true);
            }
          }
          // Records whose id Xledger garbled are rejects without an id, one each.
          expect(rejects.filter((reject) => reject.dbId === null)).toHaveLength(idLost);
          // Nothing of another owner, nothing invented.
          for (const dbId of stored.keys()) expect(ids).toContain(dbId);
          expect(figures.deleted).toBe(0);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 12), endOnFailure: true },
    );
  });
});
