import { MongoClient, type Db, type IndexDescription } from 'mongodb';
import { dataTypes } from '../datatypes/registry';
import { CHANGE_SEQUENCES } from './changes';
import { EVENT_IDS, EVENT_SEQUENCES, EVENTS } from './events';
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
  // What SEMINE is told (store/events.ts) and the change feed's sequences (store/changes.ts).
  events: EVENTS,
  eventIds: EVENT_IDS,
  eventSequences: EVENT_SEQUENCES,
  changeSequences: CHANGE_SEQUENCES,
} as const;

export interface Store {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export interface StoreTimeouts {
  /** Connecting and selecting a server: a server that never answers fails after this long. */
  timeoutMs: number;
  /** One request's round trip (one cursor batch, one write): longer fails the request. */
  requestTimeoutMs: number;
}

/** The worker's defaults (see config.ts: MONGODB_TIMEOUT_MS, MONGODB_WORKER_REQUEST_TIMEOUT_MS). */
export const defaultStoreTimeouts: StoreTimeouts = { timeoutMs: 15_000, requestTimeoutMs: 120_000 };

/** MongoDB could not be reached, or did not answer in time; the message names the server, never credentials. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * Connects and checks that the server answers. Every wait has a deadline: the driver's
 * `timeoutMS` (client-side operation timeout) is a no-op in driver 7, so the deadlines are the
 * connect, server-selection and socket timeouts. The socket timeout only runs while a request
 * waits for its answer, so a long cursor read is many bounded round trips, never one.
 */
export async function connectStore(
  uri: string,
  dbName: string,
  timeouts: StoreTimeouts = defaultStoreTimeouts,
): Promise<Store> {
  const client = new MongoClient(uri, {
    appName: 'xledger-sync',
    serverSelectionTimeoutMS: timeouts.timeoutMs,
    connectTimeoutMS: timeouts.timeoutMs,
    socketTimeoutMS: timeouts.requestTimeoutMs,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw storeUnavailable(uri, timeouts.timeoutMs, error);
  }
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/** The error for a MongoDB that failed to answer: names the server and, for a timeout, the deadline. */
export function storeUnavailable(uri: string, timeoutMs: number, error: unknown): StoreUnavailableError {
  const where = `MongoDB at ${redactMongoUri(uri)}`;
  const message = error instanceof Error ? error.message : String(error);
  // A server that accepts connections but never answers: "Server selection timed out after …",
  // "connection 3 to … timed out". A refused connection names its cause instead.
  if (/timed out/i.test(message)) {
    return new StoreUnavailableError(`${where} did not answer within ${formatSeconds(timeoutMs)}`);
  }
  return new StoreUnavailableError(`${where} is unreachable: ${redactCredentials(message)}`);
}

/** The URI as an operator may see it: scheme, hosts and database; no user, password or options. */
export function redactMongoUri(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]*)(\/[^?]*)?/.exec(uri);
  return match
    ? `${match[1]}${match[2]}${match[3] && match[3] !== '/' ? match[3] : ''}`
    : 'the configured URI';
}

function redactCredentials(text: string): string {
  return text.replace(/(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/g, '$1');
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
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
      // The change feed (store/changes.ts): a tenant's records after a cursor, in order.
      index(stream.collection, { tenantId: 1, changeSeq: 1 }, 'tenant_changeSeq'),
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
