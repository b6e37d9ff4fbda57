import type { Db } from 'mongodb';
import { collections } from '../store/collections';
import { insertClaim } from '../store/versioned';

/**
 * An invoice's final state, decided once: the insert of `<tenant>:<invoice>:settled`. Of two
 * attempts settling at once (a zombie and its retry, a posted check and a late rejection) one
 * insert wins and both go on with the winner's decision; every later write of the outbox
 * document reads it by `_id` first and leaves a settled invoice as it was settled (outbox.ts).
 * FerretDB v1 runs every update as read, change, write back: only this insert is atomic there.
 */
export interface DuplicateFinding {
  /** What Xledger holds twice, in words (the invoice's reason, the event's message). */
  message: string;
  /** Every posted payable carrying the invoice's payable line's extIdentifier. */
  copies: Array<{ apTransactionDbId: number; transactionDbId: number | null }>;
  /** Staging lines found by the invoice's extIdentifiers, and how many the voucher has. */
  stagedLines: number;
  voucherLines: number;
  foundAt: Date;
}

export interface Settlement {
  _id: string;
  tenantId: string;
  invoiceId: string;
  state: 'posted' | 'rejected';
  reasons: string[];
  xledger: { lineDbIds: number[]; transactionDbId: number | null };
  postedAt: Date | null;
  /** Xledger holds the invoice more than once (found when it was posted): loud, never hidden. */
  duplicate: DuplicateFinding | null;
  at: Date;
}

export type Decision = Pick<Settlement, 'state' | 'reasons' | 'xledger' | 'postedAt' | 'duplicate'>;

const settlements = (db: Db) => db.collection<Settlement>(collections.invoiceSettlements);
const settlementId = (tenantId: string, invoiceId: string) => `${tenantId}:${invoiceId}:settled`;

export async function readSettlement(
  db: Db,
  tenantId: string,
  invoiceId: string,
): Promise<Settlement | null> {
  return settlements(db).findOne({ _id: settlementId(tenantId, invoiceId) });
}

/**
 * Settles the invoice with `decision` unless it is settled already. Returns the settlement that
 * holds (this call's or the earlier one) and whether this call made it.
 */
export async function claimSettlement(
  db: Db,
  tenantId: string,
  invoiceId: string,
  decision: Decision,
  now = new Date(),
): Promise<{ settlement: Settlement; mine: boolean }> {
  const settlement: Settlement = {
    _id: settlementId(tenantId, invoiceId),
    tenantId,
    invoiceId,
    ...decision,
    at: now,
  };
  if (await insertClaim(settlements(db), settlement)) return { settlement, mine: true };
  const earlier = await readSettlement(db, tenantId, invoiceId);
  if (!earlier) throw new Error(`The settlement of invoice ${invoiceId} of tenant ${tenantId} vanished`);
  return { settlement: earlier, mine: false };
}
