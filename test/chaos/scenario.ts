/**
 * The exactly-once chaos scenario for invoices to Xledger, parameterised by size and by the
 * simulator's GL import processing model: many invoices across several tenants are submitted
 * while the simulator refuses, fails, slows, resets and "commits, then drops" requests, and the
 * worker — a child process — is SIGKILLed and restarted mid-run. At the end the simulator's
 * ground truth (every line ever staged, posted payables) is compared with the outbox.
 *
 * Used through chaos-suite.ts by test/chaos/invoices-chaos.test.ts and
 * invoices-chaos-lines-stay.test.ts (small, in `npm test`, one per model) and
 * test/chaos/invoices-chaos-full.chaos.ts (1,000 invoices per model, `npm run test:chaos`).
 */
import type { Client } from '@temporalio/client';
import { extIdentifier, invoiceContentHash, invoiceSchema, type Invoice } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import {
  SEED_ENTITIES,
  SEED_TOKENS,
  type FaultInput,
  type ProcessedLineModel,
} from '../../src/simulator/index';
import { eventIds } from '../../src/domain/event-catalogue';
import { findEvent } from '../../src/store/events';
import { addToOutbox, getOutboxInvoice, type OutboxInvoice } from '../../src/invoices/outbox';
import { collections } from '../../src/store/collections';
import { invoiceWorkflowId, pendingInvoicesWorkflowId, syncWorkflowId } from '../../src/temporal/ids';
import { postPendingInvoicesWorkflow, syncDataTypeWorkflow } from '../../src/workflows';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { admin } from '../support/sync';
import type { Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';

export interface ChaosTenant {
  tenantId: string;
  ownerDbId: number;
  token: string;
  /** Client entities of the owner that some invoices are posted in. */
  clients: number[];
}

/**
 * Four tenants on the two seeded owners; two of them share the root token (and so its limits).
 * Their ids start with `prefix`: runs sharing one Temporal namespace need their own (a posting
 * workflow's id is derived from tenant and invoice, and can never be used twice).
 */
export function chaosTenants(prefix = 'chaos'): ChaosTenant[] {
  return [
    {
      tenantId: `${prefix}-a`,
      ownerDbId: SEED_ENTITIES.owner1,
      token: SEED_TOKENS.root,
      clients: [...SEED_ENTITIES.owner1Clients],
    },
    { tenantId: `${prefix}-b`, ownerDbId: SEED_ENTITIES.owner1, token: SEED_TOKENS.owner1, clients: [] },
    {
      tenantId: `${prefix}-c`,
      ownerDbId: SEED_ENTITIES.owner2,
      token: SEED_TOKENS.owner2,
      clients: [...SEED_ENTITIES.owner2Clients],
    },
    { tenantId: `${prefix}-d`, ownerDbId: SEED_ENTITIES.owner2, token: SEED_TOKENS.root, clients: [] },
  ];
}

export const CHAOS_TENANTS: ChaosTenant[] = chaosTenants();

/** Postings dated on or before this day fail in Xledger for both owners (an import error). */
export const CLOSED_TO = '2025-12-31';

export interface ChaosOptions {
  /** Invoices submitted in the main stream (the duplicate and race invoices come on top). */
  invoices: number;
  tenants?: ChaosTenant[];
  /** Worker SIGKILLs (each followed by a restart), spread over the submissions. */
  kills?: number;
  /** Every how many invoices one is invalid (half unknown supplier, half closed period). */
  invalidEvery?: number;
  /** Submissions per second of the main stream. */
  submitsPerSecond?: number;
  /** How long the worker stays down after a kill (submissions go on meanwhile). */
  downtimeMs?: number;
  /** Give up waiting for the invoices to settle after this long. */
  settleTimeoutMs?: number;
  /** Start the tenants' pending-invoice sweep (the schedule's workflow) this often. */
  sweepEveryMs?: number;
  /**
   * (A) Whether Xledger keeps a posted GL import line readable (`stay`) or not (`disappear`):
   * unknown, so exactly-once is proven under both. Default: the simulator's own default.
   */
  processedLines?: ProcessedLineModel;
  log?: (message: string) => void;
}

export type Expectation = 'posted' | 'unknownSupplier' | 'closedPeriod';

export interface ChaosReport {
  /** The simulator's processing model during the run (see ChaosOptions.processedLines). */
  processedLines: ProcessedLineModel;
  tenants: number;
  invoices: { submitted: number; posted: number; rejected: number; unsettled: number };
  rejectedBy: { validator: number; xledger: number };
  /** Fault-rule hits by kind (and by field for commitThenDrop), and limit refusals by code. */
  faults: Record<string, number>;
  faultsTotal: number;
  limitRefusals: Record<string, number>;
  kills: Array<{ atSubmitted: number; postingInFlight: number }>;
  submittedWhileWorkerDown: number;
  /** Stored in the outbox by a submit whose workflow start never happened: the sweep's job. */
  storedWithoutStart: number;
  /** Submits that failed (MongoDB busy) and were submitted again, as SEMINE would. */
  submitRetries: number;
  sweeps: { runs: number; finished: number; started: number };
  /** extIdentifiers that Xledger holds more than once (staging lines, or posted payables). */
  duplicates: Array<{ extIdentifier: string; count: number }>;
  /** Posted payables (apTransactions) of the run's invoices in Xledger. */
  payables: number;
  /**
   * Invoices whose posting a retry found as an already posted payable (its staging lines gone
   * from glImportItems), so that nothing was sent again: the `disappear` model's hard case.
   */
  foundAsPostedPayable: number;
  /** Submitted invoices that did not end posted/rejected as they should. */
  lost: string[];
  /** Every broken promise, in words (empty when all holds). */
  problems: string[];
  concurrentDuplicate: {
    invoiceId: string;
    submits: number;
    outboxDocs: number;
    workflows: number;
    lines: number;
    state: string;
  };
  race: { invoices: number; startedBySweep: number; workflows: number; postedOnce: number };
  closedPeriod: { invoiceIds: string[]; allRejectedWithReason: boolean };
  /** The frozen second worker: leases live when it froze; sends refused by the fence; sends unsettled. */
  zombie: { pausedMs: number; leasesLiveAtPause: number; fencedSends: number; lateSends: number };
  /** Sends whose answer was lost (a late create, a dropped answer) and that landed, or not. */
  lostAnswers: { landed: number; notLanded: number; stillUnknown: number };
  durationMs: number;
  workerOutput: string;
}

/**
 * The posting lease is renewed to 45 s every 5 s: one ending later than 38 s from now is live,
 * and one ending later than 45 s after a restart was taken after it (a dead worker's cannot).
 */
const POSTING_LEASE_MS = 45_000;
const LIVE_LEASE_MS = 38_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The workers' configuration: a request timeout shorter than the slow creates below (their
 * answers are lost, then they land), and a settle window short enough for a test run but above
 * the request timeout, the slowest create and the look-ups' lag.
 */
const WORKER_ENV = {
  // A bounded number of activities at once keeps FerretDB (SQLite) out of lock contention.
  WORKER_MAX_CONCURRENT_ACTIVITIES: '16',
  XLEDGER_REQUEST_TIMEOUT_MS: '3000',
  INVOICE_SETTLE_WINDOW_MS: '10000',
  INVOICE_SETTLE_LOOKUP_SPACING_MS: '1500',
};
/** Creates that run this long in Xledger: their answer is lost (timeout), then they land. */
const LATE_CREATE_MS = 4_500;
/** Look-ups see a write only this long after it (a lagging read). */
const LOOKUP_LAG_MS = 1_000;
/** A second worker is frozen (SIGSTOP) this long, past its leases, then woken: a zombie. */
const ZOMBIE_PAUSE_MS = 50_000;

interface Planned {
  tenantId: string;
  invoice: Invoice;
  expect: Expectation;
}

export async function runInvoiceChaos(h: Harness, options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const tenants = options.tenants ?? CHAOS_TENANTS;
  const kills = options.kills ?? 2;
  const invalidEvery = options.invalidEvery ?? 20;
  const submitsPerSecond = options.submitsPerSecond ?? 5;
  const downtimeMs = options.downtimeMs ?? 3_000;
  const settleTimeoutMs = options.settleTimeoutMs ?? 600_000;
  const sweepEveryMs = options.sweepEveryMs ?? 10_000;
  const log = options.log ?? (() => undefined);
  const problems: string[] = [];

  // --- the worker, as a process that can be killed -------------------------------------------
  const workers: ChildWorker[] = [];
  let worker: ChildWorker | null = null;
  const startChild = () => {
    worker = spawnWorker(h, WORKER_ENV);
    workers.push(worker);
  };
  const workerOutput = () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');

  try {
    startChild();
    // A second worker, frozen mid-run past its leases and woken again: a zombie (below).
    const zombieWorker = spawnWorker(h, WORKER_ENV);
    workers.push(zombieWorker);

    // --- tenants and their master data (no faults yet) -----------------------------------------
    for (const tenant of tenants) {
      await h.saveTenant({
        tenantId: tenant.tenantId,
        xledger: { token: tenant.token },
        entityOwnerDbId: tenant.ownerDbId,
      });
    }
    await Promise.all(
      tenants.flatMap((tenant) =>
        ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions'].map((dataType) =>
          h.client.workflow.execute(syncDataTypeWorkflow, {
            taskQueue: h.taskQueue,
            workflowId: `${syncWorkflowId(tenant.tenantId, dataType)}:chaos-setup`,
            args: [{ tenantId: tenant.tenantId, dataType, mode: 'full' }],
          }),
        ),
      ),
    );
    const suppliers = new Map<string, string[]>();
    for (const tenant of tenants) {
      const docs = await h.store.db
        .collection<{ code: string }>('suppliers')
        .find({
          tenantId: tenant.tenantId,
          visibility: 'owner',
          entityDbId: tenant.ownerDbId,
          deletedAt: null,
        })
        .limit(5)
        .toArray();
      if (docs.length === 0) throw new Error(`tenant ${tenant.tenantId} has no owner-level supplier`);
      suppliers.set(
        tenant.tenantId,
        docs.map((doc) => String(doc.code)),
      );
    }
    log(`master data synced for ${tenants.length} tenants (${Date.now() - started} ms)`);

    // --- the plan: valid invoices, and some that must end rejected -----------------------------
    const plan: Planned[] = [];
    for (let i = 0; i < options.invoices; i++) {
      const tenant = tenants[i % tenants.length]!;
      const codes = suppliers.get(tenant.tenantId)!;
      const slot = i % invalidEvery;
      const kind: Expectation =
        slot === 7
          ? 'unknownSupplier'
          : slot === 7 + Math.floor(invalidEvery / 2)
            ? 'closedPeriod'
            : 'posted';
      plan.push({ tenantId: tenant.tenantId, invoice: chaosInvoice(i, tenant, codes, kind), expect: kind });
    }

    // --- the processing model, closed periods, limits and faults: chaos on --------------------
    if (options.processedLines) {
      await admin(h, 'PUT', '/admin/gl-import/model', { processedLines: options.processedLines });
    }
    await admin(h, 'PUT', '/admin/gl-import/model', { lookupLagMs: LOOKUP_LAG_MS });
    const { processedLines } = await admin<{ processedLines: ProcessedLineModel }>(
      h,
      'GET',
      '/admin/gl-import/model',
    );
    log(`processed GL import lines ${processedLines === 'stay' ? 'stay readable' : 'disappear'} (A)`);
    for (const owner of new Set(tenants.map((t) => t.ownerDbId))) {
      await admin(h, 'PUT', `/admin/closed-periods/${owner}`, { closedTo: CLOSED_TO });
    }
    await admin(h, 'PUT', '/admin/limits', {
      burst: true,
      concurrency: true,
      burstMax: 20,
      concurrencyMax: 2,
    });
    const limitRefusals: Record<string, number> = {};
    const limits = h.sim.limits;
    const admit = limits.admit.bind(limits);
    limits.admit = (tokenName, now) => {
      const refusal = admit(tokenName, now);
      if (refusal) limitRefusals[refusal.code] = (limitRefusals[refusal.code] ?? 0) + 1;
      return refusal;
    };
    const faultRules: FaultInput[] = [
      // Creates that land after the client's request timeout (the simulator runs them to the end):
      // the fourth create for certain, then by chance.
      { kind: 'slow', field: 'addGLImportItems', delayMs: LATE_CREATE_MS, count: 1, skip: 3 },
      { kind: 'slow', field: 'addGLImportItems', delayMs: LATE_CREATE_MS, probability: 0.04 },
      { kind: 'commitThenDrop', field: 'addGLImportItems', probability: 0.08 },
      { kind: 'commitThenDrop', field: 'glImportItems', probability: 0.03 },
      { kind: 'commitThenDrop', field: 'apTransactions', probability: 0.03 },
      { kind: 'burstRateLimit', probability: 0.03 },
      { kind: 'concurrencyLimit', probability: 0.03 },
      { kind: 'httpError', status: 503, probability: 0.04 },
      { kind: 'connectionReset', probability: 0.03 },
      { kind: 'slow', delayMs: 1_500, probability: 0.05 },
    ];
    for (const rule of faultRules) await admin(h, 'POST', '/admin/faults', rule);

    const deps = () => ({
      db: h.store.db,
      temporal: h.client as Client,
      taskQueue: h.taskQueue,
      tenants: h.tenants,
    });

    // --- the schedule's sweep, racing the submits the whole time -------------------------------
    let sweeping = true;
    let sweepRuns = 0;
    let sweepStarted = 0;
    let sweepFinished = 0;
    const sweepOnce = (label: string) => {
      for (const tenant of tenants) {
        sweepRuns += 1;
        const run = h.client.workflow
          .execute(postPendingInvoicesWorkflow, {
            taskQueue: h.taskQueue,
            workflowId: `${pendingInvoicesWorkflowId(tenant.tenantId)}:${label}`,
            args: [{ tenantId: tenant.tenantId }],
          })
          .then((result: { started: number }) => {
            sweepStarted += result.started;
            sweepFinished += 1;
          });
        run.catch(() => undefined);
      }
    };
    const sweeper = (async () => {
      for (let n = 1; sweeping; n++) {
        await sleep(sweepEveryMs);
        if (sweeping) sweepOnce(`chaos-${n}`);
      }
    })();

    // --- submissions, with kills and restarts in between ---------------------------------------
    const killPoints = Array.from({ length: kills }, (_, k) =>
      Math.floor(((k + 1) * plan.length) / (kills + 1)),
    );
    const killRecords: ChaosReport['kills'] = [];
    let workerDown = false;
    let restartedAt = 0;
    let submittedWhileDown = 0;
    let storedWithoutStart = 0;
    let submitRetries = 0;
    const countRetry = () => {
      submitRetries += 1;
    };
    let submitted = 0;
    const outbox = h.store.db.collection<OutboxInvoice>(collections.invoiceOutbox);
    const killAndRestart = async () => {
      // Kill while a posting is under way (wait a little for one), so a lease is left behind.
      // A lease renewed within the last few seconds belongs to the live worker's attempt.
      let inFlight = 0;
      for (let i = 0; i < 300; i++) {
        inFlight = await h.store.db.collection(collections.postingLeases).countDocuments({
          'value.until': {
            $gt: new Date(Math.max(Date.now() + LIVE_LEASE_MS, restartedAt + POSTING_LEASE_MS)),
          },
        });
        if (inFlight > 0) break;
        await sleep(100);
      }
      workerDown = true;
      await worker!.kill('SIGKILL');
      killRecords.push({ atSubmitted: submitted, postingInFlight: inFlight });
      log(
        `worker killed at ${submitted} submitted, ${inFlight} posting in flight (${Math.round((Date.now() - started) / 1000)} s)`,
      );
      await sleep(downtimeMs);
      restartedAt = Date.now();
      startChild();
      workerDown = false;
    };
    let kills$ = Promise.resolve();

    // Concurrent duplicate submissions of one invoice, and a submit racing the sweep, mid-run.
    const dupTenant = tenants[0]!;
    const dupInvoice = chaosInvoice(-1, dupTenant, suppliers.get(dupTenant.tenantId)!, 'posted');
    const duplicateRound = async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          withRetries(() => submitToOutbox(deps(), dupTenant.tenantId, dupInvoice), countRetry),
        ),
      );
      for (const result of results) {
        if (result.status === 'rejected') problems.push(`duplicate submit failed: ${String(result.reason)}`);
      }
    };
    const raceTenant = tenants[1 % tenants.length]!;
    const raceInvoices = Array.from({ length: 10 }, (_, k) =>
      chaosInvoice(-100 - k, raceTenant, suppliers.get(raceTenant.tenantId)!, 'posted'),
    );
    let raceStartedBySweep = 0;
    const raceRound = async () => {
      // As if the submits had stored the invoices but not yet reached Temporal…
      for (const invoice of raceInvoices) {
        await withRetries(
          () => addToOutbox(h.store.db, raceTenant.tenantId, invoice, invoiceContentHash(invoice)),
          countRetry,
        );
      }
      // …then the schedule's sweep and the submits (retried by SEMINE) race to start them.
      const sweep = h.client.workflow.execute(postPendingInvoicesWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: `${pendingInvoicesWorkflowId(raceTenant.tenantId)}:race`,
        args: [{ tenantId: raceTenant.tenantId }],
      });
      await Promise.all(
        raceInvoices.map(async (invoice, k) => {
          await sleep(k * 400);
          await withRetries(() => submitToOutbox(deps(), raceTenant.tenantId, invoice), countRetry);
        }),
      );
      raceStartedBySweep = ((await sweep) as { started: number }).started;
    };

    // The zombie: the second worker freezes (SIGSTOP) with postings in flight, its attempts time
    // out and are retried by the first once their leases lapse; then it wakes and goes on.
    let zombieInFlight = 0;
    const zombie$ = (async () => {
      await sleep(5_000);
      zombieInFlight = await h.store.db
        .collection(collections.postingLeases)
        .countDocuments({ 'value.until': { $gt: new Date() } });
      zombieWorker.process.kill('SIGSTOP');
      log(
        `second worker frozen with ${zombieInFlight} leases live (${Math.round((Date.now() - started) / 1000)} s)`,
      );
      await sleep(ZOMBIE_PAUSE_MS);
      zombieWorker.process.kill('SIGCONT');
      log(`second worker woken (${Math.round((Date.now() - started) / 1000)} s)`);
    })();

    const interval = 1_000 / submitsPerSecond;
    const submitStart = Date.now();
    const inFlightSubmits = new Set<Promise<void>>();
    for (let i = 0; i < plan.length; i++) {
      if (killPoints.includes(i)) kills$ = kills$.then(killAndRestart);
      const { tenantId, invoice } = plan[i]!;
      // Every tenth submit stores the invoice but never reaches Temporal (as if it were down at
      // that moment): only the schedule's sweep can start its posting.
      const lostStart = i % 10 === 4;
      if (lostStart) storedWithoutStart += 1;
      const submit = (
        lostStart
          ? withRetries(
              () => addToOutbox(h.store.db, tenantId, invoice, invoiceContentHash(invoice)),
              countRetry,
            )
          : withRetries(() => submitToOutbox(deps(), tenantId, invoice), countRetry)
      ).then(
        () => {
          submitted += 1;
          if (workerDown) submittedWhileDown += 1;
        },
        (error: unknown) => {
          problems.push(`submit of ${tenantId}:${invoice.invoiceId} failed: ${String(error)}`);
        },
      );
      inFlightSubmits.add(submit);
      void submit.finally(() => inFlightSubmits.delete(submit));
      const wait = submitStart + (i + 1) * interval - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inFlightSubmits);
    await kills$;
    await zombie$;
    // After the last restart (faults still on): a sweep caught by a kill would only finish when
    // its activity's start-to-close timeout runs out, as it does not heartbeat (see the report).
    await Promise.all([duplicateRound(), raceRound()]);
    log(`submitted ${submitted} invoices in ${Date.now() - submitStart} ms; waiting for them to settle`);

    // --- wait until every invoice is posted or rejected ----------------------------------------
    const all: Planned[] = [
      ...plan,
      { tenantId: dupTenant.tenantId, invoice: dupInvoice, expect: 'posted' },
      ...raceInvoices.map((invoice) => ({
        tenantId: raceTenant.tenantId,
        invoice,
        expect: 'posted' as const,
      })),
    ];
    const tenantIds = tenants.map((t) => t.tenantId);
    const deadline = Date.now() + settleTimeoutMs;
    let lastLog = 0;
    // Each invoice's state as SEMINE reads it (getOutboxInvoice: the settlement, decided by an
    // insert, over the stored view, which a racing write on FerretDB can leave behind).
    const states = async () =>
      Promise.all(
        all.map(({ tenantId, invoice }) => getOutboxInvoice(h.store.db, tenantId, invoice.invoiceId)),
      );
    for (;;) {
      const open = (await states()).filter(
        (doc) => !doc || !['posted', 'rejected'].includes(doc.state),
      ).length;
      if (open === 0) break;
      if (Date.now() > deadline) {
        problems.push(`${open} invoices had not settled after ${settleTimeoutMs} ms`);
        break;
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`${open} invoices not yet settled (${Math.round((Date.now() - started) / 1000)} s)`);
      }
      // Each look counts the whole outbox; on FerretDB (SQLite) that scan competes with the
      // worker for the store, so look every few seconds only.
      await sleep(3_000);
    }
    sweeping = false;
    await sweeper;
    // Not awaited: a sweep whose activity died with a worker finishes only minutes later.
    const sweepsDone = sweepFinished;
    log(`settled after ${Math.round((Date.now() - started) / 1000)} s`);

    // --- ground truth --------------------------------------------------------------------------
    const faultList = await admin<Array<{ kind: string; field: string | null; hits: number }>>(
      h,
      'GET',
      '/admin/faults',
    );
    await admin(h, 'DELETE', '/admin/faults');
    limits.admit = admit;
    const faults: Record<string, number> = {};
    for (const rule of faultList) {
      const key =
        (rule.kind === 'commitThenDrop' || rule.kind === 'slow') && rule.field
          ? `${rule.kind}(${rule.field})`
          : rule.kind;
      faults[key] = (faults[key] ?? 0) + rule.hits;
    }
    // The certain late create is a count rule: the simulator removes it once it has fired, and
    // only the chance rule of the same kind and field is left.
    const lateCreateRules = faultList.filter(
      (rule) => rule.kind === 'slow' && rule.field === 'addGLImportItems',
    );
    if (lateCreateRules.length === 1) {
      faults['slow(addGLImportItems)'] = (faults['slow(addGLImportItems)'] ?? 0) + 1;
    }

    const owners = [...new Set(tenants.map((t) => t.ownerDbId))];
    const xledgerLines = new Map<string, Array<{ dbId: number; status: string; readable: boolean }>>();
    const payables = new Map<string, Array<{ dbId: number; headerDbId: number }>>();
    const duplicates: ChaosReport['duplicates'] = [];
    for (const owner of owners) {
      const truth = await admin<{
        lines: Array<{ dbId: number; extIdentifier: string | null; status: string; readable: boolean }>;
        apTransactions: Array<{
          dbId: number;
          extIdentifier: string | null;
          transactionHeader: { dbId: number };
        }>;
        duplicates: Array<{ extIdentifier: string; count: number }>;
      }>(h, 'GET', `/admin/gl-import/${owner}`);
      duplicates.push(...truth.duplicates);
      for (const line of truth.lines) {
        if (!line.extIdentifier?.startsWith('semine:')) continue;
        const list = xledgerLines.get(line.extIdentifier) ?? [];
        list.push({ dbId: line.dbId, status: line.status, readable: line.readable });
        xledgerLines.set(line.extIdentifier, list);
      }
      for (const payable of truth.apTransactions) {
        if (!payable.extIdentifier?.startsWith('semine:')) continue;
        const list = payables.get(payable.extIdentifier) ?? [];
        list.push({ dbId: payable.dbId, headerDbId: payable.transactionHeader.dbId });
        payables.set(payable.extIdentifier, list);
      }
    }
    for (const [extIdentifier, list] of payables) {
      if (list.length > 1) duplicates.push({ extIdentifier: `payable ${extIdentifier}`, count: list.length });
    }

    const docs = new Map<string, OutboxInvoice>();
    for (const doc of await states()) if (doc) docs.set(doc._id, doc);
    const stored = await outbox.countDocuments({ tenantId: { $in: tenantIds } });

    const lost: string[] = [];
    const expectedKeys = new Set<string>();
    let posted = 0;
    let rejected = 0;
    let foundAsPostedPayable = 0;
    let rejectedByValidator = 0;
    let rejectedByXledger = 0;
    const closedPeriodIds: string[] = [];
    let closedPeriodOk = true;
    for (const { tenantId, invoice, expect } of all) {
      const key = `${tenantId}:${invoice.invoiceId}`;
      const doc = docs.get(key);
      const lineKeys = Array.from({ length: invoice.lines.length + 1 }, (_, n) =>
        extIdentifier(tenantId, invoice.invoiceId, n),
      );
      lineKeys.forEach((k) => expectedKeys.add(k));
      const found = lineKeys.map((k) => xledgerLines.get(k) ?? []);
      if (!doc || (doc.state !== 'posted' && doc.state !== 'rejected')) {
        lost.push(`${key} (${doc ? doc.state : 'not in the outbox'})`);
        continue;
      }
      if (doc.state === 'posted') posted += 1;
      else rejected += 1;
      if (doc.state === 'rejected' && (doc.reasons.length === 0 || doc.reasons.some((r) => !r.trim()))) {
        problems.push(`${key} is rejected without a reason`);
      }
      if (expect === 'posted') {
        if (doc.state !== 'posted') {
          lost.push(`${key} (rejected: ${doc.reasons.join('; ')})`);
          continue;
        }
        // A retry that found the voucher already posted (its lines gone) knows no line ids.
        const knowsLines = doc.xledger.lineDbIds.length > 0;
        if (!knowsLines) {
          foundAsPostedPayable += 1;
          if (processedLines === 'stay') problems.push(`${key} is posted without its line ids`);
        }
        found.forEach((lines, n) => {
          if (lines.length !== 1) problems.push(`${lineKeys[n]} is in Xledger ${lines.length} times`);
          else if (lines[0]!.status !== 'POSTED') problems.push(`${lineKeys[n]} is ${lines[0]!.status}`);
          else if (lines[0]!.readable !== (processedLines === 'stay'))
            problems.push(
              `${lineKeys[n]} is posted but ${lines[0]!.readable ? 'still' : 'no longer'} readable`,
            );
          else if (knowsLines && doc.xledger.lineDbIds[n] !== lines[0]!.dbId)
            problems.push(
              `${lineKeys[n]}: outbox says line ${doc.xledger.lineDbIds[n]}, Xledger ${lines[0]!.dbId}`,
            );
        });
        const payable = payables.get(lineKeys[0]!) ?? [];
        if (payable.length !== 1) problems.push(`${key} has ${payable.length} posted payables in Xledger`);
        else if (doc.xledger.transactionDbId !== payable[0]!.headerDbId)
          problems.push(
            `${key}: outbox says transaction ${doc.xledger.transactionDbId}, Xledger ${payable[0]!.headerDbId}`,
          );
      } else if (expect === 'unknownSupplier') {
        if (doc.state === 'rejected') rejectedByValidator += 1;
        if (doc.state !== 'rejected' || !doc.reasons.join('\n').includes('unknown supplier')) {
          problems.push(
            `${key} should be rejected for its unknown supplier: ${doc.state} ${doc.reasons.join('; ')}`,
          );
        }
        if (found.some((lines) => lines.length > 0)) problems.push(`${key} was sent to Xledger`);
      } else {
        closedPeriodIds.push(key);
        if (doc.state === 'rejected') rejectedByXledger += 1;
        if (doc.state !== 'rejected' || !doc.reasons.join('\n').includes('closed period')) {
          closedPeriodOk = false;
          problems.push(
            `${key} should be rejected for the closed period: ${doc.state} ${doc.reasons.join('; ')}`,
          );
        }
        found.forEach((lines, n) => {
          if (lines.length !== 1 || lines[0]!.status !== 'FAILED')
            problems.push(`${lineKeys[n]}: expected one FAILED line, found ${JSON.stringify(lines)}`);
        });
        if (payables.has(lineKeys[0]!)) problems.push(`${key} failed in Xledger but has a posted payable`);
      }
    }
    for (const key of [...xledgerLines.keys(), ...payables.keys()]) {
      if (!expectedKeys.has(key)) problems.push(`Xledger holds a line nobody submitted: ${key}`);
    }
    if (stored !== all.length)
      problems.push(`the outbox holds ${stored} invoices, ${all.length} were submitted`);
    for (const d of duplicates) problems.push(`duplicate in Xledger: ${d.extIdentifier} × ${d.count}`);

    // One workflow per invoice, and its result agrees with the outbox.
    const workflowChecks = all.map(({ tenantId, invoice }) => async () => {
      const id = invoiceWorkflowId(tenantId, invoice.invoiceId);
      const handle = h.client.workflow.getHandle(id);
      const result = (await handle.result()) as { state: string };
      const doc = docs.get(`${tenantId}:${invoice.invoiceId}`);
      if (doc && result.state !== doc.state)
        problems.push(`${id} ended ${result.state} but the outbox says ${doc.state}`);
    });
    await inBatches(workflowChecks, 20);

    // SEMINE is told of every outcome exactly once, whatever the kills and faults (the event is
    // recorded in the step that stores the state, and again by any retry that finds it stored).
    const eventChecks = [...docs.values()].map((doc) => async () => {
      if (doc.state !== 'posted' && doc.state !== 'rejected') return;
      const id =
        doc.state === 'posted'
          ? eventIds.invoicePosted(doc.tenantId, doc.invoiceId)
          : eventIds.invoiceRejected(doc.tenantId, doc.invoiceId);
      const event = await findEvent(h.store.db, doc.tenantId, id);
      if (!event) problems.push(`${doc._id} is ${doc.state} but SEMINE was not told (no ${id})`);
    });
    await inBatches(eventChecks, 20);
    const invoiceEvents = await h.store.db.collection('events').countDocuments({
      tenantId: { $in: tenantIds },
      type: { $in: ['invoice.posted', 'invoice.rejected'] },
    });
    const settledCount = [...docs.values()].filter(
      (d) => d.state === 'posted' || d.state === 'rejected',
    ).length;
    if (invoiceEvents !== settledCount)
      problems.push(`${invoiceEvents} invoice events were recorded for ${settledCount} settled invoices`);

    const countRuns = async (tenantId: string, invoiceId: string) =>
      (await h.client.workflow.count(`WorkflowId = "${invoiceWorkflowId(tenantId, invoiceId)}"`)).count;
    const dupDocs = await outbox.countDocuments({
      tenantId: dupTenant.tenantId,
      invoiceId: dupInvoice.invoiceId,
    });
    const dupDoc = docs.get(`${dupTenant.tenantId}:${dupInvoice.invoiceId}`);
    const dupLines = Array.from(
      { length: dupInvoice.lines.length + 1 },
      (_, n) => (xledgerLines.get(extIdentifier(dupTenant.tenantId, dupInvoice.invoiceId, n)) ?? []).length,
    ).reduce((a, b) => a + b, 0);
    let raceWorkflows = 0;
    let racePostedOnce = 0;
    for (const invoice of raceInvoices) {
      raceWorkflows += await countRuns(raceTenant.tenantId, invoice.invoiceId);
      const doc = docs.get(`${raceTenant.tenantId}:${invoice.invoiceId}`);
      const once = Array.from({ length: invoice.lines.length + 1 }, (_, n) =>
        xledgerLines.get(extIdentifier(raceTenant.tenantId, invoice.invoiceId, n)),
      ).every((lines) => lines?.length === 1);
      if (doc?.state === 'posted' && once) racePostedOnce += 1;
    }

    const sendOutcomes = { fenced: 0, late: 0, landed: 0, not_landed: 0, unknown: 0 };
    for (const send of await h.store.db
      .collection<{ outcome: string; note: string | null }>(collections.invoiceSends)
      .find({ tenantId: { $in: tenantIds } })
      .toArray()) {
      if (send.outcome === 'not_sent' && send.note?.includes('no longer held')) sendOutcomes.fenced += 1;
      // Held back at the departure deadline (src/xledger/departure.ts): it waited too long to leave.
      if (send.outcome === 'not_sent' && send.note?.includes('due to leave by')) sendOutcomes.late += 1;
      if (send.outcome === 'landed' || send.outcome === 'not_landed' || send.outcome === 'unknown')
        sendOutcomes[send.outcome] += 1;
    }

    return {
      processedLines,
      tenants: tenants.length,
      invoices: { submitted: all.length, posted, rejected, unsettled: all.length - posted - rejected },
      rejectedBy: { validator: rejectedByValidator, xledger: rejectedByXledger },
      faults,
      faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
      limitRefusals,
      kills: killRecords,
      submittedWhileWorkerDown: submittedWhileDown,
      storedWithoutStart,
      submitRetries,
      sweeps: { runs: sweepRuns + 1, finished: sweepsDone + 1, started: sweepStarted + raceStartedBySweep },
      duplicates,
      payables: [...payables.values()].reduce((total, list) => total + list.length, 0),
      foundAsPostedPayable,
      lost,
      problems,
      concurrentDuplicate: {
        invoiceId: dupInvoice.invoiceId,
        submits: 10,
        outboxDocs: dupDocs,
        workflows: await countRuns(dupTenant.tenantId, dupInvoice.invoiceId),
        lines: dupLines,
        state: dupDoc?.state ?? 'missing',
      },
      race: {
        invoices: raceInvoices.length,
        startedBySweep: raceStartedBySweep,
        workflows: raceWorkflows,
        postedOnce: racePostedOnce,
      },
      closedPeriod: { invoiceIds: closedPeriodIds, allRejectedWithReason: closedPeriodOk },
      zombie: {
        pausedMs: ZOMBIE_PAUSE_MS,
        leasesLiveAtPause: zombieInFlight,
        fencedSends: sendOutcomes.fenced,
        lateSends: sendOutcomes.late,
      },
      lostAnswers: {
        landed: sendOutcomes.landed,
        notLanded: sendOutcomes.not_landed,
        stillUnknown: sendOutcomes.unknown,
      },
      durationMs: Date.now() - started,
      workerOutput: workerOutput().slice(-20_000),
    };
  } finally {
    for (const w of workers) await w.kill('SIGKILL');
  }
}

/** One invoice of the run; index < 0 for the side scenarios' invoices. */
function chaosInvoice(index: number, tenant: ChaosTenant, suppliers: string[], kind: Expectation): Invoice {
  const id = index >= 0 ? `inv-${String(index).padStart(5, '0')}` : `side${index}`;
  const entityDbId =
    kind === 'posted' && tenant.clients.length > 0 && index % 5 === 3
      ? tenant.clients[Math.floor(index / 5) % tenant.clients.length]!
      : tenant.ownerDbId;
  const cents = 10_000 + ((Math.abs(index) * 7_919) % 900_000);
  const split = Math.floor(cents * 0.8);
  const format = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
  const lineCount = 1 + (Math.abs(index) % 3);
  const lines =
    lineCount === 1
      ? [{ accountCode: '6300', amount: format(cents), vatCode: '1' }]
      : lineCount === 2
        ? [
            { accountCode: '6300', amount: format(split), vatCode: '1' },
            { accountCode: '6800', amount: format(cents - split), vatCode: '1' },
          ]
        : [
            { accountCode: '6300', amount: format(split), vatCode: '1' },
            { accountCode: '6800', amount: format(Math.floor((cents - split) / 2)), vatCode: '1' },
            {
              accountCode: '7700',
              amount: format(cents - split - Math.floor((cents - split) / 2)),
              vatCode: '0',
            },
          ];
  return invoiceSchema.parse(
    demoInvoice(
      id,
      kind === 'unknownSupplier' ? 'NO-SUCH-SUPPLIER' : suppliers[Math.abs(index) % suppliers.length]!,
      {
        entityDbId,
        invoiceNumber: `CH-${tenant.tenantId}-${id}`,
        totalAmount: format(cents),
        lines,
        ...(kind === 'closedPeriod' ? { postedDate: '2025-06-30' } : {}),
      },
    ),
  );
}

/**
 * SEMINE's side of a submit: on an error it submits again (a submit is idempotent by invoice
 * id). FerretDB on SQLite answers "database is locked" under this much concurrent writing.
 */
async function withRetries<T>(work: () => Promise<T>, onRetry: () => void, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      onRetry();
      await sleep(250 * attempt);
    }
  }
}

async function inBatches(tasks: Array<() => Promise<void>>, size: number): Promise<void> {
  for (let i = 0; i < tasks.length; i += size) {
    await Promise.all(tasks.slice(i, i + size).map((task) => task()));
  }
}

/** The closing note's figures, one line each. */
export function formatReport(report: ChaosReport): string {
  const { invoices, faults, limitRefusals } = report;
  return [
    `processed GL import lines: ${report.processedLines === 'stay' ? 'stay readable' : 'disappear'} (A); ${report.payables} posted payables; ${report.foundAsPostedPayable} invoices found already posted by a retry`,
    `invoices: ${invoices.submitted} submitted across ${report.tenants} tenants — ${invoices.posted} posted, ${invoices.rejected} rejected (validator ${report.rejectedBy.validator}, Xledger import error ${report.rejectedBy.xledger}), ${invoices.unsettled} unsettled`,
    `faults injected: ${report.faultsTotal} (${Object.entries(faults)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ')}); limit refusals: ${
      Object.entries(limitRefusals)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || 'none'
    }`,
    `worker kills: ${report.kills.length} (${report.kills
      .map((k) => `at ${k.atSubmitted} submitted with ${k.postingInFlight} posting`)
      .join('; ')}); ${report.submittedWhileWorkerDown} submitted while the worker was down`,
    `sweeps (the schedule's workflow, racing the submits): ${report.sweeps.runs} started, ${report.sweeps.finished} finished by the end, ${report.sweeps.started} posting workflows started by them; ${report.storedWithoutStart} invoices were stored by a submit that never reached Temporal; ${report.submitRetries} submits retried by the caller`,
    `concurrent duplicate: ${report.concurrentDuplicate.submits} submits → ${report.concurrentDuplicate.outboxDocs} outbox doc, ${report.concurrentDuplicate.workflows} workflow, ${report.concurrentDuplicate.lines} lines, ${report.concurrentDuplicate.state}`,
    `race with the sweep: ${report.race.invoices} invoices, ${report.race.startedBySweep} started by the sweep, ${report.race.workflows} workflows, ${report.race.postedOnce} posted once`,
    `late or lost create answers: ${report.faults['slow(addGLImportItems)'] ?? 0} creates landed after the request timeout, ${report.faults['commitThenDrop(addGLImportItems)'] ?? 0} answers dropped; sends found landed by a later look-up ${report.lostAnswers.landed}, settled as not landed ${report.lostAnswers.notLanded}, still unknown ${report.lostAnswers.stillUnknown}`,
    `zombie: the second worker frozen ${Math.round(report.zombie.pausedMs / 1000)} s with ${report.zombie.leasesLiveAtPause} leases live, then woken; ${report.zombie.fencedSends} sends refused by the lease fence, ${report.zombie.lateSends} held back at their departure deadline`,
    `duplicates: ${report.duplicates.length}; lost: ${report.lost.length}; problems: ${report.problems.length}`,
    `duration: ${Math.round(report.durationMs / 1000)} s`,
  ].join('\n');
}
