import { MongoClient, type Db, type IndexDescription } from 'mongodb';
import { dataTypes } from '../datatypes/registry';
import { OUTBOX } from './invoice-outbox';

/**
 * Collections that are not synced master data. Master-data collections are named by the
 * stream definitions (datatypes/); every document everywhere carries `tenantId`.
 */
export const collections = {
  tenants: 'tenants',
  entities: 'entities',
  checkpoints: 'sync_checkpoints',
  passes: 'sync_passes',
  passSeen: 'sync_pass_seen',
  runs: 'sync_runs',
  rejects: 'sync_rejects',
} as const;

export interface Store {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectStore(uri: string, dbName: string): Promise<Store> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, appName: 'xledger-sync' });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/**
 * Indexes, created idempotently at worker and client start. Master-data documents use the
 * deterministic _id `<tenantId>:<dbId>`, so an upsert can never create a duplicate.
 * Only missing indexes are created: FerretDB v1 fails on createIndexes for an index that
 * already exists alongside a new one.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  const streams = dataTypes.flatMap((type) => type.streams);
  const index = (collection: string, key: Record<string, 1 | -1>, name: string, unique = false) => ({
    collection,
    index: { key, name, ...(unique ? { unique } : {}) } satisfies IndexDescription,
  });
  const wanted = [
    ...streams.flatMap((stream) => [
      index(stream.collection, { tenantId: 1, dbId: 1 }, 'tenant_dbId', true),
      index(stream.collection, { tenantId: 1, entityDbId: 1, visibility: 1 }, 'tenant_visibility'),
    ]),
    index(collections.entities, { tenantId: 1, dbId: 1 }, 'tenant_dbId', true),
    index(collections.runs, { tenantId: 1, dataType: 1, startedAt: -1 }, 'tenant_type_time'),
    index(collections.rejects, { tenantId: 1, stream: 1, dbId: 1 }, 'tenant_stream_dbId'),
    index(collections.passSeen, { tenantId: 1, stream: 1, passId: 1 }, 'tenant_stream_pass'),
    // The invoice schedule's sweep: a tenant's pending invoices, oldest first.
    index(OUTBOX, { tenantId: 1, state: 1, submittedAt: 1 }, 'tenant_state_submitted'),
  ];
  const existing = new Map<string, Set<string>>();
  for (const { collection, index: wantedIndex } of wanted) {
    let names = existing.get(collection);
    if (!names) {
      const indexes = await db
        .collection(collection)
        .listIndexes()
        .toArray()
        .catch(() => []);
      names = new Set(indexes.map((i) => String(i.name)));
      existing.set(collection, names);
    }
    if (names.has(wantedIndex.name)) continue;
    await db.collection(collection).createIndexes([wantedIndex]);
    names.add(wantedIndex.name);
  }
}
