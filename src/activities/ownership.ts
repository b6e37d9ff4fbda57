import type { Db } from 'mongodb';
import { loadEntities, replaceEntities } from '../store/entities';
import { OwnershipRule } from '../sync/ownership';
import type { XledgerClient } from '../xledger/client';
import { readEntityTree } from '../xledger/entities';

/**
 * The tenant's ownership rule over its stored entity tree. The tree is read from Xledger only
 * when none is stored, or when a record names an entity we have not seen: a no-op sync
 * makes no request for it.
 */
export async function loadOwnershipRule(db: Db, client: XledgerClient, tenantId: string, ownerDbId: number) {
  let entities = await loadEntities(db, tenantId);
  const holder = {
    current: new OwnershipRule(ownerDbId, entities),
    async refresh(): Promise<void> {
      entities = await fetchEntityTree(db, client, tenantId);
      holder.current = new OwnershipRule(ownerDbId, entities);
    },
  };
  if (entities.length === 0) await holder.refresh();
  return holder;
}

export async function fetchEntityTree(db: Db, client: XledgerClient, tenantId: string) {
  const entities = await readEntityTree(client);
  await replaceEntities(db, tenantId, entities, new Date());
  return loadEntities(db, tenantId);
}
