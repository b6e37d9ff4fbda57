/**
 * The chaos run's duplicate, made on purpose: a worker records its create and passes the lease
 * fence, then its request waits to leave (Xledger refused it for a burst limit; the client waits
 * 5 s in place before sending it again) and the worker freezes there (SIGSTOP). Its lease lapses;
 * a successor finds the create unanswered, waits out the settle window, looks up twice, finds
 * nothing and posts. Then the frozen worker wakes and its request leaves — long after the
 * moment the settle window counted from. It must not reach Xledger: the invoice is posted once.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../src/invoices/invoice';
import { getOutboxInvoice } from '../../src/invoices/outbox';
import { postingLeaseUntil } from '../../src/invoices/posting-leases';
import { listSends } from '../../src/invoices/sends';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { invoiceWorkflowId } from '../../src/temporal/ids';
import { createActivities } from '../../src/activities';
import { attemptOf, harnessDeps } from '../support/activities';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice, syncPostingMasterData } from '../support/invoices';
import { checkPostings } from '../support/postings';
import { addFault, admin, clearFaults } from '../support/sync';
import { sleep, waitFor } from '../tenants/support';

const TENANT = 'frozen';
const OWNER = SEED_ENTITIES.owner1;
const ENV = {
  XLEDGER_REQUEST_TIMEOUT_MS: '2000',
  INVOICE_SETTLE_WINDOW_MS: '4000',
  INVOICE_SETTLE_LOOKUP_SPACING_MS: '1000',
  INVOICE_POSTING_LEASE_MS: '3000',
};

let h: Harness;
let worker: ChildWorker | undefined;
let supplierCode: string;

beforeAll(async () => {
  h = await startHarness(
    { seed: 31, suppliers: 40, importProcessingDelayMs: 300 },
    undefined,
    undefined,
    ENV,
  );
  await h.saveTenant({ tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: OWNER });
  // The worker that will freeze is the only one: it syncs the master data and starts the posting.
  worker = spawnWorker(h, ENV);
  supplierCode = await syncPostingMasterData(h, TENANT);
}, 180_000);
afterAll(async () => {
  if (worker) {
    worker.process.kill('SIGCONT');
    await worker.kill('SIGKILL');
  }
  await h?.close();
});

type Faults = Array<{ kind: string; field: string | null; remaining: number | null }>;

describe('a sender frozen between its fence and its request', () => {
  it('wakes after its successor posted: its create never reaches Xledger', { timeout: 180_000 }, async () => {
    const invoiceId = 'FRZ-1';
    // The first create is refused whole (burst limit): the sender waits 5 s in place, then sends again.
    await addFault(h, { kind: 'burstRateLimit', field: 'addGLImportItems', count: 1 });
    await submitToOutbox(
      { db: h.store.db, temporal: h.client as Client, taskQueue: h.taskQueue, tenants: h.tenants },
      TENANT,
      invoiceSchema.parse(demoInvoice(invoiceId, supplierCode, { invoiceNumber: 'F-1' })),
    );
    await waitFor(
      'the first create refused while its send is recorded',
      async () => {
        const faults = await admin<Faults>(h, 'GET', '/admin/faults');
        const refused = !faults.some((f) => f.kind === 'burstRateLimit' && (f.remaining ?? 0) > 0);
        return refused && (await listSends(h.store.db, TENANT, invoiceId)).length === 1;
      },
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    // Frozen inside its in-place wait: the request is still to leave.
    worker!.process.kill('SIGSTOP');
    await clearFaults(h);
    const leaseUntil = (await postingLeaseUntil(h.store.db, TENANT, invoiceId))!.getTime();
    await sleep(Math.max(leaseUntil - Date.now() + 200, 0));

    // The successor: the next attempt of the same activity, as Temporal would start it (the
    // test plays Temporal's part, retrying after the delay each failure asks for).
    const activities = createActivities({ ...harnessDeps(h), invoices: h.config.invoices });
    const handle = h.client.workflow.getHandle(invoiceWorkflowId(TENANT, invoiceId));
    const runId = (await handle.describe()).runId;
    let outcome: Awaited<ReturnType<typeof activities.postInvoice>> | undefined;
    for (let tries = 0; !outcome && tries < 20; tries++) {
      try {
        outcome = await attemptOf(runId, 2 + tries, 'post').run(activities.postInvoice, {
          tenantId: TENANT,
          invoiceId,
        });
      } catch (error) {
        if (!(error instanceof ApplicationFailure) || error.nextRetryDelay === undefined) throw error;
        await sleep(Number(error.nextRetryDelay));
      }
    }
    expect(outcome?.lineDbIds.length).toBeGreaterThan(0);
    const sendsBeforeWaking = await listSends(h.store.db, TENANT, invoiceId);
    expect(sendsBeforeWaking.map((send) => send.outcome)).toEqual(['not_landed', 'answered']);

    // The frozen sender wakes; its wait ends and its request would leave now: it records what
    // became of it either way (answered if it went, not_sent if it was held back).
    worker!.process.kill('SIGCONT');
    await waitFor(
      'the woken sender done with its create',
      async () => (await listSends(h.store.db, TENANT, invoiceId))[0]?.outcome !== 'not_landed',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const final = await waitFor(
      'the invoice settled (posted, or needing attention for a duplicate)',
      async () => {
        const state = (await getOutboxInvoice(h.store.db, TENANT, invoiceId))?.state;
        return state === 'posted' || state === 'needs_attention' ? state : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    const check = await checkPostings(h, [TENANT], [OWNER]);
    const sends = await listSends(h.store.db, TENANT, invoiceId);
    console.log(
      `[frozen sender] ${final}; sends: ${sends.map((s) => `${s.n} ${s.outcome}${s.note ? ` (${s.note})` : ''}`).join('; ')}; ${JSON.stringify(check)}`,
    );
    expect(check.duplicates).toEqual([]);
    expect(final).toBe('posted');
    expect(check.postedOnce).toBe(1);
    // The woken sender's create was dropped at its departure deadline, and says so.
    expect(sends.map((send) => send.outcome)).toEqual(['not_sent', 'answered']);
    expect(sends[0]!.note).toMatch(/due to leave by .* and had not/);
  });
});
