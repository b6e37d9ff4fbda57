/**
 * The request budget one token shares across worker processes (src/store/request-budget.ts),
 * on the run's real MongoDB-wire server: several budgets — as separate workers would hold —
 * reserving at once never share a slot, and the token never reaches the store.
 */
import { describe, expect, it } from 'vitest';
import { MongoRequestBudget, REQUEST_SLOTS } from '../../src/store/request-budget';
import { RequestGates } from '../../src/xledger/request-gate';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('budget');

describe('the shared request budget', () => {
  it('three workers taking 12 requests each at once get 36 distinct slots', async () => {
    // 100 per 5 s: one slot every 50 ms, so the test takes about two seconds.
    const workers = Array.from({ length: 3 }, () => new MongoRequestBudget(db(), { maxRequestsPer5s: 100 }));
    const slots = await Promise.all(
      workers.flatMap((budget) => Array.from({ length: 12 }, () => budget.take('key-a'))),
    );
    expect(new Set(slots).size).toBe(36);
    // Each request was sent in its own slot: no more than one per 50 ms slot across workers.
    const stored = (await db().collection(REQUEST_SLOTS).find({}).toArray()).filter((doc) =>
      String(doc._id).startsWith('key-a:'),
    ).length;
    expect(stored).toBeGreaterThanOrEqual(36);
  });

  it('keys are budgets of their own', async () => {
    const budget = new MongoRequestBudget(db(), { maxRequestsPer5s: 100 });
    const [a, b] = await Promise.all([budget.take('key-b'), budget.take('key-c')]);
    // Both may send in the same slot: different tokens, different budgets.
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
  });

  it('a request held up past its slot takes a new one instead of bunching with later ones', async () => {
    // The clock reads 1,000,000 ms until the slot is reserved and waited for, then 200 ms later:
    // as if the process had stalled just before sending.
    let reads = 0;
    const budget = new MongoRequestBudget(db(), {
      maxRequestsPer5s: 100,
      lateToleranceMs: 10,
      now: () => (++reads <= 3 ? 1_000_000 : 1_000_200),
    });
    const slot = await budget.take('key-late');
    // Slot 20,000 (at 1,000,000 ms) was missed and stays spent; the request went in 20,004.
    expect(slot).toBe(20_004);
    const spent = await db().collection<{ _id: string }>(REQUEST_SLOTS).findOne({ _id: 'key-late:20000' });
    expect(spent).not.toBeNull();
  });

  it('stores a digest of endpoint and token, never the token', async () => {
    const token = 'xlsim-secret-token-that-must-not-be-stored';
    const gates = new RequestGates(
      { maxRequestsPer5s: 100, maxConcurrentRequests: 2 },
      new MongoRequestBudget(db(), { maxRequestsPer5s: 100 }),
    );
    const gate = gates.forToken('https://www.xledger.net/graphql', token);
    const answers = await Promise.all([1, 2, 3].map((n) => gate.run(async () => n)));
    expect(answers).toEqual([1, 2, 3]);
    const docs = await db().collection(REQUEST_SLOTS).find({}).toArray();
    expect(docs.length).toBeGreaterThan(0);
    const text = JSON.stringify(docs);
    expect(text).not.toContain(token);
    expect(text).not.toContain('xledger.net');
    expect(docs.filter((doc) => /^[0-9a-f]{64}:\d+$/.test(String(doc._id)))).toHaveLength(3);
  });
});
