import type { Visibility } from './records';

export interface EntityNode {
  dbId: number;
  parentDbId: number | null;
}

export type Ownership = { entityDbId: number; visibility: Visibility } | null;

/**
 * The tenant's ownership rule (SEMINE's documentation): a record created on the Entity Owner
 * is shared with all its clients; a record created on one of the owner's client entities is
 * visible to that client alone; anything else never lands — another owner's, and the records of
 * entities above the owner (its group) that Xledger serves beside them.
 * (A: a client entity is an entity whose parent is the owner — see shared/xledger-api.md.)
 */
export class OwnershipRule {
  private readonly clients: Set<number>;
  private readonly known: Set<number>;

  constructor(
    readonly ownerDbId: number,
    entities: readonly EntityNode[],
  ) {
    this.clients = new Set(entities.filter((e) => e.parentDbId === ownerDbId).map((e) => e.dbId));
    // An entity named as a parent is known too: it is above the token's entity (a group or
    // system entity, whose records Xledger serves with ownerSet ALL), never a new client of the
    // owner — a new client is below the owner, so no entity in the tree names it as its parent.
    // Its records are filtered out without reading the tree again for them on every page.
    this.known = new Set(
      entities.flatMap((e) => (e.parentDbId === null ? [e.dbId] : [e.dbId, e.parentDbId])),
    );
  }

  classify(recordOwnerDbId: number): Ownership {
    if (recordOwnerDbId === this.ownerDbId) return { entityDbId: recordOwnerDbId, visibility: 'owner' };
    if (this.clients.has(recordOwnerDbId)) return { entityDbId: recordOwnerDbId, visibility: 'client' };
    return null;
  }

  /** A record of an entity we have never seen: the entity tree may be stale (a new client). */
  isUnknownEntity(recordOwnerDbId: number): boolean {
    return !this.known.has(recordOwnerDbId);
  }

  get clientDbIds(): number[] {
    return [...this.clients];
  }
}
