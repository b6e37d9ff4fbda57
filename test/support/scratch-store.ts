import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectStore, type Store } from '../../src/store/db';

/**
 * A database of the test file's own on the run's MongoDB-wire server, for tests of a store
 * module alone (no simulator, no Temporal); dropped after the file's tests.
 */
export function useScratchDb(label: string): () => Db {
  let store: Store | undefined;
  beforeAll(async () => {
    store = await connectStore(
      inject('mongoUri'),
      `${inject('mongoDbName')}_${label}_${randomBytes(4).toString('hex')}`,
    );
  });
  afterAll(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
  });
  return () => store!.db;
}
