/**
 * The request gate on a fake clock: which requests have started at each instant. Nothing here
 * measures real time; the clock only moves when the test moves it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestGate, RequestGates } from '../../src/xledger/request-gate';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-05-10T12:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Requests whose answers the test releases by hand, recording which have started, and when. */
function requests(gate: RequestGate, count: number) {
  const started: number[] = [];
  const startedAt: number[] = [];
  const release: Array<() => void> = [];
  const answers = Array.from({ length: count }, (_, n) =>
    gate.run(
      () =>
        new Promise<number>((resolve) => {
          started.push(n);
          startedAt.push(Date.now());
          release[n] = () => resolve(n);
        }),
    ),
  );
  return { started, startedAt, release, answers };
}
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('RequestGate: one token’s budget inside a worker', () => {
  it('never has more requests in flight than the concurrency limit; the next starts as one ends', async () => {
    const gate = new RequestGate({ maxRequestsPer5s: 100, maxConcurrentRequests: 2 });
    const { started, release, answers } = requests(gate, 4);
    await settle();
    expect(started).toEqual([0, 1]);
    release[1]!();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    release[0]!();
    release[2]!();
    await settle();
    release[3]!();
    expect(await Promise.all(answers)).toEqual([0, 1, 2, 3]);
  });

  it('starts no more than the burst limit within any 5 seconds, first come first served', async () => {
    const gate = new RequestGate({ maxRequestsPer5s: 3, maxConcurrentRequests: 10 });
    const t0 = Date.now();
    const { started, startedAt, release } = requests(gate, 7);
    await settle();
    // A burst up to the limit goes at once.
    expect(started).toEqual([0, 1, 2]);
    for (let ms = 0; ms < 20_000; ms += 100) {
      release.forEach((answer) => answer?.());
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(startedAt.filter((at) => at < t0 + 5_000)).toHaveLength(3);
    for (const at of startedAt) {
      expect(startedAt.filter((other) => other > at - 5_000 && other <= at).length).toBeLessThanOrEqual(3);
    }
  });

  it('holds every request back for the time Xledger advised, and counts it in the backlog', async () => {
    const gate = new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 4 });
    gate.holdBack(3_000);
    gate.holdBack(1_000); // a shorter advice never cuts a longer hold short
    expect(gate.queue().backlogMs).toBe(3_000);
    const { started } = requests(gate, 2);
    await vi.advanceTimersByTimeAsync(2_900);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toEqual([0, 1]);
  });

  it('is crowded once as many requests wait as it allows; the backlog grows with the queue', async () => {
    const gate = new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 2, maxWaiting: 4 });
    expect(gate.queue()).toEqual({ crowded: false, backlogMs: 0 });
    requests(gate, 3);
    await settle();
    expect(gate.queue()).toEqual({ crowded: false, backlogMs: 750 });
    requests(gate, 1);
    await settle();
    expect(gate.queue()).toEqual({ crowded: true, backlogMs: 1_000 });
    // Without maxWaiting a gate is never crowded: the caller waits its turn.
    const patient = new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 1 });
    requests(patient, 50);
    await settle();
    expect(patient.queue().crowded).toBe(false);
  });
});

describe('RequestGates: one gate per token and endpoint', () => {
  it('shares a gate between users of one token, and never between tokens or endpoints', () => {
    const gates = new RequestGates({ maxRequestsPer5s: 20, maxConcurrentRequests: 4 });
    const gate = gates.forToken('https://xledger.example/graphql', 'token-a');
    expect(gates.forToken('https://xledger.example/graphql', 'token-a')).toBe(gate);
    expect(gates.forToken('https://xledger.example/graphql', 'token-b')).not.toBe(gate);
    expect(gates.forToken('https://demo.xledger.example/graphql', 'token-a')).not.toBe(gate);
  });
});
