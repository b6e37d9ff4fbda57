/**
 * Measures which bulk commands FerretDB v1 (SQLite backend, as `npm start` and the tests run
 * it) finishes, and which lock it up for good. Each case runs on a fresh FerretDB against a
 * collection of SEED documents, with a timeout; a case that times out is a hang when, after
 * it, a find on the same database gets no answer either ("same db after: stuck"). Prints one
 * table; src/store/bounded.ts quotes its figures. All cases take about 15 minutes.
 *   npm run bench -- ferretdb-limits [--timeout 20] [--only <substring>]
 * `--only` runs only the cases whose name contains it. Not part of `all`: it measures the
 * server, not this service.
 *
 * Why (FerretDB v1.24.2 source): each database is one SQLite pool of 100 connections; the
 * update handler closes each statement's query only when the whole command ends, and a
 * single-document statement (updateOne, replaceOne) stops reading after its first match, so
 * its connection stays taken; statement 100 then waits for a connection that is never freed.
 * Concurrent commands on the same database share that pool. A delete puts every matched id
 * into one SQL statement (SQLite allows 32,766 parameters). And FerretDB's SQL spells the
 * `_id` path differently from its `_id` index, so every look-up or update by `_id` scans.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type AnyBulkWriteOperation, type Collection, type Db } from 'mongodb';
import { startMongoServer, type RunningMongo } from '../../src/devstack/mongo-server';
import { getFreePorts } from '../../src/devstack/ports';
import { resolveMongoServer } from '../../src/devstack/tools';
import { progress, type Row, type ScenarioResult } from '../support/report';

const SEED = 10_000;
const TENANT = 't';

interface Doc {
  _id: string;
  tenantId: string;
  dbId: number;
  deletedAt: Date | null;
  name: string;
}

const idOf = (n: number) => `${TENANT}:${n}`;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => idOf(from + i));
const doc = (n: number): Doc => ({
  _id: idOf(n),
  tenantId: TENANT,
  dbId: n,
  deletedAt: null,
  name: `record ${n} `.padEnd(200, 'x'),
});

type Case = {
  name: string;
  /** Documents in the collection before the case runs (default SEED). */
  seed?: number;
  /** For cases that are slow rather than stuck (default: the command-line timeout). */
  timeoutMs?: number;
  run: (c: Collection<Doc>, db: Db) => Promise<string>;
};

const updateOnes = (n: number, from = 1): AnyBulkWriteOperation<Doc>[] =>
  ids(n, from).map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { name: 'changed' } } } }));

const bulk = async (c: Collection<Doc>, ops: AnyBulkWriteOperation<Doc>[]) => {
  const r = await c.bulkWrite(ops, { ordered: false });
  return `matched ${r.matchedCount}, modified ${r.modifiedCount}, upserted ${r.upsertedCount}`;
};

const updateManys = (n: number, from = 1): AnyBulkWriteOperation<Doc>[] =>
  ids(n, from).map((_id) => ({ updateMany: { filter: { _id }, update: { $set: { name: 'changed' } } } }));

const concurrently =
  (k: number, n: number, ops: (n: number, from: number) => AnyBulkWriteOperation<Doc>[]) =>
  async (c: Collection<Doc>) => {
    const results = await Promise.all(
      Array.from({ length: k }, (_, j) => c.bulkWrite(ops(n, 1 + j * n), { ordered: false })),
    );
    return `modified ${results.reduce((sum, r) => sum + r.modifiedCount, 0)}`;
  };

/** Sequential single-document commands: what one costs at this collection size. */
const perCommand =
  (label: string, command: (c: Collection<Doc>, id: string) => Promise<unknown>) =>
  async (c: Collection<Doc>) => {
    const count = await c.estimatedDocumentCount();
    const started = performance.now();
    // Ids spread over the table: FerretDB scans it in insertion order.
    for (let i = 0; i < 20; i++) await command(c, idOf(1 + Math.floor(((i + 0.5) * count) / 20)));
    return `${((performance.now() - started) / 20).toFixed(1)} ms per ${label}`;
  };

const cases: Case[] = [
  ...[25, 50, 98, 99, 100, 150, 500].map((n): Case => ({
    name: `bulkWrite ${n} updateOne {_id} (matching)`,
    run: (c) => bulk(c, updateOnes(n)),
  })),
  ...[99, 100].map((n): Case => ({
    name: `bulkWrite ${n} replaceOne {_id} (matching)`,
    run: (c) =>
      bulk(
        c,
        ids(n).map((_id, i) => ({
          replaceOne: { filter: { _id }, replacement: { ...doc(i + 1), name: 'replaced' }, upsert: true },
        })),
      ),
  })),
  ...[99, 100].map((n): Case => ({
    name: `bulkWrite ${n} updateOne {_id,tenantId,deletedAt}`,
    run: (c) =>
      bulk(
        c,
        ids(n).map((_id) => ({
          updateOne: {
            filter: { _id, tenantId: TENANT, deletedAt: null },
            update: { $set: { deletedAt: new Date() } },
          },
        })),
      ),
  })),
  {
    name: 'bulkWrite 500 updateOne {_id} upsert (none matching)',
    timeoutMs: 120_000,
    run: (c) =>
      bulk(
        c,
        ids(500, SEED + 1).map((_id, i) => ({
          updateOne: {
            filter: { _id },
            update: { $set: { tenantId: TENANT, dbId: SEED + 1 + i, deletedAt: null, name: 'new' } },
            upsert: true,
          },
        })),
      ),
  },
  ...[99, 100, 500].map((n): Case => ({
    name: `bulkWrite ${n} updateMany {_id} (matching)`,
    timeoutMs: 120_000,
    run: (c) => bulk(c, updateManys(n)),
  })),
  ...[50, 100, 500, 10_000].map((n): Case => ({
    name: `updateMany $in ${n} ids`,
    timeoutMs: n > 500 ? 600_000 : 120_000,
    run: async (c) => {
      const r = await c.updateMany(
        { tenantId: TENANT, _id: { $in: ids(n) }, deletedAt: null },
        { $set: { deletedAt: new Date() } },
      );
      return `matched ${r.matchedCount}, modified ${r.modifiedCount}`;
    },
  })),
  ...[50, 500, 10_000, 100_000].map((n): Case => ({
    name: `find $in ${n} ids`,
    run: async (c) =>
      `found ${(await c.find({ _id: { $in: ids(n) } }, { projection: { _id: 1 } }).toArray()).length}`,
  })),
  ...[50, 500, 10_000].map((n): Case => ({
    name: `deleteMany $in ${n} ids`,
    run: async (c) => `deleted ${(await c.deleteMany({ _id: { $in: ids(n) } })).deletedCount}`,
  })),
  {
    name: `deleteMany {tenantId} (all ${SEED})`,
    run: async (c) => `deleted ${(await c.deleteMany({ tenantId: TENANT })).deletedCount}`,
  },
  // FerretDB deletes what matched in one SQL statement, one parameter per document.
  ...[32_766, 32_767].map((seed): Case => ({
    name: `deleteMany {tenantId} (all ${seed})`,
    seed,
    run: async (c) => `deleted ${(await c.deleteMany({ tenantId: TENANT })).deletedCount}`,
  })),
  {
    name: 'insertMany 10,000',
    seed: 0,
    run: async (c) =>
      `inserted ${
        (
          await c.insertMany(
            Array.from({ length: 10_000 }, (_, i) => doc(i + 1)),
            { ordered: false },
          )
        ).insertedCount
      }`,
  },
  {
    name: 'insertMany 100,000 (10 × 10,000)',
    seed: 0,
    run: async (c) => {
      let inserted = 0;
      for (let page = 0; page < 10; page++) {
        const docs = Array.from({ length: 10_000 }, (_, i) => doc(page * 10_000 + i + 1));
        inserted += (await c.insertMany(docs, { ordered: false })).insertedCount;
      }
      return `inserted ${inserted}`;
    },
  },
  // Concurrent commands on one database share its pool of 100 connections.
  ...[
    [2, 50],
    [2, 60],
    [2, 90],
    [4, 40],
    [8, 25],
    [8, 50],
  ].map(([k, n]): Case => ({
    name: `${k} concurrent bulkWrites of ${n} updateOne {_id}`,
    timeoutMs: 60_000,
    run: concurrently(k!, n!, updateOnes),
  })),
  // FerretDB v1's SQLite backend never uses its `_id` index (its queries say ->'$._id', the
  // index ->"_id"): a lookup or update by `_id` scans the table.
  ...[1_000, 10_000, 100_000].flatMap((seed): Case[] => [
    {
      name: `updateOne {_id} at ${seed} documents`,
      seed,
      timeoutMs: 120_000,
      run: perCommand('update', (c, _id) => c.updateOne({ _id }, { $set: { name: 'changed' } })),
    },
    {
      name: `find {_id} at ${seed} documents`,
      seed,
      timeoutMs: 120_000,
      run: perCommand('find', (c, _id) => c.find({ _id }).toArray()),
    },
  ]),
];

async function startFerret(bin: string): Promise<{ mongo: RunningMongo; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferretdb-limits-'));
  const [port] = await getFreePorts(1);
  const mongo = await startMongoServer({ kind: 'ferretdb', bin, port: port!, dataDir: join(dir, 'data') });
  return { mongo, dir };
}

/** Whether a find on an existing collection of the database answers within `ms`. */
async function answers(client: MongoClient, dbName: string, ms: number): Promise<boolean> {
  const collection = client.db(dbName).collection<Doc>('records');
  const probe = (async () => {
    if (dbName !== 'limits') await collection.insertOne(doc(1));
    return collection.findOne({ _id: idOf(1) });
  })();
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
  return Promise.race([probe.then(() => true).catch(() => false), timer]);
}

export async function ferretdbLimitsScenario(options: {
  timeoutSeconds: number;
  only?: string;
}): Promise<ScenarioResult> {
  const timeoutMs = options.timeoutSeconds * 1000;
  const only = options.only;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MONGODB_URI'));
  const source = await resolveMongoServer({ env });
  if (source.kind !== 'ferretdb') throw new Error(`wanted FerretDB, found ${source.kind}`);
  const rows: Row[] = [];
  for (const testCase of cases.filter((c) => !only || c.name.includes(only))) {
    const { mongo, dir } = await startFerret(source.bin);
    const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db('limits');
      const collection = db.collection<Doc>('records');
      const seed = testCase.seed ?? SEED;
      for (let start = 0; start < seed; start += 10_000) {
        await collection.insertMany(
          Array.from({ length: Math.min(10_000, seed - start) }, (_, i) => doc(start + i + 1)),
        );
      }
      const caseTimeoutMs = testCase.timeoutMs ?? timeoutMs;
      const started = performance.now();
      const outcome = await Promise.race([
        testCase.run(collection, db).then(
          (result) => ({ ok: true, result }),
          (error: Error) => ({
            ok: false,
            result: `error: ${error.message.replace(/\[[^\]]*\] /g, '').slice(0, 80)}`,
          }),
        ),
        new Promise<{ ok: false; result: string }>((resolve) =>
          setTimeout(() => resolve({ ok: false, result: 'HANG' }), caseTimeoutMs).unref(),
        ),
      ]);
      const seconds = (performance.now() - started) / 1000;
      const hung = outcome.result === 'HANG';
      const row: Record<string, string | number> = {
        case: testCase.name,
        outcome: hung ? `hang (no answer in ${caseTimeoutMs / 1000} s)` : outcome.result,
        seconds: hung ? '-' : Number(seconds.toFixed(2)),
      };
      if (hung) {
        // Does anything still answer on the same database? On another one?
        const probe = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 3000 });
        row['same db after'] = (await answers(probe, 'limits', 3000)) ? 'answers' : 'stuck';
        row['other db after'] = (await answers(probe, 'other', 3000)) ? 'answers' : 'stuck';
        await probe.close(true).catch(() => undefined);
      }
      rows.push(row);
      progress(`ferretdb-limits: ${JSON.stringify(row)}`);
    } finally {
      await client.close(true).catch(() => undefined);
      await mongo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const hangs = rows.filter((row) => String(row.outcome).startsWith('hang')).map((row) => row.case);
  return {
    scenario: 'ferretdb-limits',
    tables: [
      {
        title: `ferretdb-limits: bulk commands on FerretDB v1 (SQLite), ${SEED} documents unless named`,
        rows,
      },
    ],
    summary: { scenario: 'ferretdb-limits', cases: rows.length, hangs },
  };
}
