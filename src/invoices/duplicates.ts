import type { StagedLine, PostedVoucher } from '../xledger/gl-import';
import type { DuplicateFinding } from './settlement';

/**
 * Whether Xledger holds the voucher more than once, from what a look-up by its lines'
 * extIdentifiers found after it was posted: more than one posted payable carrying its payable
 * line's extIdentifier, or any of its lines staged more than once. Null when it is there once.
 */
export function duplicateFinding(
  invoiceId: string,
  keys: readonly string[],
  found: { lines: StagedLine[]; payables: Array<PostedVoucher & { extIdentifier: string | null }> },
  now = new Date(),
): DuplicateFinding | null {
  const payables = [
    ...new Map(found.payables.map((payable) => [payable.apTransactionDbId, payable])).values(),
  ];
  const perKey = new Map<string, number>();
  for (const line of found.lines) {
    if (line.extIdentifier) perKey.set(line.extIdentifier, (perKey.get(line.extIdentifier) ?? 0) + 1);
  }
  const stagedTwice = [...perKey.values()].some((count) => count > 1);
  if (payables.length <= 1 && !stagedTwice) return null;
  const transactions = payables.map(
    (payable) => payable.transactionDbId ?? `payable ${payable.apTransactionDbId}`,
  );
  return {
    message:
      `Xledger holds invoice ${invoiceId} more than once: ${payables.length} posted payables` +
      (transactions.length > 0 ? ` (transactions ${transactions.join(', ')})` : '') +
      ` and ${found.lines.length} staging lines for a voucher of ${keys.length} lines; reverse the extra voucher in Xledger`,
    copies: payables.map((payable) => ({
      apTransactionDbId: payable.apTransactionDbId,
      transactionDbId: payable.transactionDbId,
    })),
    stagedLines: found.lines.length,
    voucherLines: keys.length,
    foundAt: now,
  };
}
