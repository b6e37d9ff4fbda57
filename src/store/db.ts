import { MongoClient, type Db } from 'mongodb';
import { dataTypes } from '../datatypes/registry';

/**
 * Collections that are not synced master data. Master-data collections are named by the
 * stream definitions (datatypes/); every document everywhere carries `tenantId`.
 */
export const collections = {
  tenants: 'tenants',
  entities: 'entities',
  checkpoints: 'sync_checkpoints',
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
 */
export async function ensureIndexes(db: Db): Promise<void> {
  const streams = dataTypes.flatMap((type) => type.streams);
  await Promise.all([
    ...streams.map((stream) =>
      db.collection(stream.collection).createIndexes([
        { key: { tenantId: 1, dbId: 1 }, name: 'tenant_dbId', unique: true },
        { key: { tenantId: 1, entityDbId: 1, visibility: 1 }, name: 'tenant_visibility' },
      ]),
    ),
    db
      .collection(collections.entities)
      .createIndex({ tenantId: 1, dbId: 1 }, { unique: true, name: 'tenant_dbId' }),
    db
      .collection(collections.runs)
      .createIndex({ tenantId: 1, dataType: 1, startedAt: -1 }, { name: 'tenant_type_time' }),
    db
      .collection(collections.rejects)
      .createIndex({ tenantId: 1, stream: 1, dbId: 1 }, { name: 'tenant_stream_dbId' }),
    db
      .collection(collections.passSeen)
      .createIndex({ tenantId: 1, stream: 1, passId: 1 }, { name: 'tenant_stream_pass' }),
  ]);
}
