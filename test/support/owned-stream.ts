/**
 * A tenant of the test's own making in the simulator: an owner entity (with clients, if asked)
 * under a group of its own that holds no records, a token that sees that owner's tree only, and
 * suppliers on it. The stream a pass reads then holds exactly these records, so a test knows
 * which page holds which. (Under the seed's group it would also get the group's records: Xledger
 * serves records owned above the token's entity, see simulator/state.ts#recordOwners.)
 */
import { READ_SCOPES } from '../../src/simulator/index';
import type { SimulatorState } from '../../src/simulator/state';
import { recordsCollection } from '../../src/store/records';
import type { Harness } from './harness';
import type { StoredRecord } from '../../src/domain/records';

let supplierNumber = 0;

export function addOwnedTree(
  state: SimulatorState,
  tree: { owner: number; clients?: number[]; token: string },
): string {
  const entity = (dbId: number, parentDbId: number) =>
    state.addEntity({
      dbId,
      code: `E${dbId}`,
      description: `Entity ${dbId}`,
      parentDbId,
      ownerDbId: parentDbId,
    });
  // An entity dbId below the records' (seed.ts, FIRST_RECORD_DB_ID) and beside the seed's.
  const group = tree.owner + 500;
  state.addEntity({
    dbId: group,
    code: `G${group}`,
    description: `Group ${group}`,
    parentDbId: null,
    ownerDbId: group,
  });
  entity(tree.owner, group);
  for (const client of tree.clients ?? []) entity(client, tree.owner);
  return state.addToken({ name: tree.token, entityDbId: tree.owner, scopes: READ_SCOPES }).secret;
}

/** A valid supplier on `ownerDbId`; its dbId is above every dbId before it. */
export function addSupplier(state: SimulatorState, ownerDbId: number): number {
  supplierNumber += 1;
  return state.createRecord('suppliers', {
    ownerDbId,
    code: `T${supplierNumber}`,
    description: `Test supplier ${supplierNumber}`,
    email: null,
    fromDate: '2024-01-01',
    toDate: null,
    company: null,
    glObject1: null,
    glObject2: null,
    glObject3: null,
    glObject4: null,
    glObject5: null,
  }).dbId;
}

export async function storedSuppliers(h: Harness, tenantId: string): Promise<StoredRecord[]> {
  return recordsCollection(h.store.db, 'suppliers').find({ tenantId }).toArray();
}

/** The dbIds of the stored suppliers, live and marked deleted. */
export async function supplierIds(
  h: Harness,
  tenantId: string,
): Promise<{ live: number[]; deleted: number[] }> {
  const docs = await storedSuppliers(h, tenantId);
  const sorted = (ids: number[]) => ids.sort((a, b) => a - b);
  return {
    live: sorted(docs.filter((doc) => doc.deletedAt === null).map((doc) => doc.dbId)),
    deleted: sorted(docs.filter((doc) => doc.deletedAt !== null).map((doc) => doc.dbId)),
  };
}
