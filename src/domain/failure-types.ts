/**
 * The `type` of every ApplicationFailure an activity raises on purpose: what workflows match on
 * (`nonRetryableErrorTypes`, a rejected invoice) and what operators filter on in the Web UI.
 * Workflow-safe (plain strings), so workflows and activities share this one list. The names are
 * recorded in workflow histories: never rename one. src/activities/cast-known-errors.ts casts
 * errors to them.
 */
export const FailureType = {
  /** Xledger refused an invoice's voucher: the invoice is rejected, nothing is retried. */
  invoiceRejected: 'InvoiceRejected',
  /** Another attempt holds the invoice's posting lease: retried when it lapses. */
  invoicePostingBusy: 'InvoicePostingBusy',
  /**
   * A create's answer was lost and it may still land in Xledger: no new create until it surely
   * did not (invoices/settle-window.ts); retried when the invoice should be settled.
   */
  invoiceUnsettled: 'InvoiceUnsettled',
  /** The tenant needs attention for a duplicated invoice: no new create until it is resumed; retried. */
  invoicePostingHeld: 'InvoicePostingHeld',
  /** A posting attempt failed for a reason other than Xledger's (e.g. MongoDB): retried. */
  invoicePostingError: 'InvoicePostingError',
  /** The token's requests are queued in this worker: the invoice activity steps aside for a while. */
  xledgerTokenBusy: 'XledgerTokenBusy',
  /** A newer attempt or pass owns the stream: this attempt stops writing. */
  passSuperseded: 'PassSupersededError',
  /** A full pass's pages do not cover the stream: deletions cannot be reconciled. */
  passIncomplete: 'PassIncompleteError',
} as const;

/**
 * An Xledger error's failure type, by its kind (xledger/errors.ts' XledgerErrorKind:
 * activities/cast-known-errors.ts holds the two equal); non-retryable kinds end a sync run at once.
 */
export const xledgerFailureTypes = {
  unauthorized: 'XledgerUnauthorized',
  missing_scope: 'XledgerMissingScope',
  credits_exhausted: 'XledgerCreditsExhausted',
  invalid_request: 'XledgerInvalidRequest',
  rate_limited: 'XledgerRateLimited',
  query_timeout: 'XledgerQueryTimeout',
  transient: 'XledgerUnavailable',
};
