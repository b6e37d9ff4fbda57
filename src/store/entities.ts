import type { Db } from 'mongodb';
import { boundedBulkWrite } from './bounded';
import { collections } from './collections';
import { upsertRacing } from './upserts';

/** An Xledger entity the tenant's token can see, as last read. */
export interface StoredEntity {
  _id: string;
  tenantId: string;
  dbId: number;
  code: string | null;
  description: string | null;
  parentDbId: number | null;
  refreshedAt: Date;
  /**
   * Set when a read of the tree no longer returned the entity (cleared when one returns it
   * again). The entity stays in the tree meanwhile, so its records are still the tenant's, and
   * the tenant's deletions wait for an operator (domain/deletion-guard.ts).
   */
  missingSince?: Date | null;
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
  // A replacement carries no missingSince: an entity returned again is no longer missing.
  await upsertRacing(() =>
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
  // What this answer no longer has is marked, never removed: an entity list that comes back
  // short (a fault, a token whose rights shrank) would otherwise take the clients' records with
  // it — every record of a client missing from the tree is another owner's to the ownership
  // rule, unseen by a full pass, and so deleted. A tree shrinks only when an operator confirms
  // it (forgetEntities). (Not "what this refresh did not write" either: a concurrent refresh —
  // every data type of a new tenant starts at once — rewrites the same entities with its own
  // time.)
  await collection.updateMany(
    { tenantId, dbId: { $nin: entities.map((entity) => entity.dbId) }, missingSince: null },
    { $set: { missingSince: now } },
  );
}

/** The tenant's stored entities that the latest read of the tree no longer returned. */
export async function missingEntities(db: Db, tenantId: string): Promise<StoredEntity[]> {
  return db
    .collection<StoredEntity>(collections.entities)
    .find({ tenantId, missingSince: { $ne: null } })
    .toArray();
}

/** An operator confirmed that the tree shrank (`--allow-mass-delete`): the entities go. */
export async function forgetEntities(db: Db, tenantId: string, dbIds: readonly number[]): Promise<void> {
  if (dbIds.length === 0) return;
  await db
    .collection<StoredEntity>(collections.entities)
    .deleteMany({ tenantId, dbId: { $in: [...dbIds] }, missingSince: { $ne: null } });
}
