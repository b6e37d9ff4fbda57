import { describe, expect, it } from 'vitest';
import { readChanges, reserveChangeSeqs, sealChanges } from '../../src/store/changes';
import { clearAttention, loadTenantState, markReady, raiseAttention } from '../../src/store/tenant-state';
import { completeSyncRequest, requestSync, takeSyncRequest } from '../../src/store/sync-requests';
import { VersionedRegister } from '../../src/store/versioned';
import { useScratchDb } from '../support/scratch-store';

/**
 * The store's claims raced (the pass ledger's races are in pass-ledger.test.ts) on the run's real MongoDB-wire server (FerretDB by default,
 * where an update is a read, a change and a write back: a conditional update or `$inc` decides
 * nothing there). Each mechanism is hit by concurrent claimants many times over, and the
 * invariant it promises is counted, not sampled: one holder, no number twice, no request lost,
 * no state moved back. Each race here failed against the conditional-update version of its
 * mechanism (figures in the commit that made them inserts).
 */
const db = useScratchDb('races');

const RACES = 200;

describe('the versioned register (store/versioned.ts)', () => {
  it('lets exactly one of the claimants that read the same version write the next one', async () => {
    let winners = 0;
    let violations = 0;
    for (let race = 0; race < RACES; race++) {
      const claimants = Array.from(
        { length: 8 },
        () => new VersionedRegister<{ holder: number }>(db(), 'race_register', 't', `one-winner-${race}`),
      );
      const base = await claimants[0]!.latest();
      const won = await Promise.all(claimants.map((c, holder) => c.propose(base, { holder })));
      const count = won.filter(Boolean).length;
      winners += count;
      if (count !== 1) violations += 1;
      const latest = await claimants[0]!.latest();
      if (latest?.value.holder !== won.find(Boolean)?.value.holder) violations += 1;
    }
    expect({ winners, violations }).toEqual({ winners: RACES, violations: 0 });
  });

  it('loses no change among concurrent read-decide-write writers, past pruning', async () => {
    const register = () => new VersionedRegister<number>(db(), 'race_register', 't', 'counter');
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) await register().change((current) => (current?.value ?? 0) + 1);
      }),
    );
    expect((await register().latest())?.value).toBe(200);
  });
});

describe('the change feed numbers (store/changes.ts)', () => {
  it('never hands out a number twice to concurrent writers of one data type', async () => {
    const ranges: Array<[number, number]> = [];
    let asked = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let i = 0; i < 50; i++) {
          const count = 1 + ((writer + i) % 7);
          asked += count;
          const first = await reserveChangeSeqs(db(), 'feed', 'dimensions', count);
          ranges.push([first, first + count - 1]);
        }
      }),
    );
    const numbers = ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
    const twice = numbers.length - new Set(numbers).size;
    expect({ handedOut: numbers.length, twice }).toEqual({ handedOut: asked, twice: 0 });
    // And sealing makes them all readable at once: the head is the last number handed out.
    expect(await sealChanges(db(), 'feed', 'dimensions')).toBe(Math.max(...numbers));
    expect((await readChanges(db(), 'feed', 'dimensions', { after: 0, limit: 1 })).head).toBe(
      Math.max(...numbers),
    );
  });
});

describe('resync requests (store/sync-requests.ts)', () => {
  it('loses no request that arrives while the run serving the previous one completes', async () => {
    let lost = 0;
    for (let race = 0; race < RACES; race++) {
      const tenant = `req-${race}`;
      await requestSync(db(), tenant, 'suppliers', { full: false });
      await takeSyncRequest(db(), tenant, 'suppliers', 'run-1');
      await Promise.all([
        requestSync(db(), tenant, 'suppliers', { full: true }),
        completeSyncRequest(db(), tenant, 'suppliers', 'run-1'),
      ]);
      const next = await takeSyncRequest(db(), tenant, 'suppliers', 'run-2');
      if (next?.full !== true) lost += 1;
    }
    expect({ races: RACES, lost }).toEqual({ races: RACES, lost: 0 });
  });

  it('a stalled run that completes late never serves the request a later run took', async () => {
    await requestSync(db(), 'req-late', 'suppliers', { full: false });
    await takeSyncRequest(db(), 'req-late', 'suppliers', 'stalled-run');
    await requestSync(db(), 'req-late', 'suppliers', { full: true });
    expect(await takeSyncRequest(db(), 'req-late', 'suppliers', 'run-2')).toEqual({ full: true });
    await completeSyncRequest(db(), 'req-late', 'suppliers', 'stalled-run');
    expect(await takeSyncRequest(db(), 'req-late', 'suppliers', 'run-3')).toEqual({ full: true });
  });
});

describe('tenant states (store/tenant-state.ts)', () => {
  const attention = (run: string) => ({
    reason: 'token_revoked' as const,
    message: 'refused',
    dataType: 'suppliers',
    since: '2026-12-07T00:00:00.000Z',
    run,
  });

  it('raises and ends each episode once among concurrent runs, and never moves it back', async () => {
    const violations: string[] = [];
    for (let race = 0; race < 50; race++) {
      const tenant = `state-${race}`;
      const raised = await Promise.all(
        Array.from({ length: 6 }, (_, run) => raiseAttention(db(), tenant, attention(`run-${run}`))),
      );
      if (raised.filter((r) => r.mine).length !== 1) violations.push(`${tenant}: raised by several`);
      const ended = await Promise.all(
        Array.from({ length: 6 }, () => clearAttention(db(), tenant, 'token_replaced')),
      );
      if (ended.filter((r) => r?.now).length !== 1) violations.push(`${tenant}: ended by several`);
      // Episode 2 is raised while a stalled caller ends episode 1 again and another marks ready.
      await Promise.all([
        raiseAttention(db(), tenant, attention('run-late')),
        clearAttention(db(), tenant, 'token_replaced'),
        markReady(db(), tenant),
      ]);
      const state = await loadTenantState(db(), tenant);
      const consistent =
        state?.episodes === 2 &&
        (state.attention?.episode === 2 || state.lastRecovery?.episode === 2) &&
        state.readyAt !== null;
      if (!consistent) violations.push(`${tenant}: ${JSON.stringify(state)}`);
    }
    expect(violations).toEqual([]);
  });
});
