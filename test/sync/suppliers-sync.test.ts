import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { recordsCollection } from '../../src/store/records';
import { syncWorkflowId } from '../../src/temporal/ids';
import type { SyncRunSummary } from '../../src/domain/figures';
import { syncDataTypeWorkflow } from '../../src/workflows';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: 7, suppliers: 300 });
  await h.saveTenant({
    tenantId: 'acme',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  await h.startWorker();
});
afterAll(() => h?.close());

async function sync(
  dataType: string,
  mode: 'full' | 'incremental' | 'auto' = 'auto',
): Promise<SyncRunSummary> {
  return h.client.workflow.execute(syncDataTypeWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: `${syncWorkflowId('acme', dataType)}:${Date.now()}`,
    args: [{ tenantId: 'acme', dataType, mode, trigger: 'manual' }],
  });
}

describe('suppliers', () => {
  it('a full sync stores exactly the owner truth', async () => {
    const run = await sync('suppliers');
    expect(run.status).toBe('completed');
    expect(run.totals.inserted).toBe(run.totals.kept);
    const truth = (await (
      await fetch(`${h.sim.adminUrl}/admin/truth/${SEED_ENTITIES.owner1}/suppliers`)
    ).json()) as {
      records: Array<{ dbId: number; code: string; entityDbId: number; visibility: string }>;
    };
    const stored = await recordsCollection(h.store.db, 'suppliers').find({ tenantId: 'acme' }).toArray();
    expect(stored.map((s) => s.dbId).sort()).toEqual(truth.records.map((t) => t.dbId).sort());
    const second = await sync('suppliers');
    expect(second.totals.inserted + second.totals.updated).toBe(0);
    expect(second.totals.requests).toBe(1);
  });
});
