/**
 * `npm run test:soak`: many tenants over a bounded stretch of accelerated time. Each round moves
 * the simulated Xledger's clock on by an hour (once by four days, so that delta cursors expire),
 * changes records in Xledger (adds, edits, deletions), submits invoices (some of them invalid),
 * asks for resyncs, and — while faults and Xledger's limits are on — SIGKILLs or drains one of
 * two worker processes and starts another. Schedules run too (every minute for some tenants).
 * Then faults go off, one full resync per tenant settles everything, and it checks: every
 * tenant's store equals the simulator's truth for every data type, every invoice is posted
 * once or rejected, nothing lost, nothing twice. It prints what it injected and what it checked,
 * and ends by itself (SOAK_TENANTS, SOAK_ROUNDS, SOAK_ROUND_SECONDS size it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XledgerSyncClient } from '../../src/client';
import { dataTypes } from '../../src/datatypes/registry';
import { SEED_ENTITIES, SEED_TOKENS, type FaultInput, type RecordType } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { type OutboxInvoice } from '../../src/invoices/outbox';
import { recordsCollection } from '../../src/store/records';
import type { StoredRun } from '../../src/store/runs';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { checkPostings } from '../support/postings';
import { admin, counters, DATA_TYPE_TRUTH, expectDataTypeEqualsTruth, truth } from '../support/sync';
import { connectApi, sleep, waitFor } from '../tenants/support';

const TENANTS = Number(process.env.SOAK_TENANTS ?? 10);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 10);
const ROUND_MS = Number(process.env.SOAK_ROUND_SECONDS ?? 20) * 1_000;
const HOUR = 3_600_000;

interface SoakTenant {
  tenantId: string;
  owner: number;
  token: string;
  options: { projectManagers: boolean; fixedAssets: boolean };
  dataTypes: string[];
}

/** Tenants on both owners; the root token is shared by several (one budget for all of them). */
function soakTenants(count: number): SoakTenant[] {
  return Array.from({ length: count }, (_, i) => {
    const owner = i % 2 === 0 ? SEED_ENTITIES.owner1 : SEED_ENTITIES.owner2;
    const token =
      i % 3 === 0
        ? SEED_TOKENS.root
        : owner === SEED_ENTITIES.owner1
          ? SEED_TOKENS.owner1
          : SEED_TOKENS.owner2;
    const options = { projectManagers: i % 4 === 1, fixedAssets: i % 5 === 2 };
    return {
      tenantId: `soak-${String(i).padStart(2, '0')}`,
      owner,
      token,
      options,
      dataTypes: dataTypes.filter((type) => type.enabledFor(options)).map((type) => type.name),
    };
  });
}

/** A small deterministic generator, so that a soak run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

const FAULTS: FaultInput[] = [
  { kind: 'httpError', status: 503, probability: 0.04 },
  { kind: 'connectionReset', probability: 0.03 },
  { kind: 'slow', delayMs: 1_000, probability: 0.04 },
  { kind: 'burstRateLimit', probability: 0.02 },
  { kind: 'concurrencyLimit', probability: 0.02 },
  { kind: 'timeout', field: 'suppliers', probability: 0.03 },
  { kind: 'malformed', field: 'accounts', probability: 0.03 },
  { kind: 'commitThenDrop', field: 'addGLImportItems', probability: 0.08 },
];

/** Records the soak changes each round, per owner. */
const CHANGED_TYPES: RecordType[] = [
  'suppliers',
  'accounts',
  'objectValues',
  'employees',
  'projects',
  'currencies',
];

let h: Harness;
let api: XledgerSyncClient;
const workers: ChildWorker[] = [];
const tenants = soakTenants(TENANTS);

beforeAll(async () => {
  h = await startHarness({
    seed: 31,
    suppliers: 240,
    importProcessingDelayMs: 500,
    limits: { burst: true, concurrency: true },
  });
  api = await connectApi(h);
}, 180_000);
afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await api?.close();
  await h?.close();
});

const startWorker = () => {
  // Two workers × 1 request in flight per token stays under the simulator's 4.
  const worker = spawnWorker(h, {
    XLEDGER_MAX_CONCURRENT_REQUESTS: '1',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '20',
  });
  workers.push(worker);
  return worker;
};

const running = () =>
  workers.filter((worker) => worker.process.exitCode === null && worker.process.signalCode === null);

describe(`soak: ${TENANTS} tenants, ${ROUNDS} rounds of accelerated time`, () => {
  it(
    'every store equals the truth, every invoice is in Xledger once or rejected',
    { timeout: 3_600_000 },
    async () => {
      const started = Date.now();
      const rand = random(31);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const injected = {
        roundsOfClock: 0,
        clockJumps: 0,
        simulatedHours: 0,
        added: 0,
        changed: 0,
        deleted: 0,
        resyncRequests: 0,
        invoicesSubmitted: 0,
        invalidInvoices: 0,
        workerKills: 0,
        workerDrains: 0,
        faultRules: 0,
      };
      let clockOffset = 0;
      h.sim.state.now = () => new Date(Date.now() + clockOffset);
      const limitRefusals: Record<string, number> = {};
      const admit = h.sim.limits.admit.bind(h.sim.limits);
      h.sim.limits.admit = (tokenName, now) => {
        const refusal = admit(tokenName, now);
        if (refusal) limitRefusals[refusal.code] = (limitRefusals[refusal.code] ?? 0) + 1;
        return refusal;
      };

      // --- onboarding: two workers, every tenant through the client API, a first full sync ----
      startWorker();
      startWorker();
      for (const [i, tenant] of tenants.entries()) {
        await api.upsertTenant({
          tenantId: tenant.tenantId,
          xledger: { token: tenant.token },
          entityOwnerDbId: tenant.owner,
          options: tenant.options,
          // Some tenants' schedules run every minute: schedules are part of the soak.
          intervalMinutes: i % 2 === 0 ? { suppliers: 1, invoices: 1 } : {},
        });
        await api.forceResync(tenant.tenantId, { full: true });
        injected.resyncRequests += 1;
      }
      await settleRuns(tenants, started);
      console.log(`[soak] onboarded ${TENANTS} tenants (${Math.round((Date.now() - started) / 1000)} s)`);

      const suppliersOf = new Map<string, string[]>();
      for (const tenant of tenants) {
        const docs = await recordsCollection(h.store.db, 'suppliers')
          .find({ tenantId: tenant.tenantId, entityDbId: tenant.owner, visibility: 'owner', deletedAt: null })
          .limit(20)
          .toArray();
        suppliersOf.set(
          tenant.tenantId,
          docs.map((doc) => String(doc.code)),
        );
      }

      // --- rounds ------------------------------------------------------------------------------
      for (const rule of FAULTS) await admin(h, 'POST', '/admin/faults', rule);
      injected.faultRules = FAULTS.length;
      for (let round = 1; round <= ROUNDS; round++) {
        const roundStarted = Date.now();
        // An hour of Xledger's time per round; once, four days (older delta cursors are refused).
        const jump = round === Math.ceil(ROUNDS / 2) ? 96 * HOUR : HOUR;
        clockOffset += jump;
        injected.simulatedHours += jump / HOUR;
        injected.roundsOfClock += 1;
        if (jump > HOUR) injected.clockJumps += 1;

        for (const owner of [SEED_ENTITIES.owner1, SEED_ENTITIES.owner2]) {
          for (let n = 0; n < 3; n++) {
            const type = pick(CHANGED_TYPES);
            const records = await truth(h, owner, type);
            if (records.length === 0) continue;
            const record = pick(records);
            await admin(h, 'PATCH', `/admin/records/${type}/${record.dbId}`, {
              description: `soak r${round} n${n}`,
            });
            injected.changed += 1;
          }
          const code = `SOAK-${owner}-${round}`;
          await admin(h, 'POST', '/admin/records/suppliers', {
            ownerDbId: owner,
            code,
            description: `soak supplier ${round}`,
          });
          injected.added += 1;
          if (round % 2 === 0) {
            // One supplier gone in Xledger (never one the soak's invoices use).
            const used = new Set([...suppliersOf.values()].flat());
            const candidates = (await truth(h, owner, 'suppliers')).filter((r) => !used.has(String(r.code)));
            if (candidates.length > 0) {
              await admin(h, 'DELETE', `/admin/records/suppliers/${pick(candidates).dbId}`);
              injected.deleted += 1;
            }
          }
        }

        for (const tenant of tenants) {
          const codes = suppliersOf.get(tenant.tenantId) ?? [];
          const invalid = rand() < 0.15;
          const id = `SOAK-${round}-${tenant.tenantId}`;
          await submitWithRetries(() =>
            api.submitInvoice(
              tenant.tenantId,
              demoInvoice(id, invalid ? 'NO-SUCH-SUPPLIER' : pick(codes), {
                entityDbId: tenant.owner,
                invoiceNumber: `S-${round}-${tenant.tenantId}`,
              }),
            ),
          );
          injected.invoicesSubmitted += 1;
          if (invalid) injected.invalidInvoices += 1;
          if (rand() < 0.5) {
            await api.forceResync(tenant.tenantId, { full: rand() < 0.2 });
            injected.resyncRequests += 1;
          }
        }

        // Worker restarts: a kill every third round, a graceful drain every fifth.
        if (round % 3 === 0) {
          const victim = running()[0];
          if (victim) {
            await victim.kill('SIGKILL');
            injected.workerKills += 1;
            startWorker();
          }
        } else if (round % 5 === 0) {
          const victim = running()[0];
          if (victim) {
            await victim.kill('SIGTERM');
            injected.workerDrains += 1;
            startWorker();
          }
        }
        const rest = roundStarted + ROUND_MS - Date.now();
        if (rest > 0) await sleep(rest);
      }

      // --- settle: faults off, one full resync per tenant, every invoice ends -------------------
      const faultHits: Record<string, number> = {};
      for (const rule of await admin<Array<{ kind: string; field: string | null; hits: number }>>(
        h,
        'GET',
        '/admin/faults',
      )) {
        const key = rule.field ? `${rule.kind}(${rule.field})` : rule.kind;
        faultHits[key] = (faultHits[key] ?? 0) + rule.hits;
      }
      await admin(h, 'DELETE', '/admin/faults');
      while (running().length < 2) startWorker();
      const settleFrom = Date.now();
      for (const tenant of tenants) {
        await api.forceResync(tenant.tenantId, { full: true });
        injected.resyncRequests += 1;
      }
      await settleRuns(tenants, settleFrom);
      const outbox = h.store.db.collection<OutboxInvoice>(collections.invoiceOutbox);
      const tenantIds = tenants.map((tenant) => tenant.tenantId);
      await waitFor(
        'every invoice posted or rejected',
        async () =>
          (await outbox.countDocuments({
            tenantId: { $in: tenantIds },
            state: { $nin: ['posted', 'rejected'] },
          })) === 0,
        { timeoutMs: 900_000, intervalMs: 2_000 },
      );

      // --- checks ------------------------------------------------------------------------------
      let recordsChecked = 0;
      for (const tenant of tenants) {
        for (const dataType of tenant.dataTypes) {
          await expectDataTypeEqualsTruth(h, tenant.tenantId, tenant.owner, dataType);
          for (const spec of DATA_TYPE_TRUTH[dataType] ?? []) {
            recordsChecked += (await truth(h, tenant.owner, spec.simType)).filter(
              spec.filter ?? (() => true),
            ).length;
          }
        }
      }
      const postings = await checkPostings(
        h,
        tenantIds,
        tenants.map((tenant) => tenant.owner),
      );
      const runs = await h.store.db
        .collection<StoredRun>(collections.runs)
        .find({ tenantId: { $in: tenantIds } })
        .toArray();
      const rootUsage = await counters(h, 'root');
      const checked = {
        tenants: TENANTS,
        dataTypeStores: tenants.reduce((sum, tenant) => sum + tenant.dataTypes.length, 0),
        recordsComparedWithTruth: recordsChecked,
        syncRuns: runs.length,
        scheduledRuns: runs.filter((run) => run.trigger === 'schedule').length,
        fallbacksToFull: runs.filter((run) => run.streams.some((stream) => stream.fallback)).length,
        invoices: postings.states,
        postedOnce: postings.postedOnce,
        duplicated: postings.duplicates.length,
        lost: postings.lost.length,
        requestsWithRootToken: rootUsage.requests,
      };
      console.log(
        [
          `[soak] ${Math.round((Date.now() - started) / 1000)} s, ${ROUNDS} rounds of ${ROUND_MS / 1000} s`,
          `[soak] injected: ${JSON.stringify({ ...injected, faultHits, limitRefusals })}`,
          `[soak] checked: ${JSON.stringify(checked)}`,
        ].join('\n'),
      );

      expect(postings.duplicates).toEqual([]);
      expect(postings.lost).toEqual([]);
      expect(postings.postedOnce + (postings.states.rejected ?? 0)).toBe(injected.invoicesSubmitted);
      expect(postings.states.rejected ?? 0).toBeGreaterThanOrEqual(injected.invalidInvoices);
      expect(injected.workerKills).toBeGreaterThan(0);
      expect(Object.values(faultHits).reduce((sum, hits) => sum + hits, 0)).toBeGreaterThan(0);
      expect(checked.scheduledRuns).toBeGreaterThan(0);
      expect(checked.fallbacksToFull).toBeGreaterThan(0);
    },
  );
});

/** Waits until each tenant's every data type has a completed run that started after `since`. */
async function settleRuns(list: SoakTenant[], since: number): Promise<void> {
  const runs = h.store.db.collection<StoredRun>(collections.runs);
  const from = new Date(since).toISOString();
  await waitFor(
    'every data type of every tenant synced',
    async () => {
      for (const tenant of list) {
        for (const dataType of tenant.dataTypes) {
          const run = await runs.findOne({ tenantId: tenant.tenantId, dataType, startedAt: { $gte: from } });
          if (!run) return false;
        }
      }
      return true;
    },
    { timeoutMs: 1_200_000, intervalMs: 2_000 },
  );
}

/** SEMINE submits again when a submit fails (FerretDB busy, a worker's restart): idempotent by id. */
async function submitWithRetries<T>(submit: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await submit();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(500 * attempt);
    }
  }
}
