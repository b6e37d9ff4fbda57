import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';
import { formatReport, runInvoiceChaos, type ChaosReport } from './scenario';

/**
 * Invoices to Xledger, exactly once — the full proof (`npm run test:chaos`): 1,000 invoices
 * over four tenants (CHAOS_INVOICES overrides the count), every kind of simulator fault,
 * Xledger's burst and concurrency limits, and the worker process SIGKILLed and restarted
 * twice mid-run. Prints the closing note's figures.
 */
const INVOICES = Number(process.env.CHAOS_INVOICES ?? 1_000);

let h: Harness;
let report: ChaosReport;

beforeAll(async () => {
  h = await startHarness({ seed: 29, suppliers: 80, importProcessingDelayMs: 500 });
  report = await runInvoiceChaos(h, {
    invoices: INVOICES,
    kills: 2,
    submitsPerSecond: 2,
    settleTimeoutMs: 1_500_000,
    sweepEveryMs: 30_000,
    log: (message) => console.log(`[chaos] ${message}`),
  });
  console.log(`[chaos] figures\n${formatReport(report)}`);
}, 2_400_000);
afterAll(() => h?.close());

describe(`invoices to Xledger under chaos (${INVOICES} invoices)`, () => {
  it('none lost, none doubled: every invoice posted exactly once or rejected with a reason', () => {
    expect(report.problems, report.workerOutput).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(report.invoices.unsettled).toBe(0);
    expect(report.invoices.submitted).toBe(INVOICES + 11);
  });

  it('under faults and limits, with the worker killed and restarted twice mid-run', () => {
    expect(report.kills).toHaveLength(2);
    expect(report.kills.every((kill) => kill.postingInFlight > 0)).toBe(true);
    expect(report.submittedWhileWorkerDown).toBeGreaterThan(0);
    expect(report.storedWithoutStart).toBeGreaterThan(0);
    expect(report.faults['commitThenDrop(addGLImportItems)']).toBeGreaterThan(0);
  });

  it('concurrent duplicates, a race with the sweep and closed periods behave', () => {
    expect(report.concurrentDuplicate).toMatchObject({
      outboxDocs: 1,
      workflows: 1,
      lines: 3,
      state: 'posted',
    });
    expect(report.race.workflows).toBe(report.race.invoices);
    expect(report.race.postedOnce).toBe(report.race.invoices);
    expect(report.closedPeriod.allRejectedWithReason).toBe(true);
    expect(report.rejectedBy.xledger).toBe(report.closedPeriod.invoiceIds.length);
  });
});
