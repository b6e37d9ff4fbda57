/**
 * Deletion only on proof, against an upstream that cuts full passes short: the simulator's
 * truncation faults (src/simulator/faults.ts) hit one page of the pass, at the first, a middle,
 * the next-to-last or the last position, in streams of 5, 11, 100 and 10,000 records. Whatever
 * the fault, no live record is marked deleted, and a record really deleted in Xledger beside it
 * is still found — by the full pass, and by the deltas of an incremental one.
 *
 * - endEarly: `hasNextPage: false` on a page with more after it (at the next-to-last page: the
 *   last page dropped). The page is well formed: only the look-up by id can tell.
 * - dropPage: the page after the one asked for is served; the cursors still chain.
 * - nullPageInfo: `"pageInfo": null`; nullEdges: `"edges": null` with `hasNextPage: true`. Not a
 *   last page: the pass fails (retryably) and resumes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultInput } from '../../src/simulator/index';
import { startHarness, type Harness } from '../support/harness';
import { addOwnedTree, addSupplier, supplierIds } from '../support/owned-stream';
import { addFault, clearFaults, runSync, streamFigures } from '../support/sync';

const OWNER = 150;
const TOKEN = 'truncated';

type Scenario = [name: string, fault: Pick<FaultInput, 'kind' | 'skip'>];

/**
 * Each fault at the pages where it cuts the pass short. A page cut silently (endEarly,
 * dropPage) at the first, a middle and the next-to-last page; a page answered malformed (the
 * pass fails there and resumes) at the first and the last page it can hit. `few`: one position
 * per fault, for the large stream (where each pass costs seconds).
 */
function scenarios(pages: number, few: boolean): Scenario[] {
  const at = (...positions: number[]) => [...new Set(positions)].filter((p) => p >= 0);
  const scenario = (kind: Scenario[1]['kind'], skip: number): Scenario => [
    `${kind} at page ${skip + 1} of ${pages}`,
    { kind, skip },
  ];
  // endEarly, dropPage and nullPageInfo on the last page would change nothing.
  const beforeLast = pages - 2;
  const middle = Math.floor(beforeLast / 2);
  if (few) {
    return [
      scenario('endEarly', beforeLast),
      scenario('dropPage', middle),
      scenario('nullPageInfo', middle),
      scenario('nullEdges', pages - 1),
    ];
  }
  return [
    ...at(0, middle, beforeLast).map((skip) => scenario('endEarly', skip)),
    ...at(0, middle, beforeLast).map((skip) => scenario('dropPage', skip)),
    ...at(0, beforeLast).map((skip) => scenario('nullPageInfo', skip)),
    ...at(0, pages - 1).map((skip) => scenario('nullEdges', skip)),
  ];
}

describe.each([
  { records: 5, pageSize: 2 },
  { records: 11, pageSize: 3 },
  { records: 100, pageSize: 10 },
  { records: 10_000, pageSize: 1_000, large: true },
])('a stream of $records suppliers read $pageSize per page', ({ records, pageSize, large = false }) => {
  const tenantId = `truncated-${records}`;
  const pages = Math.ceil(records / pageSize);
  let h: Harness;
  /** Records deleted in the simulator so far: the only ones that may be marked deleted. */
  const reallyDeleted: number[] = [];

  beforeAll(async () => {
    h = await startHarness({ seed: 4, suppliers: 30 });
    const token = addOwnedTree(h.sim.state, { owner: OWNER, token: TOKEN });
    for (let i = 0; i < records; i++) addSupplier(h.sim.state, OWNER);
    await h.saveTenant({ tenantId, xledger: { token }, entityOwnerDbId: OWNER });
    await h.startWorker({ pageSize });
    const first = await runSync(h, tenantId, 'suppliers', 'full');
    expect(first.status).toBe('completed');
    expect((await supplierIds(h, tenantId)).live).toHaveLength(records);
  });
  afterEach(() => clearFaults(h));
  afterAll(() => h?.close());

  /** Deletes one live record in Xledger, and adds one, so the stream keeps its size. */
  function deleteOneReally(): number {
    const live = h.sim.state.tables.suppliers.rows.filter(
      (row) => row.ownerDbId === OWNER && h.sim.state.tables.suppliers.isLive(row),
    );
    const victim = live[Math.floor(live.length / 2)]!.dbId;
    h.sim.state.deleteRecord('suppliers', victim);
    addSupplier(h.sim.state, OWNER);
    reallyDeleted.push(victim);
    return victim;
  }

  it.each(scenarios(pages, large))(
    '%s: no live record is marked deleted, a real deletion is',
    async (_name, fault) => {
      const victim = deleteOneReally();
      await addFault(h, { ...fault, field: 'suppliers', token: TOKEN });
      const run = await runSync(h, tenantId, 'suppliers', 'full');
      expect(run.status).toBe('completed');
      const figures = streamFigures(run, 'suppliers');
      expect(figures.deleted).toBe(1);
      const stored = await supplierIds(h, tenantId);
      expect(stored.deleted).toEqual([...reallyDeleted].sort((a, b) => a - b));
      expect(stored.live).not.toContain(victim);
    },
  );

  // The deltas' path does not depend on the stream's size: the small streams show it.
  if (!large) {
    it('the deltas of an incremental pass find a real deletion', async () => {
      const victim = deleteOneReally();
      const run = await runSync(h, tenantId, 'suppliers', 'incremental');
      expect(run.status).toBe('completed');
      expect(streamFigures(run, 'suppliers')).toMatchObject({ mode: 'incremental', deleted: 1 });
      expect((await supplierIds(h, tenantId)).deleted).toContain(victim);
    });

    it('a delta saying DELETED for a record Xledger still returns deletes nothing', async () => {
      const table = h.sim.state.tables.suppliers;
      const alive = table.rows.find((row) => row.ownerDbId === OWNER && table.isLive(row))!.dbId;
      // DELETED in the delta log, yet the record is still there (a delta Xledger got wrong).
      h.sim.state.deleteRecord('suppliers', alive);
      table.deleted.delete(alive);
      const run = await runSync(h, tenantId, 'suppliers', 'incremental');
      expect(run.status).toBe('completed');
      expect(streamFigures(run, 'suppliers')).toMatchObject({
        mode: 'incremental',
        deleted: 0,
        confirmedAlive: 1,
      });
      expect((await supplierIds(h, tenantId)).live).toContain(alive);
    });
  }
});
