import { describe, expect, it } from 'vitest';
import {
  beginReconciliation,
  claimPass,
  commitProgress,
  completePass,
  PassSupersededError,
  type PassKey,
} from '../../src/store/sync-passes';
import { emptyCounts, type StreamFigures } from '../../src/domain/figures';
import { useScratchDb } from '../support/scratch-store';
import type { StreamCheckpoint } from '../../src/domain/records';
import type { PassProgress } from '../../src/domain/pass-plan';

/**
 * The pass ledger's fence on its own writes: once a newer attempt holds the pass, the older
 * attempt's progress, reconciliation and completion are refused, on whichever server the run
 * uses: each claim and state change inserts the ledger's next version (store/versioned.ts).
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

const RACES = 200;
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
const keys = (race: number) => {
  const zombie: PassKey = { tenantId: `pass-${race}`, stream: 'suppliers', passId: 'run-1:1', attempt: 1 };
  return { zombie, retry: { ...zombie, attempt: 2 }, third: { ...zombie, attempt: 3 } };
};

/**
 * The retry and the zombie raced on the run's real server, 200 times each: with the ledger's
 * old conditional updates FerretDB let a zombie's progress commit undo the retry's claim (2 of
 * 200) and a zombie complete a pass the retry had claimed (135 of 200).
 */
describe('the pass ledger under concurrent attempts', () => {
  it("never lets a zombie's progress commit undo the retry's claim", async () => {
    let undone = 0;
    for (let race = 0; race < RACES; race++) {
      const { zombie, retry, third } = keys(race);
      await claimPass(db(), zombie, () => progress(null));
      await commitProgress(db(), zombie, progress('p1'));
      const [claimed] = await Promise.all([
        settle(claimPass(db(), retry, () => progress(null))),
        settle(commitProgress(db(), zombie, progress('zombie'))),
      ]);
      expect(claimed.ok).toBe(true);
      // The retry holds the pass: its commit lands, and the next attempt resumes from it.
      const own = await settle(commitProgress(db(), retry, progress('retry')));
      const next = await settle(claimPass(db(), third, () => progress(null)));
      if (!own.ok || !next.ok || next.value.kind !== 'claimed' || next.value.progress.after !== 'retry') {
        undone += 1;
      }
    }
    expect({ races: RACES, undone }).toEqual({ races: RACES, undone: 0 });
  });

  it('never lets a zombie complete the pass the retry has claimed', async () => {
    let bothHeld = 0;
    for (let race = 0; race < RACES; race++) {
      const { zombie, retry } = keys(race + RACES);
      await claimPass(db(), zombie, () => progress(null));
      const [claimed, completed] = await Promise.all([
        settle(claimPass(db(), retry, () => progress(null))),
        settle(completePass(db(), zombie, figures, checkpoint)),
      ]);
      // Either the zombie completed first (the retry finds the result) or the retry holds the
      // pass and the zombie's completion is refused: never a retry running a completed pass.
      const retryRuns = claimed.ok && claimed.value.kind === 'claimed';
      if (completed.ok && retryRuns) bothHeld += 1;
      if (!completed.ok && !(completed.error instanceof PassSupersededError)) throw completed.error;
    }
    expect({ races: RACES, bothHeld }).toEqual({ races: RACES, bothHeld: 0 });
  });
});
