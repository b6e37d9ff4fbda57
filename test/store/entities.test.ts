import { describe, expect, it } from 'vitest';
import { loadEntities, replaceEntities } from '../../src/store/entities';
import { useScratchDb } from '../support/scratch-store';

/** The stored entity tree stays whole when several syncs of one tenant refresh it at once. */
const db = useScratchDb('entities');

const tree = [
  { dbId: 101, code: 'OWNER1', description: null, parentDbId: 100 },
  { dbId: 102, code: 'C1', description: null, parentDbId: 101 },
  { dbId: 103, code: 'C2', description: null, parentDbId: 101 },
  { dbId: 104, code: 'C3', description: null, parentDbId: 101 },
];
const ids = async (tenantId: string) =>
  (await loadEntities(db(), tenantId)).map((entity) => entity.dbId).sort((a, b) => a - b);

describe('entity tree', () => {
  it('concurrent refreshes of the same tree leave all of it', async () => {
    for (let round = 0; round < 5; round++) {
      const tenantId = `t${round}`;
      await Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          replaceEntities(db(), tenantId, tree, new Date(Date.UTC(2026, 0, 1, 0, 0, i))),
        ),
      );
      expect(await ids(tenantId)).toEqual([101, 102, 103, 104]);
    }
  });

  it('a refresh removes the entities Xledger no longer returns, and an empty answer removes nothing', async () => {
    await replaceEntities(db(), 'shrink', tree, new Date());
    await replaceEntities(db(), 'shrink', tree.slice(0, 2), new Date());
    expect(await ids('shrink')).toEqual([101, 102]);
    await replaceEntities(db(), 'shrink', [], new Date());
    expect(await ids('shrink')).toEqual([101, 102]);
  });
});
