import type { Db } from 'mongodb';
import { boundedBulkWrite } from './bounded';
import { collections } from './collections';

/** An Xledger entity the tenant's token can see, as last read. */
export interface StoredEntity {
  _id: string;
  tenantId: string;
  dbId: number;
  code: string | null;
  description: string | null;
  parentDbId: number | null;
  refreshedAt: Date;
}

export async function loadEntities(db: Db, tenantId: string): Promise<StoredEntity[]> {
  return db.collection<StoredEntity>(collections.entities).find({ tenantId }).toArray();
}

export async function replaceEntities(
  db: Db,
  tenantId: string,
  entities: Array<Omit<StoredEntity, '_id' | 'tenantId' | 'refreshedAt'>>,
  now: Date,
): Promise<void> {
  // Xledger answers "edges": null when nothing matches; a token always sees its own entity, so
  // an empty answer is an anomaly and never wipes the known tree.
  if (entities.length === 0) return;
  const collection = db.collection<StoredEntity>(collections.entities);
  if (entities.length > 0) {
    await retryOnDuplicateKey(() =>
      boundedBulkWrite(
        collection,
        entities.map((entity) => {
          const _id = `${tenantId}:${entity.dbId}`;
          return {
            replaceOne: {
              filter: { _id },
              replacement: { ...entity, _id, tenantId, refreshedAt: now },
              upsert: true,
            },
          };
        }),
        { ordered: false },
      ),
    );
  }
  // Only what this answer no longer has goes. (Not "what this refresh did not write": a
  // concurrent refresh — every data type of a new tenant starts at once — rewrites the same
  // entities with its own time, and they would be deleted under it, leaving a tree without
  // the owner's clients, whose records would then be dropped as another owner's.)
  await collection.deleteMany({ tenantId, dbId: { $nin: entities.map((entity) => entity.dbId) } });
}

/**
 * Two syncs of one tenant may refresh the entity tree at the same moment; an upsert that lost
 * the race to insert (FerretDB does not retry those itself) succeeds as an update the second time.
 */
async function retryOnDuplicateKey<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    return write();
  }
}
