import { describeInvoiceChaos } from './chaos-suite';

/**
 * The small chaos run of invoices-chaos.test.ts, with the other model of Xledger's GL import:
 * posted lines stay readable in glImportItems (A: which model is real is not published).
 */
describeInvoiceChaos({
  invoices: Number(process.env.CHAOS_INVOICES ?? 60),
  processedLines: 'stay',
  seed: 31,
  suppliers: 60,
  importProcessingDelayMs: 300,
  run: { submitsPerSecond: 3, settleTimeoutMs: 240_000, sweepEveryMs: 8_000 },
  timeoutMs: 420_000,
});
