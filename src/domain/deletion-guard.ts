/**
 * The deletion guard, the second line behind the look-up by id (sync/confirm-deletions.ts):
 * a pass marks as deleted only the stored records Xledger no longer returns when asked for them
 * by id, and even those wait for an operator when they are more likely a fault than real
 * deletions in Xledger:
 * - the tenant's entity tree shrank: the token no longer sees entities it saw (a client dropped
 *   from a short entity list, or from the token's rights), and the records of those entities
 *   vanish from every answer, by id too;
 * - a pass would take away a large share of a stream's live records, or all of them (a token
 *   that lost sight of something, a half-answered read, a bug).
 * Such a pass applies none of its deletions and waits for an operator (`--allow-mass-delete`).
 * Pure: workflows and activities both read it.
 */

/** Default share of a stream's live records a pass may mark deleted without review. */
export const DEFAULT_MAX_DELETION_SHARE = 0.1;
/**
 * Up to this many deletions never wait for review on account of their share: in a stream of a
 * few records (currencies, object kinds) one real deletion is already a large share. Small, so
 * that a small stream losing most of its records (4 of 5, 10 of 11) still waits. A pass that
 * would delete every live record always waits.
 */
export const DELETIONS_ALWAYS_APPLIED = 2;

/** Why a pass's deletions wait for an operator. */
export type DeletionHoldReason = 'mass_deletion' | 'entity_tree_shrank';

export interface DeletionReview {
  /** Live records Xledger no longer returned (by id too), and so would be marked deleted. */
  wouldDelete: number;
  /** Live records before the pass. */
  live: number;
  /** The tenant's allowed share when the pass ran. */
  maxShare: number;
  detectedAt: string;
  /** Absent on reviews stored before entity trees were checked: a mass deletion. */
  reason?: DeletionHoldReason;
  /** entity_tree_shrank: the tenant's entities (owner or clients) the token no longer sees. */
  missingEntities?: number[];
}

export type DeletionVerdict = { apply: true } | { apply: false; review: DeletionReview };

export function deletionVerdict(input: {
  live: number;
  wouldDelete: number;
  maxShare: number;
  /** The tenant's stored entities that the latest read of its entity tree no longer returned. */
  missingEntities?: readonly number[];
  /** An operator confirmed this pass's deletions (`--allow-mass-delete`). */
  allowMassDelete: boolean;
  now: Date;
}): DeletionVerdict {
  const { live, wouldDelete, maxShare } = input;
  if (input.allowMassDelete || wouldDelete === 0) return { apply: true };
  const review = { wouldDelete, live, maxShare, detectedAt: input.now.toISOString() };
  const missingEntities = [...(input.missingEntities ?? [])];
  if (missingEntities.length > 0) {
    return { apply: false, review: { ...review, reason: 'entity_tree_shrank', missingEntities } };
  }
  const wipesOut = live > 0 && wouldDelete >= live;
  const tooMany = wouldDelete > Math.max(DELETIONS_ALWAYS_APPLIED, maxShare * live);
  if (!(wipesOut || tooMany)) return { apply: true };
  return { apply: false, review: { ...review, reason: 'mass_deletion' } };
}
