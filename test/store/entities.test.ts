import { describe, expect, it } from 'vitest';
import { forgetEntities, loadEntities, missingEntities, replaceEntities } from '../../src/store/entities';
import { useScratchDb } from '../support/scratch-store';

/**
 * The stored entity tree stays whole when several syncs of one tenant refresh it at once, and
 * shrinks only when an operator confirms it.
 */
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

  it('a refresh that no longer returns an entity keeps it, marked missing, until it returns; an empty answer changes nothing', async () => {
    const missing = async (tenantId: string) =>
      (await missingEntities(db(), tenantId)).map((entity) => entity.dbId).sort((a, b) => a - b);
    await replaceEntities(db(), 'shrink', tree, new Date());
    // A short answer (a fault, or a token that lost sight of clients) never takes their records' owner away.
    await replaceEntities(db(), 'shrink', tree.slice(0, 2), new Date());
    expect(await ids('shrink')).toEqual([101, 102, 103, 104]);
    expect(await missing('shrink')).toEqual([103, 104]);
    await replaceEntities(db(), 'shrink', [], new Date());
    expect(await ids('shrink')).toEqual([101, 102, 103, 104]);
    // Seen again: no longer missing.
    await replaceEntities(db(), 'shrink', tree.slice(0, 3), new Date());
    expect(await missing('shrink')).toEqual([104]);
    // An operator confirmed the shrink: only missing entities go.
    await forgetEntities(db(), 'shrink', [102, 104]);
    expect(await ids('shrink')).toEqual([101, 102, 103]);
    expect(await missing('shrink')).toEqual([]);
  });
});
