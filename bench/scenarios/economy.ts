/**
 * economy: the Xledger requests and MB one tenant costs over a simulated month. Each data type is
 * run through Temporal as its schedule runs it (a daily full pass, incremental passes between),
 * and its requests and bytes per run are measured at the simulator; the month is those figures
 * times the runs its real schedule makes (scheduleSpecsFor: the intervals the tenant's schedules
 * are created with). Quiet: nothing changes. Active: 100 suppliers changed and 20 invoices a day.
 */
import { randomBytes } from 'node:crypto';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { dataTypes } from '../../src/datatypes/registry';
import { scheduleSpecsFor } from '../../src/temporal/schedules';
import { SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import type { SyncMode } from '../../src/domain/figures';
import { demoInvoice } from '../../test/support/invoices';
import { progress, round, type Row, type ScenarioResult } from '../support/report';
import { runSync } from '../support/runs';
import { openBenchEnv, type BenchEnv, type BenchServers } from '../support/stack';
import { supplierToInvoice, waitSettled } from '../support/tenants';
import { startBenchWorker } from '../support/worker';
import { measurePush, savePushTenant, startBenchPushReceiver } from './economy-push';
import { postPendingInvoicesWorkflow } from '../../src/workflows';

export interface EconomyOptions {
  /** Suppliers in the simulator (other types scale from it); default 2,000. */
  suppliers: number;
  days: number;
  changedSuppliersPerDay: number;
  invoicesPerDay: number;
  /** Invoices actually posted to measure the requests of one (default 5). */
  sampleInvoices: number;
}

export const defaultEconomyOptions: EconomyOptions = {
  suppliers: 2_000,
  days: 30,
  changedSuppliersPerDay: 100,
  invoicesPerDay: 20,
  sampleInvoices: 5,
};

const TENANT = 'economy';
const TOKEN = 'owner1';
/** The goal for a quiet tenant with every data type on (issue 15). */
export const QUIET_MONTHLY_GOAL = 3_500;
/** The goal for the same tenant with push from Xledger on (issue 26). */
export const QUIET_PUSH_MONTHLY_GOAL = 1_500;

interface Cost {
  requests: number;
  bytesDown: number;
  bytesUp: number;
}

const zero = (): Cost => ({ requests: 0, bytesDown: 0, bytesUp: 0 });
const plus = (a: Cost, b: Cost, times = 1): Cost => ({
  requests: a.requests + b.requests * times,
  bytesDown: a.bytesDown + b.bytesDown * times,
  bytesUp: a.bytesUp + b.bytesUp * times,
});

/** What `action` cost at the simulator, for the tenant's token. */
async function costOf(sim: RunningSimulator, action: () => Promise<unknown>): Promise<Cost> {
  const before = sim.counters.get(TOKEN) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
  const snapshot = { requests: before.requests, bytesIn: before.bytesIn, bytesOut: before.bytesOut };
  await action();
  const after = sim.counters.get(TOKEN) ?? { requests: 0, bytesIn: 0, bytesOut: 0 };
  return {
    requests: after.requests - snapshot.requests,
    bytesDown: after.bytesOut - snapshot.bytesOut,
    bytesUp: after.bytesIn - snapshot.bytesIn,
  };
}

export async function economyScenario(
  servers: BenchServers,
  options: EconomyOptions,
): Promise<ScenarioResult> {
  const sim = await startSimulator({ seed: 1, suppliers: options.suppliers });
  const env = await openBenchEnv(servers, 'economy');
  const receiver = await startBenchPushReceiver(env);
  try {
    // With push on: the polling column runs each type itself and never reads the push settings.
    await savePushTenant(env, sim, {
      tenantId: TENANT,
      xledger: { endpoint: sim.graphqlUrl, token: SEED_TOKENS[TOKEN] },
      entityOwnerDbId: 101,
      options: { fixedAssets: true, projectManagers: true },
    });
    const worker = await startBenchWorker(env, { env: { PUSH_PUBLIC_BASE_URL: receiver.url } });
    try {
      return await measureMonth(env, sim, options);
    } finally {
      await worker.stop();
    }
  } finally {
    await receiver.close();
    await env.close();
    await sim.close();
  }
}

async function measureMonth(
  env: BenchEnv,
  sim: RunningSimulator,
  options: EconomyOptions,
): Promise<ScenarioResult> {
  const tenant = await env.tenants.get(TENANT);
  const specs = scheduleSpecsFor(tenant);
  const run = (dataType: string, mode: SyncMode | 'auto') =>
    costOf(sim, () => runSync(env, TENANT, dataType, mode));
  // Master data first (every later run finds its checkpoints and the stored entity tree).
  progress('economy: first full passes of every data type');
  for (const type of dataTypes) await run(type.name, 'full');

  const rows: Row[] = [];
  let quiet = zero();
  let active = zero();
  const perRun: Record<string, { full: number; incremental: number }> = {};
  // First: the deliveries of the active measurement below then find no schedule to trigger (the
  // watch's are removed again: the bench runs each type itself), so the polling figures stay its own.
  progress('economy: push from Xledger: registering and watching the webhooks');
  const push = await measurePush(env, tenant, (action) => costOf(sim, action));
  let quietPush = plus(zero(), { requests: push.registration, bytesDown: 0, bytesUp: 0 });
  for (const type of dataTypes) {
    const spec = specs.find((s) => s.dataType === type.name);
    if (!spec) continue;
    progress(`economy: ${type.name}: a full pass, then incremental passes`);
    const full = await run(type.name, 'full');
    // As its schedule runs it: mode auto (incremental until the daily full pass is due).
    const incremental = await run(type.name, 'auto');
    let activeIncremental = incremental;
    const runsPerDay = (24 * 60) / spec.intervalMinutes;
    const fullPerDay = Math.min(runsPerDay, 24 / tenant.fullPassIntervalHours);
    if (type.name === 'suppliers') {
      changeSuppliers(sim, Math.round(options.changedSuppliersPerDay / runsPerDay));
      activeIncremental = await run(type.name, 'auto');
    }
    const quietMonth = plus(
      plus(zero(), full, fullPerDay * options.days),
      incremental,
      (runsPerDay - fullPerDay) * options.days,
    );
    const activeMonth = plus(
      plus(zero(), full, fullPerDay * options.days),
      activeIncremental,
      (runsPerDay - fullPerDay) * options.days,
    );
    quiet = plus(quiet, quietMonth);
    active = plus(active, activeMonth);
    const pushSpec = push.specs.find((s) => s.dataType === type.name)!;
    const pushRunsPerDay = (24 * 60) / pushSpec.intervalMinutes;
    const pushFullPerDay = Math.min(pushRunsPerDay, 24 / tenant.fullPassIntervalHours);
    const quietPushMonth = plus(
      plus(zero(), full, pushFullPerDay * options.days),
      incremental,
      (pushRunsPerDay - pushFullPerDay) * options.days,
    );
    quietPush = plus(quietPush, quietPushMonth);
    perRun[type.name] = { full: full.requests, incremental: incremental.requests };
    rows.push({
      'data type': type.name,
      interval: minutesText(spec.intervalMinutes),
      'runs/day': round(runsPerDay, 1),
      'req/full run': full.requests,
      'req/incr. run': incremental.requests,
      'req/active run': activeIncremental.requests,
      'quiet req/month': Math.round(quietMonth.requests),
      'active req/month': Math.round(activeMonth.requests),
      'quiet MB/month': round((quietMonth.bytesDown + quietMonth.bytesUp) / 1e6, 1),
      'active MB/month': round((activeMonth.bytesDown + activeMonth.bytesUp) / 1e6, 1),
      'push interval': minutesText(pushSpec.intervalMinutes),
      'push quiet req/month': Math.round(quietPushMonth.requests),
    });
  }

  // Invoices: the sweep every 5 minutes (nothing pending: no request) and each posted invoice.
  const invoicesSpec = specs.find((s) => s.dataType === 'invoices')!;
  const sweepsPerDay = (24 * 60) / invoicesSpec.intervalMinutes;
  const sweep = await costOf(sim, () =>
    env.temporal.workflow.execute(postPendingInvoicesWorkflow, {
      taskQueue: env.config.temporal.taskQueue,
      workflowId: `bench:${TENANT}:sweep:${randomBytes(3).toString('hex')}`,
      args: [{ tenantId: TENANT }],
    }),
  );
  progress(`economy: posting ${options.sampleInvoices} invoices`);
  // Every data type is synced by now: the invoice validates against it.
  const supplierCode = await supplierToInvoice(env, TENANT);
  const api = await connectWithConfig(env.config);
  let posting: Cost;
  try {
    posting = await costOf(sim, async () => {
      for (let i = 0; i < options.sampleInvoices; i++) {
        await api.submitInvoice(TENANT, demoInvoice(`ECON-${i}`, supplierCode));
      }
      await waitSettled(env, TENANT, options.sampleInvoices, 120_000);
    });
  } finally {
    await api.close();
  }
  const perInvoice: Cost = {
    requests: posting.requests / options.sampleInvoices,
    bytesDown: posting.bytesDown / options.sampleInvoices,
    bytesUp: posting.bytesUp / options.sampleInvoices,
  };
  const quietInvoices = plus(zero(), sweep, sweepsPerDay * options.days);
  const activeInvoices = plus(quietInvoices, perInvoice, options.invoicesPerDay * options.days);
  quiet = plus(quiet, quietInvoices);
  active = plus(active, activeInvoices);
  const watchMonth = push.watch * push.watchesPerDay * options.days;
  quietPush = plus(quietPush, quietInvoices);
  quietPush = plus(quietPush, { requests: watchMonth, bytesDown: 0, bytesUp: 0 });
  rows.push({
    'data type': 'invoices',
    interval: minutesText(invoicesSpec.intervalMinutes),
    'runs/day': sweepsPerDay,
    'req/full run': '-',
    'req/incr. run': sweep.requests,
    'req/active run': `${round(perInvoice.requests, 1)}/invoice`,
    'quiet req/month': Math.round(quietInvoices.requests),
    'active req/month': Math.round(activeInvoices.requests),
    'quiet MB/month': round((quietInvoices.bytesDown + quietInvoices.bytesUp) / 1e6, 1),
    'active MB/month': round((activeInvoices.bytesDown + activeInvoices.bytesUp) / 1e6, 1),
    'push interval': minutesText(invoicesSpec.intervalMinutes),
    'push quiet req/month': Math.round(quietInvoices.requests),
  });
  rows.push({
    'data type': 'push watch',
    interval: '-',
    'runs/day': '-',
    'req/incr. run': `${push.watch} (+${push.registration} once)`,
    'push interval': `${round(24 / push.watchesPerDay, 1)} h`,
    'push quiet req/month': Math.round(watchMonth + push.registration),
  });
  rows.push({
    'data type': 'total',
    interval: '',
    'quiet req/month': Math.round(quiet.requests),
    'active req/month': Math.round(active.requests),
    'quiet MB/month': round((quiet.bytesDown + quiet.bytesUp) / 1e6, 1),
    'active MB/month': round((active.bytesDown + active.bytesUp) / 1e6, 1),
    'push quiet req/month': Math.round(quietPush.requests),
  });
  return {
    scenario: 'economy',
    tables: [
      {
        title: `economy: one tenant, every data type on, ${options.suppliers} suppliers, ${options.days} days, default intervals (active: ${options.changedSuppliersPerDay} changed suppliers and ${options.invoicesPerDay} invoices a day); push: the same quiet tenant with Xledger's webhooks (pushed: ${push.result.pushedTypes.join(', ')})`,
        rows,
      },
    ],
    summary: {
      scenario: 'economy',
      days: options.days,
      quietRequestsPerMonth: Math.round(quiet.requests),
      activeRequestsPerMonth: Math.round(active.requests),
      quietMbPerMonth: round((quiet.bytesDown + quiet.bytesUp) / 1e6, 1),
      activeMbPerMonth: round((active.bytesDown + active.bytesUp) / 1e6, 1),
      quietRequestsPerDay: round(quiet.requests / options.days, 1),
      requestsPerInvoice: round(perInvoice.requests, 2),
      goal: QUIET_MONTHLY_GOAL,
      quietPushRequestsPerMonth: Math.round(quietPush.requests),
      pushGoal: QUIET_PUSH_MONTHLY_GOAL,
      pushedTypes: push.result.pushedTypes,
      pushRegistrationRequests: push.registration,
      pushWatchRequests: push.watch,
      requestsPerRun: perRun,
    },
  };
}

/** Changes `count` of the owner's suppliers (moves their modifiedAt, adds UPDATED deltas). */
function changeSuppliers(sim: RunningSimulator, count: number): void {
  const owned = sim.state.truth(101, 'suppliers');
  for (let i = 0; i < count && i < owned.length; i++) {
    sim.state.patchRecord('suppliers', owned[i]!.dbId, { description: `economy change ${i}` });
  }
}

function minutesText(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}
