import { describe, expect, it } from 'vitest';
import {
  claimPosting,
  holdsPosting,
  postingLeaseUntil,
  releasePosting,
  renewPosting,
  type PostingLease,
} from '../../src/invoices/posting-leases';
import { useScratchDb } from '../support/scratch-store';

/**
 * The posting lease: one activity attempt at a time may look Xledger up and create. On the test
 * run's real FerretDB, where a conditional update decides nothing: claims are inserts of the
 * lease register's next version (store/versioned.ts).
 */
const db = useScratchDb('lease');

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, seconds));

describe('posting leases', () => {
  it('one holder at a time; the holder renews; another takes over only once it lapsed', async () => {
    const first = await claimPosting(db(), 't', 'inv-1', 'attempt-1', 45_000, at(0));
    expect(first).not.toBeNull();
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(10))).toBeNull();
    expect(await renewPosting(db(), first!, 45_000, at(20))).toBe(true);
    expect(await postingLeaseUntil(db(), 't', 'inv-1')).toEqual(at(65));
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(60))).toBeNull();
    const second = await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(66));
    expect(second).not.toBeNull();
    // The zombie can neither renew what it lost nor release the new holder's lease; its fence is shut.
    expect(await renewPosting(db(), first!, 45_000, at(67))).toBe(false);
    expect(await holdsPosting(db(), first!, at(67))).toBe(false);
    await releasePosting(db(), first!);
    expect(await postingLeaseUntil(db(), 't', 'inv-1')).toEqual(at(111));
    expect(await holdsPosting(db(), second!, at(67))).toBe(true);
    await releasePosting(db(), second!);
    expect((await postingLeaseUntil(db(), 't', 'inv-1'))!.getTime()).toBeLessThan(at(0).getTime());
    // Released: the next claimant takes it at once.
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-3', 45_000, at(68))).not.toBeNull();
    // Another invoice of the same tenant is independent.
    expect(await claimPosting(db(), 't', 'inv-2', 'attempt-9', 45_000, at(0))).not.toBeNull();
  });

  it('200 races of 8 claimants, then 8 more with the stalled holder waking late: one holder at a time', async () => {
    const RACES = 200;
    const CLAIMANTS = 8;
    const failures: string[] = [];
    const race = async (r: number) => {
      const invoice = `race-${r}`;
      const t0 = new Date(Date.UTC(2026, 10, 25, 12, 0, 0));
      const first = await Promise.all(
        Array.from({ length: CLAIMANTS }, (_, n) => claimPosting(db(), 't', invoice, `a${n}`, 10_000, t0)),
      );
      const won = first.filter((lease): lease is PostingLease => lease !== null);
      if (won.length !== 1) failures.push(`race ${r}: ${won.length} holders at once`);
      const stalled = won[0];
      // The holder stalls past its lease; 8 claimants race while it wakes and renews, then sends.
      const later = new Date(t0.getTime() + 11_000);
      const [again, renewed] = await Promise.all([
        Promise.all(
          Array.from({ length: CLAIMANTS }, (_, n) =>
            claimPosting(db(), 't', invoice, `b${n}`, 10_000, later),
          ),
        ),
        stalled ? renewPosting(db(), stalled, 10_000, later) : Promise.resolve(false),
      ]);
      const next = again.filter((lease): lease is PostingLease => lease !== null);
      const holders = [
        ...(await Promise.all(next.map((lease) => holdsPosting(db(), lease, later)))),
        ...(stalled ? [await holdsPosting(db(), stalled, later)] : []),
      ].filter(Boolean).length;
      if (holders !== 1) failures.push(`race ${r}: ${holders} holders after the lapse (renewed: ${renewed})`);
      // Every claimant that won believes it holds the lease: exactly one may.
      if (next.length + (renewed ? 1 : 0) !== 1)
        failures.push(
          `race ${r}: ${next.length} claims won after the lapse, the stalled holder renewed: ${renewed}`,
        );
    };
    for (let r = 0; r < RACES; r += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => race(r + k)));
    }
    expect(failures).toEqual([]);
  }, 240_000);
});
