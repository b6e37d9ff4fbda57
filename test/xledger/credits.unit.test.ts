import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { STRICT_XLEDGER_POLICY } from '../../src/security/endpoint-policy';
import { XledgerClient } from '../../src/xledger/client';
import { XledgerError } from '../../src/xledger/errors';
import { RequestGate } from '../../src/xledger/request-gate';
import { checkLiveSchema } from '../../src/catalogue/schema-check';

/**
 * Spent credits are an hourly pool (../shared/xledger-api.md, round three): the client pauses
 * the token's requests for the wait Xledger advises (Retry-After, resetAt) and then resumes;
 * nothing reaches Xledger during the pause. Against the simulator's pool with a short window.
 */
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 3, suppliers: 20 });
});
afterAll(() => sim?.close());
afterEach(() =>
  sim.limits.update({
    creditsPerWindow: null,
    creditWindowMs: 3_600_000,
    creditCost: 1,
    creditsRefusal: 'http200',
  }),
);

const SUPPLIERS = '{ suppliers(first: 2) { edges { node { dbId } } } }';
const clientWith = (gate: RequestGate, creditsWaitMs?: number) =>
  new XledgerClient({
    endpoint: sim.graphqlUrl,
    token: SEED_TOKENS.root,
    endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
    requestTimeoutMs: 10_000,
    gate,
    ...(creditsWaitMs ? { creditsWaitMs } : {}),
  });
const gate = () => new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 2 });
const requests = () => sim.counters.get('root')?.requests ?? 0;
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('expected a refusal'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(XledgerError);
      return error as XledgerError;
    },
  );

describe('spent credits', () => {
  it.each(['http200', 'http429'] as const)(
    '(%s) pause every request of the token until the pool returns, then requests resume',
    async (variant) => {
      sim.limits.update({ creditsPerWindow: 2, creditWindowMs: 2_500, creditsRefusal: variant });
      const sharedGate = gate();
      const client = clientWith(sharedGate);
      await client.request(SUPPLIERS);
      await client.request(SUPPLIERS);
      const sent = requests();
      const spent = await refusal(client.request(SUPPLIERS));
      expect(spent.kind).toBe('credits_exhausted');
      expect(spent.retryable).toBe(true);
      expect(spent.message).not.toMatch(/monthly/i);
      // The wait Xledger advised (resetAt, Retry-After), within the window: not 20 minutes.
      expect(spent.details.retryAfterMs).toBeGreaterThanOrEqual(1_000);
      expect(spent.details.retryAfterMs).toBeLessThanOrEqual(3_000);
      expect(requests()).toBe(sent + 1);
      // Paused: another client of the same token is refused without a request to Xledger.
      const paused = await refusal(clientWith(sharedGate).request(SUPPLIERS));
      expect(paused.kind).toBe('credits_exhausted');
      expect(paused.details.retryAfterMs).toBeLessThanOrEqual(spent.details.retryAfterMs!);
      expect(requests()).toBe(sent + 1);
      await new Promise((resolve) => setTimeout(resolve, spent.details.retryAfterMs! + 50));
      await expect(client.request(SUPPLIERS)).resolves.toBeDefined();
      expect(requests()).toBe(sent + 2);
    },
  );

  it('a wait Xledger advises (resetAt) wins over the configured one', async () => {
    await fetch(`${sim.adminUrl}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'insufficientCredits', count: 1 }),
    });
    // The fault answers with resetAt: the advised wait wins over the configured one.
    const advised = await refusal(clientWith(gate(), 5_000).request(SUPPLIERS));
    expect(advised.details.retryAfterMs).toBeGreaterThan(3_000_000);
  });

  it('honours Retry-After on HTTP 429: a long wait pauses the token instead of sleeping in place', async () => {
    sim.limits.update({ creditsPerWindow: 1, creditWindowMs: 60_000, creditsRefusal: 'http429' });
    const client = clientWith(gate());
    await client.request(SUPPLIERS);
    const started = Date.now();
    const spent = await refusal(client.request(SUPPLIERS));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(spent.details).toMatchObject({ status: 429, waitAdvised: true });
    expect(spent.details.retryAfterMs).toBeGreaterThan(55_000);
    expect(spent.details.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

/**
 * `rateLimit { remaining cost }` (M: Profitbase): where the tenant's schema has it, the client
 * reads the pool with every answer and pauses the token before the pool is empty — Xledger then
 * never has to refuse a request. Without it (the field absent), the client waits for the refusal.
 */
describe('the credit pool read with every answer (rateLimit)', () => {
  const readingClient = (token: string, creditsWaitMs: number) =>
    new XledgerClient({
      endpoint: sim.graphqlUrl,
      token,
      endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
      requestTimeoutMs: 10_000,
      gate: gate(),
      readRateLimit: true,
      creditsWaitMs,
    });
  const refused = () => sim.counters.get('root')?.refused ?? 0;

  it('pauses the token before the pool is empty: Xledger refuses nothing; the answers carry only what was asked', async () => {
    sim.limits.update({ creditsPerWindow: 8, creditWindowMs: 60_000, creditCost: 1 });
    const client = readingClient(SEED_TOKENS.root, 1_500);
    const refusedBefore = refused();
    const sent = requests();
    const answers: unknown[] = [];
    // 8 credits, 1 a request: after the 4th, 4 are left — under the reserve of 5 requests.
    for (let i = 0; i < 4; i++) answers.push(await client.request(SUPPLIERS));
    for (const answer of answers) expect(Object.keys(answer as object)).toEqual(['suppliers']);
    const paused = await refusal(client.request(SUPPLIERS));
    expect(paused.kind).toBe('credits_exhausted');
    expect(paused.details.retryAfterMs).toBeLessThanOrEqual(1_500);
    expect(requests()).toBe(sent + 4);
    expect(refused()).toBe(refusedBefore);
    expect(sim.limits.creditsRemaining(new Date())).toBe(4);
    // The pause ends by itself: requests go again (and the pool is still read).
    await new Promise((resolve) => setTimeout(resolve, paused.details.retryAfterMs! + 50));
    await expect(client.request(SUPPLIERS)).resolves.toEqual({ suppliers: expect.anything() });
    expect(requests()).toBe(sent + 5);
    expect(refused()).toBe(refusedBefore);
  });

  it('without the field (the client does not read it), the same pool is spent until Xledger refuses', async () => {
    sim.limits.update({ creditsPerWindow: 8, creditWindowMs: 60_000, creditCost: 1 });
    const client = clientWith(gate(), 1_500);
    const refusedBefore = refused();
    for (let i = 0; i < 8; i++) await client.request(SUPPLIERS);
    const spent = await refusal(client.request(SUPPLIERS));
    expect(spent.kind).toBe('credits_exhausted');
    expect(refused()).toBe(refusedBefore + 1);
  });

  it('the live schema check says whether Xledger offers the field; a client told so wrongly still gets its answers', async () => {
    const check = (url: string) =>
      checkLiveSchema({
        endpoint: url,
        token: SEED_TOKENS.root,
        requestTimeoutMs: 10_000,
        endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
      });
    expect((await check(sim.graphqlUrl)).rateLimit).toBe(true);
    const without = await startSimulator({
      seed: 3,
      suppliers: 20,
      removeFields: [{ type: 'Query', field: 'rateLimit' }],
    });
    try {
      expect((await check(without.graphqlUrl)).rateLimit).toBe(false);
      // Xledger dropped the field after the check: the request goes again without it, once.
      const client = new XledgerClient({
        endpoint: without.graphqlUrl,
        token: SEED_TOKENS.root,
        endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
        requestTimeoutMs: 10_000,
        gate: gate(),
        readRateLimit: true,
      });
      await expect(client.request(SUPPLIERS)).resolves.toEqual({ suppliers: expect.anything() });
      await expect(client.request(SUPPLIERS)).resolves.toEqual({ suppliers: expect.anything() });
      // The check's introspection; the refused first request and its resend; the second alone.
      expect(without.counters.get('root')?.requests).toBe(4);
    } finally {
      await without.close();
    }
  });
});
