import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_XLEDGER_POLICY } from '../../src/security/endpoint-policy';
import { SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { MongoCreditPool } from '../../src/store/credit-pool';
import { MongoRequestBudget } from '../../src/store/request-budget';
import { XledgerClient } from '../../src/xledger/client';
import { XledgerError } from '../../src/xledger/errors';
import { RequestGates, tokenKey } from '../../src/xledger/request-gate';
import { useScratchDb } from '../support/scratch-store';

/**
 * Spent credits are the customer's, not one worker's: when one worker meets Xledger's refusal,
 * every worker that uses the token pauses it (the pause is kept in the store by `_id`), instead
 * of each sending its own request into the refusal. Two workers here are two sets of gates over
 * one database, as two processes would have.
 */
const db = useScratchDb('credit-pause');
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 5, suppliers: 20 });
});
afterAll(() => sim?.close());
afterEach(() => sim.limits.update({ creditsPerWindow: null, creditWindowMs: 3_600_000 }));

const SUPPLIERS = '{ suppliers(first: 2) { edges { node { dbId } } } }';
const LIMITS = { maxRequestsPer5s: 20, maxConcurrentRequests: 2 };

/** One worker's clients for the token: its own gates, the shared budget and, if asked, the shared pause. */
function worker(sharedPause: boolean) {
  const gates = new RequestGates(
    LIMITS,
    new MongoRequestBudget(db(), { maxRequestsPer5s: LIMITS.maxRequestsPer5s }),
    sharedPause ? new MongoCreditPool(db()) : undefined,
  );
  return new XledgerClient({
    endpoint: sim.graphqlUrl,
    token: SEED_TOKENS.owner2,
    endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
    requestTimeoutMs: 10_000,
    gate: gates.forToken(sim.graphqlUrl, SEED_TOKENS.owner2),
  });
}
const requests = () => sim.counters.get('owner2')?.requests ?? 0;
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a refusal'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(XledgerError);
      return error as XledgerError;
    },
  );

describe('a credit pause shared by every worker using the token', () => {
  it('the worker Xledger refused pauses the token; another worker then sends nothing until the pool returns', async () => {
    sim.limits.update({ creditsPerWindow: 2, creditWindowMs: 3_000 });
    const first = worker(true);
    const second = worker(true);
    await first.request(SUPPLIERS);
    await second.request(SUPPLIERS);
    const spent = await refusal(first.request(SUPPLIERS));
    expect(spent.kind).toBe('credits_exhausted');
    const sent = requests();

    // Stored by _id, the token as a digest only.
    const key = tokenKey(sim.graphqlUrl, SEED_TOKENS.owner2);
    const stored = await db()
      .collection<{ _id: string; until: Date }>(collections.creditPools)
      .findOne({ _id: `${key}:pause` });
    expect(stored?.until.getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(stored)).not.toContain(SEED_TOKENS.owner2);
    expect((await new MongoCreditPool(db()).view(key)).pauseKind).toBe('credits_exhausted');

    // The second worker never met the refusal, and still holds back: no request reaches Xledger.
    const paused = await refusal(second.request(SUPPLIERS));
    expect(paused.kind).toBe('credits_exhausted');
    expect(paused.details.retryAfterMs).toBeLessThanOrEqual(spent.details.retryAfterMs!);
    expect(requests()).toBe(sent);

    // Both resume by themselves once the pause is over.
    await new Promise((resolve) => setTimeout(resolve, spent.details.retryAfterMs! + 100));
    await expect(second.request(SUPPLIERS)).resolves.toBeDefined();
    await expect(first.request(SUPPLIERS)).resolves.toBeDefined();
    expect(requests()).toBe(sent + 2);
  });

  it('without the shared pause, the other worker sends its request into the refusal', async () => {
    sim.limits.update({ creditsPerWindow: 1, creditWindowMs: 3_000 });
    const first = worker(false);
    const second = worker(false);
    await first.request(SUPPLIERS);
    await refusal(first.request(SUPPLIERS));
    const sent = requests();
    const spent = await refusal(second.request(SUPPLIERS));
    expect(spent.kind).toBe('credits_exhausted');
    expect(requests()).toBe(sent + 1);
  });
});
