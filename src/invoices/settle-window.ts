import type { InvoicePostingSettings } from '../config';
import type { InvoiceSend } from './sends';

/**
 * When a create whose answer never came back has provably not landed. Xledger has no idempotency
 * key and runs a request to its end after the client hung up, so "the look-up found nothing" is
 * not proof while the create may still be running: only once the settle window (well above the
 * request timeout and Xledger's processing time) has passed since the send, and two look-ups a
 * spacing apart — both after the window — found nothing, may a new create go. The window counts
 * from the latest moment the request could have left (its departure deadline, departure.ts), not
 * from when it was recorded: a request can wait in the gate, or in a frozen worker, before it leaves.
 */
export type SettleVerdict =
  | {
      kind: 'wait';
      /** Look again after this long. */
      retryInMs: number;
      /** For the invoice's lastError: what the service is unsure of and until when. */
      reason: string;
      /** Keep this empty look-up as the first of the two (it came after the window). */
      recordLookup: boolean;
    }
  | { kind: 'not_landed' };

export function settleVerdict(
  unknown: readonly InvoiceSend[],
  emptyLookupAt: Date,
  settings: Pick<InvoicePostingSettings, 'settleWindowMs' | 'settleLookupSpacingMs'>,
): SettleVerdict {
  const latest = unknown.reduce((a, b) => (leftBy(b) > leftBy(a) ? b : a));
  const now = emptyLookupAt.getTime();
  const windowEnd = leftBy(latest) + settings.settleWindowMs;
  const spacing = settings.settleLookupSpacingMs;
  const sent = `Create ${latest.n} was sent at ${latest.at.toISOString()} (to leave by ${new Date(leftBy(latest)).toISOString()}) and its answer never came back; Xledger may still run it`;
  if (now < windowEnd) {
    return {
      kind: 'wait',
      retryInMs: windowEnd - now,
      reason: `${sent}. Nothing is sent again before ${new Date(windowEnd).toISOString()} (the settle window), and only if two look-ups ${Math.round(spacing / 1000)} s apart find nothing`,
      recordLookup: false,
    };
  }
  const afterWindow = latest.emptyLookups.map((at) => at.getTime()).filter((at) => at >= windowEnd);
  if (afterWindow.some((at) => now - at >= spacing)) return { kind: 'not_landed' };
  const first = afterWindow.length > 0 ? Math.min(...afterWindow) : now;
  return {
    kind: 'wait',
    retryInMs: Math.max(first + spacing - now, 1_000),
    reason: `${sent}. The settle window has passed and a look-up found nothing; one more ${Math.round(spacing / 1000)} s later must agree before it is sent again`,
    recordLookup: afterWindow.length === 0,
  };
}

/** The latest moment the send's request could have left this process. */
const leftBy = (send: InvoiceSend): number => (send.leavesBy ?? send.at).getTime();
