import type { ProcessedLineModel } from '../../src/simulator/index';
import { describeInvoiceChaos } from './chaos-suite';

/**
 * Invoices to Xledger, exactly once — the full proof (`npm run test:chaos`): 1,000 invoices
 * over four tenants (CHAOS_INVOICES overrides the count), every kind of simulator fault,
 * Xledger's burst and concurrency limits, and the worker process SIGKILLed and restarted
 * twice mid-run — under both models of what Xledger does with a posted GL import line, one
 * after the other (CHAOS_MODELS=disappear or =stay runs one). Prints the closing note's figures.
 */
const INVOICES = Number(process.env.CHAOS_INVOICES ?? 1_000);
const MODELS = (process.env.CHAOS_MODELS ?? 'disappear,stay').split(',') as ProcessedLineModel[];

for (const [index, processedLines] of MODELS.entries()) {
  describeInvoiceChaos({
    invoices: INVOICES,
    processedLines,
    seed: 29 + index,
    suppliers: 80,
    importProcessingDelayMs: 500,
    run: { submitsPerSecond: 2, settleTimeoutMs: 1_500_000, sweepEveryMs: 30_000 },
    full: true,
    timeoutMs: 2_400_000,
  });
}
