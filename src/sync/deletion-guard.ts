/**
 * The mass-deletion guard: a full pass marks as deleted the stored records Xledger no longer
 * returns, and a pass that would suddenly take away a large share of a stream's live records
 * is more likely a fault (a token that lost sight of an entity, a half-answered read, a bug)
 * than real deletions in Xledger. Such a pass applies nothing and waits for an operator.
 * Pure: workflows and activities both read it.
 */

/** Default share of a stream's live records a full pass may mark deleted without review. */
export const DEFAULT_MAX_DELETION_SHARE = 0.1;
/**
 * Up to this many deletions never wait for review, whatever the share: in a stream of a few
 * records (currencies, object kinds) one real deletion is already a large share. A pass that
 * would delete every live record always waits.
 */
export const DELETIONS_ALWAYS_APPLIED = 10;

export interface DeletionReview {
  /** Live records the pass did not see, and so would mark deleted. */
  wouldDelete: number;
  /** Live records before the pass. */
  live: number;
  /** The tenant's allowed share when the pass ran. */
  maxShare: number;
  detectedAt: string;
}

export type DeletionVerdict = { apply: true } | { apply: false; review: DeletionReview };

export function deletionVerdict(input: {
  live: number;
  wouldDelete: number;
  maxShare: number;
  /** An operator confirmed this pass's deletions (`--allow-mass-delete`). */
  allowMassDelete: boolean;
  now: Date;
}): DeletionVerdict {
  const { live, wouldDelete, maxShare } = input;
  const wipesOut = live > 0 && wouldDelete === live;
  const tooMany = wouldDelete > DELETIONS_ALWAYS_APPLIED && wouldDelete > maxShare * live;
  if (input.allowMassDelete || wouldDelete === 0 || !(wipesOut || tooMany)) return { apply: true };
  return {
    apply: false,
    review: { wouldDelete, live, maxShare, detectedAt: input.now.toISOString() },
  };
}
