import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';
import { formatReport, runInvoiceChaos, type ChaosReport } from './scenario';

/**
 * Invoices to Xledger, exactly once — the small run of the chaos scenario (the full 1,000 is
 * `npm run test:chaos`): 60 invoices over four tenants, every kind of simulator fault, Xledger's
 * burst and concurrency limits, and the worker process SIGKILLed and restarted twice mid-run.
 */
const INVOICES = Number(process.env.CHAOS_INVOICES ?? 60);

let h: Harness;
let report: ChaosReport;

beforeAll(async () => {
  h = await startHarness({ seed: 23, suppliers: 60, importProcessingDelayMs: 300 });
  report = await runInvoiceChaos(h, {
    invoices: INVOICES,
    kills: 2,
    submitsPerSecond: 3,
    settleTimeoutMs: 240_000,
    sweepEveryMs: 8_000,
    log: (message) => console.log(`[chaos] ${message}`),
  });
  console.log(`[chaos] figures\n${formatReport(report)}`);
}, 420_000);
afterAll(() => h?.close());

describe('invoices to Xledger under chaos', () => {
  it('every submitted invoice ends posted or rejected with a reason, each exactly once in Xledger', () => {
    expect(report.problems, report.workerOutput).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(report.invoices.unsettled).toBe(0);
    expect(report.invoices.submitted).toBe(INVOICES + 11);
  });

  it('while faults were injected, limits refused requests, and the worker was killed twice', () => {
    expect(report.kills).toHaveLength(2);
    expect(report.submittedWhileWorkerDown).toBeGreaterThan(0);
    // Submits that stored the invoice but never reached Temporal were started by the sweep.
    expect(report.storedWithoutStart).toBeGreaterThan(0);
    expect(report.faultsTotal).toBeGreaterThan(0);
    expect(report.faults['commitThenDrop(addGLImportItems)']).toBeGreaterThan(0);
  });

  it('ten concurrent submissions of one invoice make one outbox document, one workflow, one voucher', () => {
    expect(report.concurrentDuplicate).toMatchObject({
      outboxDocs: 1,
      workflows: 1,
      lines: 3,
      state: 'posted',
    });
  });

  it('a submit racing the schedule’s sweep still posts each invoice once', () => {
    expect(report.race.workflows).toBe(report.race.invoices);
    expect(report.race.postedOnce).toBe(report.race.invoices);
  });

  it('an import error (closed period) ends as rejected with Xledger’s message', () => {
    expect(report.closedPeriod.invoiceIds.length).toBeGreaterThan(0);
    expect(report.closedPeriod.allRejectedWithReason).toBe(true);
    expect(report.rejectedBy.xledger).toBe(report.closedPeriod.invoiceIds.length);
    expect(report.rejectedBy.validator).toBeGreaterThan(0);
  });
});
