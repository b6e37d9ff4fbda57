import { describe, expect, it } from 'vitest';
import {
  beginReconciliation,
  claimPass,
  commitProgress,
  completePass,
  PassSupersededError,
  type PassKey,
  type PassProgress,
} from '../../src/store/sync-passes';
import type { StreamCheckpoint } from '../../src/store/checkpoints';
import { emptyCounts, type StreamFigures } from '../../src/sync/figures';
import { useScratchDb } from '../support/scratch-store';

/**
 * The pass ledger's fence on its own writes: once a newer attempt holds the pass, the older
 * attempt's progress, reconciliation and completion are refused, on whichever server the run
 * uses (on FerretDB the holder is read by `_id`, then written by `_id`).
 */
const db = useScratchDb('pass_ledger');

const progress = (after: string | null): PassProgress => ({
  mode: 'full',
  since: null,
  after,
  maxModifiedAt: null,
  deltaCursor: null,
  deltasRead: false,
  counts: emptyCounts(),
  startedAt: Date.now(),
});
const figures = { stream: 'suppliers', mode: 'full' } as unknown as StreamFigures;
const checkpoint = { tenantId: 't', stream: 'suppliers' } as unknown as StreamCheckpoint;

describe('the pass ledger', () => {
  it('refuses every write of an attempt once a newer attempt holds its pass, and any after completion', async () => {
    const first: PassKey = { tenantId: 't', stream: 'suppliers', passId: 'run-1:2', attempt: 1 };
    const second: PassKey = { ...first, attempt: 2 };
    expect((await claimPass(db(), first, () => progress(null))).kind).toBe('claimed');
    await commitProgress(db(), first, progress('p1'));

    const claim = await claimPass(db(), second, () => progress(null));
    expect(claim).toMatchObject({ kind: 'claimed', resumed: true, progress: { after: 'p1' } });

    // The zombie (attempt 1) can no longer write anything.
    await expect(commitProgress(db(), first, progress('zombie'))).rejects.toBeInstanceOf(PassSupersededError);
    await expect(beginReconciliation(db(), first)).rejects.toBeInstanceOf(PassSupersededError);
    await expect(completePass(db(), first, figures, checkpoint)).rejects.toBeInstanceOf(PassSupersededError);

    // The holder goes on; its progress is what the zombie did not overwrite.
    await commitProgress(db(), second, progress('p2'));
    await beginReconciliation(db(), second);
    // Reconciling: a page commit is refused (only completion may follow).
    await expect(commitProgress(db(), second, progress('p3'))).rejects.toBeInstanceOf(PassSupersededError);
    await completePass(db(), second, figures, checkpoint);
    await expect(completePass(db(), second, figures, checkpoint)).rejects.toBeInstanceOf(PassSupersededError);

    // A third attempt of the same pass finds it complete with its result.
    const third = await claimPass(db(), { ...first, attempt: 3 }, () => progress(null));
    expect(third).toMatchObject({ kind: 'complete', result: figures });
  });
});
