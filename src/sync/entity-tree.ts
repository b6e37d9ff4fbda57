import type { Db } from 'mongodb';
import { loadEntities, missingEntities, replaceEntities } from '../store/entities';
import { OwnershipRule } from '../domain/ownership';
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

/**
 * The tenant's entities (its owner and the owner's clients, as stored) that a fresh read of the
 * entity tree no longer returns: asked before records are marked deleted, because records of an
 * entity the token no longer sees vanish from every answer, by id too, without being deleted.
 */
export async function entitiesOutOfSight(
  db: Db,
  client: XledgerClient,
  tenantId: string,
  ownerDbId: number,
): Promise<number[]> {
  const answer = await readEntityTree(client);
  await replaceEntities(db, tenantId, answer, new Date());
  // An empty answer marks nothing (replaceEntities), yet a token always sees its own entity:
  // then every entity of the tenant is out of sight.
  const missing =
    answer.length === 0 ? await loadEntities(db, tenantId) : await missingEntities(db, tenantId);
  return missing
    .filter((entity) => entity.dbId === ownerDbId || entity.parentDbId === ownerDbId)
    .map((entity) => entity.dbId)
    .sort((a, b) => a - b);
}
