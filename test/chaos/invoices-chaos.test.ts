import { describeInvoiceChaos } from './chaos-suite';

/**
 * Invoices to Xledger, exactly once — the small run of the chaos scenario in `npm test` (the full
 * 1,000 is `npm run test:chaos`): 60 invoices over four tenants, every kind of simulator fault,
 * Xledger's burst and concurrency limits, and the worker process SIGKILLed and restarted twice
 * mid-run. Here posted GL import lines disappear from glImportItems (the simulator's default,
 * the cautious model); invoices-chaos-lines-stay.test.ts runs the other model.
 */
describeInvoiceChaos({
  invoices: Number(process.env.CHAOS_INVOICES ?? 60),
  processedLines: 'disappear',
  seed: 23,
  suppliers: 60,
  importProcessingDelayMs: 300,
  run: { submitsPerSecond: 3, settleTimeoutMs: 240_000, sweepEveryMs: 8_000 },
  timeoutMs: 420_000,
});
