import type { Db } from 'mongodb';
import { collections } from './db';

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
  const collection = db.collection<StoredEntity>(collections.entities);
  if (entities.length > 0) {
    await collection.bulkWrite(
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
    );
  }
  await collection.deleteMany({ tenantId, refreshedAt: { $ne: now } });
}
