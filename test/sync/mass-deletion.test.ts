/**
 * The mass-deletion guard on the real servers: a full pass that would mark 20% of a stream's
 * live records deleted marks none, ends `needs_review` (run result, search attribute, tenant
 * status), and applies them only once an operator confirms with a full resync that allows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli';
import type { XledgerSyncClient } from '../../src/client';
import { loadCheckpoint } from '../../src/store/checkpoints';
import { requestSync } from '../../src/store/sync-requests';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { SyncRunSummary } from '../../src/domain/figures';
import { SyncOutcomeKey } from '../../src/temporal/search-attributes';
import { startHarness, type Harness } from '../support/harness';
import {
  admin,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  liveDocs,
  runSync,
  startSync,
  truth,
} from '../support/sync';
import { cliEnv, connectApi } from '../tenants/support';

const TENANT = 'guarded';
const OWNER = SEED_ENTITIES.owner1;
let h: Harness;
let api: XledgerSyncClient;

beforeAll(async () => {
  h = await startHarness({ seed: 5, suppliers: 400 });
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: OWNER });
  await h.startWorker();
  api = await connectApi(h);
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

function cli(...argv: string[]): Promise<CliResult> {
  return runCliCaptured(argv, { env: cliEnv(h) });
}

describe('the mass-deletion guard', () => {
  it('holds back a full pass that would delete 20% until an operator confirms', async () => {
    const first = await runSync(h, TENANT, 'suppliers', 'full');
    expect(first.status).toBe('completed');
    const live = (await truth(h, OWNER, 'suppliers')).sort((a, b) => a.dbId - b.dbId);
    const gone = live.filter((_, index) => index % 5 === 0); // every fifth: 20%, spread over all pages
    expect(gone.length).toBeGreaterThan(10);
    for (const record of gone) await admin(h, 'DELETE', `/admin/records/suppliers/${record.dbId}`);

    const held = await startSync(h, TENANT, 'suppliers', 'full');
    const run = (await held.result()) as SyncRunSummary;
    expect(run.status).toBe('needs_review');
    expect(run.totals.deleted).toBe(0);
    expect(run.streams[0]!.deletionReview).toMatchObject({
      wouldDelete: gone.length,
      live: live.length,
      maxShare: 0.1,
    });
    expect((await liveDocs(h, 'suppliers', TENANT)).length).toBe(live.length);
    const described = await held.describe();
    expect(described.typedSearchAttributes.get(SyncOutcomeKey)).toBe('needs_review');

    // Still held after an incremental run: the status keeps saying so, with the way out.
    await runSync(h, TENANT, 'suppliers', 'incremental');
    const status = await api.tenantStatus(TENANT);
    const suppliers = status.dataTypes.find((d) => d.dataType === 'suppliers')!;
    expect(suppliers.heldDeletions).toMatchObject([
      { stream: 'suppliers', wouldDelete: gone.length, live: live.length },
    ]);
    const shown = await cli('tenant', 'status', TENANT);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^suppliers\s.*\sneeds_review\s/m);
    expect(shown.stdout).toContain(`suppliers/suppliers: ${gone.length} of ${live.length} live records (20%`);
    expect(shown.stdout).toContain(
      `xledger-sync tenant resync ${TENANT} --type suppliers --full --allow-mass-delete`,
    );

    // The operator confirms: the next run (which takes the request) applies the deletions.
    await requestSync(h.store.db, TENANT, 'suppliers', { full: true, allowMassDelete: true });
    const confirmed = await runSync(h, TENANT, 'suppliers', 'auto');
    expect(confirmed.status).toBe('completed');
    expect(confirmed.trigger).toBe('resync');
    expect(confirmed.totals.deleted).toBe(gone.length);
    expect((await loadCheckpoint(h.store.db, TENANT, 'suppliers')).deletionReview).toBeNull();
    await expectStreamEqualsTruth(h, TENANT, OWNER, DATA_TYPE_TRUTH.suppliers![0]!);
    expect(
      (await api.tenantStatus(TENANT)).dataTypes.find((d) => d.dataType === 'suppliers')!.heldDeletions,
    ).toEqual([]);
  });

  it('a few deletions, under the share, are applied at once', async () => {
    const [victim] = await truth(h, OWNER, 'suppliers');
    await admin(h, 'DELETE', `/admin/records/suppliers/${victim!.dbId}`);
    const run = await runSync(h, TENANT, 'suppliers', 'full');
    expect(run.status).toBe('completed');
    expect(run.totals.deleted).toBe(1);
  });

  it('--allow-mass-delete needs --full, and says so before any server is asked', async () => {
    const refused = await cli('tenant', 'resync', TENANT, '--type', 'suppliers', '--allow-mass-delete');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--allow-mass-delete: --allow-mass-delete needs --full/);
    const accepted = await cli(
      'tenant',
      'resync',
      TENANT,
      '--type',
      'suppliers',
      '--full',
      '--allow-mass-delete',
      '--json',
    );
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({
      resync: { tenantId: TENANT, dataTypes: ['suppliers'], full: true, allowMassDelete: true },
      tenantId: TENANT,
      dataTypes: ['suppliers'],
      full: true,
    });
  });
});
