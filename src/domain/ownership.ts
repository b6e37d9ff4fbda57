import type { Visibility } from './records';

export interface EntityNode {
  dbId: number;
  parentDbId: number | null;
}

export type Ownership = { entityDbId: number; visibility: Visibility } | null;

/**
 * The tenant's ownership rule (SEMINE's documentation): a record created on the Entity Owner
 * is shared with all its clients; a record created on one of the owner's client entities is
 * visible to that client alone; anything else never lands.
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
    this.known = new Set(entities.map((e) => e.dbId));
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
