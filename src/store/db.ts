import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { allCollections, TENANT_DB_ID_INDEX } from './collections';

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
  /** More driver options (e.g. monitorCommands for the benchmarks' command profile). */
  options: Pick<MongoClientOptions, 'monitorCommands'> = {},
): Promise<Store> {
  const client = new MongoClient(uri, {
    ...options,
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
 * Whether the server is FerretDB (its buildInfo names its version). FerretDB v1 pushes down
 * only a filter of `_id` alone: it never reads a secondary index, it only keeps it up.
 */
export function isFerretDb(db: Db): Promise<boolean> {
  let answer = serverKinds.get(db);
  if (!answer) {
    answer = db
      .admin()
      .command({ buildInfo: 1 })
      .then(
        (info) => 'ferretdbVersion' in info,
        () => false,
      );
    serverKinds.set(db, answer);
  }
  return answer;
}

/** Asked once per database handle: the server behind it does not change. */
const serverKinds = new WeakMap<Db, Promise<boolean>>();

/**
 * Every collection's indexes (collections.ts), created idempotently at worker and client start.
 * Only missing indexes are created: FerretDB v1 fails on createIndexes for an index that
 * already exists alongside a new one. On FerretDB only the unique indexes that constrain are
 * made: FerretDB v1 pushes down only a filter of `_id` alone, so it never reads an index; it
 * only keeps it up, at about a fifth of a bulk insert (npm run bench -- sync, "floor+indexes").
 * The unique (tenantId, dbId) of records restates their `_id` and is left out there too.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  const wanted = allCollections().flatMap(({ name, indexes }) =>
    indexes.map((index) => ({ collection: name, index })),
  );
  const readsSecondaryIndexes = !(await isFerretDb(db));
  const existing = new Map<string, Set<string>>();
  for (const { collection, index: wantedIndex } of wanted) {
    if (!readsSecondaryIndexes && (!wantedIndex.unique || wantedIndex.name === TENANT_DB_ID_INDEX)) continue;
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
