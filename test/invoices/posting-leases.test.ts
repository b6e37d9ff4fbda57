import { describe, expect, it } from 'vitest';
import { claimPosting, postingLeaseUntil, releasePosting } from '../../src/invoices/posting-leases';
import { useScratchDb } from '../support/scratch-store';

/** The posting lease: one activity attempt at a time may look Xledger up and create. */
const db = useScratchDb('lease');

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, seconds));

describe('posting leases', () => {
  it('one holder at a time; the holder renews; another takes over only once it lapsed', async () => {
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-1', 45_000, at(0))).toBe(true);
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(10))).toBe(false);
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-1', 45_000, at(20))).toBe(true);
    expect(await postingLeaseUntil(db(), 't', 'inv-1')).toEqual(at(65));
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(60))).toBe(false);
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-2', 45_000, at(66))).toBe(true);
    // The zombie cannot renew what it lost, nor release the new holder's lease.
    expect(await claimPosting(db(), 't', 'inv-1', 'attempt-1', 45_000, at(67))).toBe(false);
    await releasePosting(db(), 't', 'inv-1', 'attempt-1');
    expect(await postingLeaseUntil(db(), 't', 'inv-1')).toEqual(at(111));
    await releasePosting(db(), 't', 'inv-1', 'attempt-2');
    expect(await postingLeaseUntil(db(), 't', 'inv-1')).toBeNull();
    // Another invoice of the same tenant is independent.
    expect(await claimPosting(db(), 't', 'inv-2', 'attempt-9', 45_000, at(0))).toBe(true);
  });

  it('of many attempts claiming at once, exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, n) => claimPosting(db(), 't', 'inv-race', `attempt-${n}`, 45_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
