import type { ActivityDeps } from '../activities/deps';
import type { InvoicePostingSettings } from '../config';

/**
 * The defaults of config.invoices (src/config.ts documents each), for activities built without
 * a config (unit tests). The settle window is far above the request timeout and the time
 * Xledger may take to run a create it received: a create whose answer was lost can still land
 * late, and a second create before it surely did not would post the invoice twice.
 */
export const DEFAULT_INVOICE_SETTINGS: InvoicePostingSettings = {
  settleWindowMs: 600_000,
  settleLookupSpacingMs: 60_000,
  unresolvedAfterMs: 86_400_000,
  leaseMs: 45_000,
  heldRecheckMs: 60_000,
  requestTimeoutMs: 120_000,
};

export const invoiceSettings = (deps: Pick<ActivityDeps, 'invoices'>): InvoicePostingSettings =>
  deps.invoices ?? DEFAULT_INVOICE_SETTINGS;
