/**
 * The raw floor of a full sync: a plain loop that fetches the same pages from the same simulator
 * (the same GraphQL document the sync sends) and inserts the owner's records with one unordered
 * insertMany per page into a fresh collection of the same server kind. No validation, hashing,
 * pass ledger, Temporal or indexes beyond `_id`: what any sync must at least spend. It runs in a
 * process of its own, as the worker does, so neither shares a thread with the simulator.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { suppliersStream } from '../../src/datatypes/suppliers';
import { streamPages } from '../../src/xledger/operations';

export interface FloorFigures {
  seconds: number;
  pages: number;
  fetched: number;
  inserted: number;
  bytes: number;
}

export interface FloorOptions {
  graphqlUrl: string;
  token: string;
  /** The owner and its clients: the records a tenant keeps. */
  entities: number[];
  pageSize: number;
  tenantId: string;
  /** Where to insert; without it, the loop only fetches. */
  mongo?: {
    uri: string;
    dbName: string;
    /** Also the sync's two secondary indexes (their upkeep's cost). */ indexes?: boolean;
  };
}

interface PageAnswer {
  data: {
    suppliers: {
      edges: Array<{ cursor: string; node: { dbId: number; ownerDbId: number } }> | null;
      pageInfo: { hasNextPage: boolean };
    };
  };
}

export async function floorLoop(options: FloorOptions): Promise<FloorFigures> {
  const { document } = streamPages(suppliersStream, {}).next;
  const entities = new Set(options.entities);
  const mongo = options.mongo ? new MongoClient(options.mongo.uri) : undefined;
  try {
    const db = options.mongo && mongo?.db(options.mongo.dbName);
    const collection = db?.collection<{ _id: string }>('floor_suppliers');
    if (collection && options.mongo?.indexes) {
      await collection.createIndexes([
        { key: { tenantId: 1, dbId: 1 }, name: 'tenant_dbId', unique: true },
        { key: { tenantId: 1, entityDbId: 1, visibility: 1 }, name: 'tenant_visibility' },
      ]);
    }
    const started = performance.now();
    const figures = { pages: 0, fetched: 0, inserted: 0, bytes: 0 };
    let after: string | null = null;
    for (;;) {
      const response = await fetch(options.graphqlUrl, {
        method: 'POST',
        headers: { authorization: `token ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: document, variables: { first: options.pageSize, after } }),
      });
      const text = await response.text();
      figures.bytes += Buffer.byteLength(text);
      const { data } = JSON.parse(text) as PageAnswer;
      const edges = data.suppliers.edges ?? [];
      figures.pages += 1;
      figures.fetched += edges.length;
      if (collection) {
        const docs = edges
          .filter((edge) => entities.has(edge.node.ownerDbId))
          .map((edge) => ({
            _id: `${options.tenantId}:${edge.node.dbId}`,
            tenantId: options.tenantId,
            entityDbId: edge.node.ownerDbId,
            ...edge.node,
          }));
        if (docs.length > 0) {
          figures.inserted += (await collection.insertMany(docs, { ordered: false })).insertedCount;
        }
      }
      const last = edges.at(-1);
      if (!data.suppliers.pageInfo.hasNextPage || !last) break;
      after = last.cursor;
    }
    const seconds = (performance.now() - started) / 1000;
    await db?.dropDatabase();
    return { seconds, ...figures };
  } finally {
    await mongo?.close();
  }
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The floor loop in a process of its own (bench/support/floor-process.ts). */
export function floorInProcess(options: FloorOptions): Promise<FloorFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/floor-process.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        BENCH_FLOOR: JSON.stringify(options),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as FloorFigures);
      else reject(new Error(`the floor loop failed (${code}):\n${stderr}`));
    });
  });
}
