/**
 * What the simulated Xledger holds of posted invoices (its admin API's ground truth), for tests
 * that prove exactly-once: every invoice's payable line staged and posted once, nothing twice.
 */
import { type OutboxInvoice } from '../../src/invoices/outbox';
import { collections } from '../../src/store/collections';
import type { Harness } from './harness';
import { admin } from './sync';

export interface PostingsCheck {
  /** Outbox invoices of the tenants, by state. */
  states: Record<string, number>;
  /** Posted invoices whose payable line Xledger holds exactly once. */
  postedOnce: number;
  /** extIdentifiers Xledger holds more than once (staging lines or posted payables). */
  duplicates: string[];
  /** Invoices the outbox calls posted that Xledger has no payable for, or more than one. */
  lost: string[];
}

export async function checkPostings(
  h: Harness,
  tenantIds: string[],
  owners: number[],
): Promise<PostingsCheck> {
  const payables = new Map<string, number>();
  const duplicates: string[] = [];
  for (const owner of new Set(owners)) {
    const truth = await admin<{
      apTransactions: Array<{ extIdentifier: string | null }>;
      duplicates: Array<{ extIdentifier: string; count: number }>;
    }>(h, 'GET', `/admin/gl-import/${owner}`);
    duplicates.push(...truth.duplicates.map((d) => `${d.extIdentifier} × ${d.count}`));
    for (const payable of truth.apTransactions) {
      if (!payable.extIdentifier?.startsWith('semine:')) continue;
      payables.set(payable.extIdentifier, (payables.get(payable.extIdentifier) ?? 0) + 1);
    }
  }
  for (const [key, count] of payables) if (count > 1) duplicates.push(`payable ${key} × ${count}`);
  const states: Record<string, number> = {};
  const lost: string[] = [];
  let postedOnce = 0;
  const docs = await h.store.db
    .collection<OutboxInvoice>(collections.invoiceOutbox)
    .find({ tenantId: { $in: tenantIds } })
    .toArray();
  for (const doc of docs) {
    states[doc.state] = (states[doc.state] ?? 0) + 1;
    const payable = payables.get(`semine:${doc.tenantId}:${doc.invoiceId}:0`) ?? 0;
    if (doc.state === 'posted' && payable === 1) postedOnce += 1;
    else if (doc.state === 'posted' || payable > 0)
      lost.push(`${doc.tenantId}:${doc.invoiceId} (${doc.state}, ${payable} payables)`);
  }
  return { states, postedOnce, duplicates, lost };
}
