import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessedLineModel } from '../../src/simulator/index';
import { startHarness, type Harness } from '../support/harness';
import { chaosTenants, formatReport, runInvoiceChaos, type ChaosOptions, type ChaosReport } from './scenario';

export interface ChaosSuite {
  /** Invoices of the main stream (the duplicate and race invoices come on top). */
  invoices: number;
  /** (A) Whether Xledger keeps posted GL import lines readable: proven under both. */
  processedLines: ProcessedLineModel;
  seed: number;
  suppliers: number;
  importProcessingDelayMs: number;
  run: Pick<ChaosOptions, 'submitsPerSecond' | 'settleTimeoutMs' | 'sweepEveryMs'>;
  /** The full run also requires every kill to hit a posting in flight. */
  full?: boolean;
  timeoutMs: number;
}

/**
 * Invoices to Xledger, exactly once, under chaos: every kind of simulator fault, Xledger's burst
 * and concurrency limits, and the worker process SIGKILLed and restarted twice mid-run — for
 * one model of what Xledger does with a processed GL import line (see scenario.ts).
 */
export function describeInvoiceChaos(suite: ChaosSuite): void {
  const lines = suite.processedLines === 'stay' ? 'processed lines stay' : 'processed lines disappear';
  describe(`invoices to Xledger under chaos (${suite.invoices} invoices, ${lines})`, () => {
    let h: Harness;
    let report: ChaosReport;

    beforeAll(async () => {
      h = await startHarness({
        seed: suite.seed,
        suppliers: suite.suppliers,
        importProcessingDelayMs: suite.importProcessingDelayMs,
      });
      report = await runInvoiceChaos(h, {
        invoices: suite.invoices,
        kills: 2,
        processedLines: suite.processedLines,
        // Own tenant ids per model: several runs may share the test run's Temporal namespace.
        tenants: chaosTenants(suite.processedLines === 'stay' ? 'chaos-stay' : 'chaos'),
        ...suite.run,
        log: (message) => console.log(`[chaos ${suite.processedLines}] ${message}`),
      });
      console.log(`[chaos ${suite.processedLines}] figures\n${formatReport(report)}`);
    }, suite.timeoutMs);
    afterAll(() => h?.close());

    it('every submitted invoice ends posted or rejected with a reason, each exactly once in Xledger', () => {
      expect(report.processedLines).toBe(suite.processedLines);
      expect(report.problems, report.workerOutput).toEqual([]);
      expect(report.lost).toEqual([]);
      expect(report.duplicates).toEqual([]);
      expect(report.invoices.unsettled).toBe(0);
      expect(report.invoices.submitted).toBe(suite.invoices + 11);
      expect(report.payables).toBe(report.invoices.posted);
    });

    it('while faults were injected, limits refused requests, and the worker was killed twice', () => {
      expect(report.kills).toHaveLength(2);
      if (suite.full) expect(report.kills.every((kill) => kill.postingInFlight > 0)).toBe(true);
      expect(report.submittedWhileWorkerDown).toBeGreaterThan(0);
      // Submits that stored the invoice but never reached Temporal were started by the sweep.
      expect(report.storedWithoutStart).toBeGreaterThan(0);
      expect(report.faultsTotal).toBeGreaterThan(0);
      expect(report.faults['commitThenDrop(addGLImportItems)']).toBeGreaterThan(0);
      // Creates whose answer was lost after the request timeout, then landed: none sent twice.
      expect(report.faults['slow(addGLImportItems)']).toBeGreaterThan(0);
      expect(report.lostAnswers.landed).toBeGreaterThan(0);
      expect(report.lostAnswers.stillUnknown).toBe(0);
      if (suite.processedLines === 'disappear') {
        // A create whose answer was lost was found by its retry as a posted payable.
        expect(report.foundAsPostedPayable).toBeGreaterThan(0);
      } else {
        expect(report.foundAsPostedPayable).toBe(0);
      }
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
}
