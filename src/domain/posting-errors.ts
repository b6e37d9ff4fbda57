/**
 * How an invoice activity's attempt ends when it does not succeed, said in the invoice's terms;
 * src/activities/cast-known-errors.ts turns each into the ApplicationFailure the posting workflow
 * sees. Messages name the invoice and tenant, never the token.
 */

/** Xledger refused the voucher itself: the invoice is rejected for good. */
export class InvoiceRejectedError extends Error {
  override name = 'InvoiceRejectedError';
  constructor(ref: { tenantId: string; invoiceId: string }, reason: string) {
    super(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${reason}`);
  }
}

/**
 * The attempt failed and is retried (an invoice is never dropped): `cause` is what failed — an
 * XledgerError (its kind is the failure's type, its retry-after the next delay) or anything else.
 */
export class InvoiceAttemptError extends Error {
  override name = 'InvoiceAttemptError';
  constructor(ref: { tenantId: string; invoiceId: string }, reason: string, options: { cause: unknown }) {
    super(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId}: ${reason}`, options);
  }
}
