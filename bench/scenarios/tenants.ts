/**
 * tenants: a fleet of tenants, each with every data type on and all its schedules (7 data types
 * and invoices: 8 each), on one dev server and one (or more) workers. Onboards them all through
 * the client API, lets the schedules run for a window, and reports: the time to onboard, each
 * scheduled run's start lag (the workflow's start against the time its schedule's action was due,
 * jitter included) and completion lag, whether a backlog grows (running workflows over time,
 * actions skipped because the previous run still ran), the CPU and memory of the worker(s) and
 * the servers, and whether any tenant's runs starve.
 */
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { scheduleSpecsFor } from '../../src/temporal/schedules';
import { SCOPES, SEED_ENTITIES, startSimulator } from '../../src/simulator/index';
import { tenantConfigSchema, type TenantSettings } from '../../src/domain/tenant';
import { cpuSecondsOf, memoryOf } from '../support/proc';
import { median, percentile, progress, round, type Row, type ScenarioResult } from '../support/report';
import { openBenchEnv, type BenchServers } from '../support/stack';
import { startBenchWorker, type BenchWorker } from '../support/worker';
import { postPendingInvoicesWorkflow, syncDataTypeWorkflow, tenantWorkflow } from '../../src/workflows';

export interface TenantsOptions {
  tenants: number;
  /** How long the schedules run after onboarding, minutes (fractions allowed). */
  minutes: number;
  onboardConcurrency: number;
  workers: number;
  /** Suppliers in the simulator (every tenant is an owner-101 tenant with its own token). */
  suppliers: number;
  /** Trigger every schedule once right after onboarding (all at once), besides their own runs. */
  triggerOnce: boolean;
  settings: Record<string, string>;
}

export const defaultTenantsOptions: TenantsOptions = {
  tenants: 1_000,
  minutes: 30,
  onboardConcurrency: 16,
  workers: 1,
  suppliers: 200,
  triggerOnce: false,
  settings: {},
};

const RUN_TYPES = [syncDataTypeWorkflow.name, postPendingInvoicesWorkflow.name];

interface Sample {
  at: number;
  running: number;
  /** How long MongoDB took to answer a read by _id (NaN: no answer within 10 s). */
  mongoMs: number;
  cpu: Record<string, number>;
  rssMb: Record<string, number>;
}

export async function tenantsScenario(
  servers: BenchServers,
  options: TenantsOptions,
): Promise<ScenarioResult> {
  const sim = await startSimulator({ seed: 1, suppliers: options.suppliers });
  const env = await openBenchEnv(servers, 'tenants', options.settings);
  const tenantIds = Array.from({ length: options.tenants }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);
  const tokens = tenantIds.map((id) =>
    sim.state.addToken({
      name: id,
      entityDbId: SEED_ENTITIES.owner1,
      scopes: SCOPES,
      secret: `bench-${id}-token`,
    }),
  );
  const configs = tenantIds.map((tenantId, i) =>
    tenantConfigSchema.parse({
      tenantId,
      xledger: { endpoint: sim.graphqlUrl, token: tokens[i]!.secret },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      options: { fixedAssets: true, projectManagers: true },
    }),
  );
  const workers: BenchWorker[] = [];
  const api = await connectWithConfig(env.config);
  const taskQueue = env.config.temporal.taskQueue;
  try {
    for (let w = 0; w < options.workers; w++) workers.push(await startBenchWorker(env));
    const watched = [
      ...workers.map((worker, w) => ({ name: `worker ${w + 1}`, pid: worker.pid })),
      ...servers.processes,
      { name: 'bench (simulator, client)', pid: process.pid },
    ];
    const samples: Sample[] = [];
    const sample = async () => {
      const at = Date.now();
      const cpu = Object.fromEntries(watched.map((p) => [p.name, cpuSecondsOf(p.pid)]));
      const rssMb = Object.fromEntries(watched.map((p) => [p.name, memoryOf(p.pid).rssMb]));
      const running = await env.temporal.workflow
        .count(
          `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND WorkflowType != '${tenantWorkflow.name}'`,
        )
        .then((c) => c.count)
        .catch(() => NaN);
      const asked = performance.now();
      const mongoMs = await Promise.race([
        env.store.db
          .collection('tenants')
          .findOne({ _id: tenantIds[0] as never })
          .then(() => performance.now() - asked),
        new Promise<number>((resolve) => setTimeout(() => resolve(NaN), 10_000).unref()),
      ]).catch(() => NaN);
      samples.push({ at, running, mongoMs, cpu, rssMb });
      if (samples.length % 6 === 1) {
        const workerCpu = samples.length > 1 ? cpuPercent(samples.at(-2)!, samples.at(-1)!, 'worker 1') : 0;
        progress(
          `tenants: ${running} runs under way; MongoDB answers in ${Number.isNaN(mongoMs) ? '>10 s' : `${Math.round(mongoMs)} ms`}; worker 1 CPU ${workerCpu}%`,
        );
      }
    };
    // One sample every 10 s, never two at once; stopSampling() waits for the one under way.
    let sampling = true;
    let wakeSampler = () => undefined as void;
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await new Promise<void>((resolve) => {
          wakeSampler = resolve;
          setTimeout(resolve, 10_000);
        });
      }
    })();
    const stopSampling = async () => {
      sampling = false;
      wakeSampler();
      await sampler;
      await sample();
    };

    // What bounds onboarding on this server: how fast it creates schedules at all.
    const probeRate =
      options.tenants >= 100
        ? await scheduleCreateRate(env.temporal, taskQueue, options.onboardConcurrency)
        : null;
    progress(
      `tenants: onboarding ${options.tenants} tenants through the client API (${options.onboardConcurrency} at a time)`,
    );
    const onboardStart = Date.now();
    const onboarding = pLimit(options.onboardConcurrency);
    const onboardMs: number[] = [];
    await Promise.all(
      tenantIds.map((tenantId, i) =>
        onboarding(async () => {
          const started = performance.now();
          await api.upsertTenant(configs[i]!);
          onboardMs.push(performance.now() - started);
        }),
      ),
    );
    const onboardSeconds = (Date.now() - onboardStart) / 1000;
    progress(
      `tenants: onboarded in ${onboardSeconds.toFixed(1)} s; the schedules run for ${options.minutes} min`,
    );
    if (options.triggerOnce) {
      const triggering = pLimit(options.onboardConcurrency);
      await Promise.all(
        configs
          .map((config) => env.tenants.settingsOf(config))
          .flatMap((tenant) =>
            scheduleSpecsFor(tenant).map((spec) =>
              triggering(() => env.temporal.schedule.getHandle(spec.id).trigger()),
            ),
          ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.minutes * 60_000));
    await stopSampling();
    const windowEnd = Date.now();

    progress('tenants: reading the runs');
    const runs = await listRuns(env.temporal, taskQueue, new Date(onboardStart));
    progress(`tenants: ${runs.size} runs; reading the schedules`);
    // From the configs, not the store: the schedules are what the client API made of them.
    const settings = configs.map((config) => env.tenants.settingsOf(config));
    const { schedules, unreadable } = await describeSchedules(env.temporal, settings);
    await describeMissingRuns(env.temporal, schedules, runs, onboardStart);
    const result = fleetResult(options, {
      probeRate,
      onboardSeconds,
      onboardMs,
      onboardStart,
      windowEnd,
      samples,
      runs,
      schedules,
    });
    result.summary.unreadableSchedules = unreadable;
    progress('tenants: removing the tenants');
    const removeStart = Date.now();
    const removing = pLimit(options.onboardConcurrency);
    const removed = await Promise.allSettled(
      tenantIds.map((id) => removing(() => api.removeTenant(id, { force: true }))),
    );
    result.summary.offboardSeconds = round((Date.now() - removeStart) / 1000, 1);
    result.summary.offboardFailures = removed.filter((r) => r.status === 'rejected').length;
    return result;
  } finally {
    await api.close();
    for (const worker of workers) await worker.stop();
    await env.close();
    await sim.close();
  }
}

/**
 * How many schedules per second the server creates, with `concurrency` creates in flight: 200
 * schedules shaped like a tenant's (an interval with an offset and jitter), starting a workflow
 * on a task queue nobody polls, deleted again right after.
 */
async function scheduleCreateRate(temporal: Client, taskQueue: string, concurrency: number): Promise<number> {
  const ids = Array.from({ length: 200 }, (_, i) => `bench-probe:${taskQueue}:${i}`);
  const creating = pLimit(concurrency);
  const started = performance.now();
  await Promise.all(
    ids.map((scheduleId, i) =>
      creating(() =>
        temporal.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: '24h', offset: `${i % 1440}m` }], jitter: '60s' },
          action: { type: 'startWorkflow', workflowType: 'probe', taskQueue: `${taskQueue}-probe`, args: [] },
        }),
      ),
    ),
  );
  const rate = ids.length / ((performance.now() - started) / 1000);
  await Promise.all(ids.map((id) => creating(() => temporal.schedule.getHandle(id).delete())));
  return rate;
}

interface RunInfo {
  workflowId: string;
  type: string;
  startTime: Date;
  closeTime: Date | undefined;
  status: string;
}

async function listRuns(temporal: Client, taskQueue: string, since: Date): Promise<Map<string, RunInfo>> {
  const runs = new Map<string, RunInfo>();
  for await (const info of temporal.workflow.list({
    query: `TaskQueue = '${taskQueue}' AND StartTime >= '${since.toISOString()}'`,
  })) {
    if (!RUN_TYPES.includes(info.type)) continue;
    runs.set(info.workflowId, {
      workflowId: info.workflowId,
      type: info.type,
      startTime: info.startTime,
      closeTime: info.closeTime,
      status: info.status.name,
    });
  }
  return runs;
}

/** Runs the schedules took that the visibility list did not show (yet): read one by one. */
async function describeMissingRuns(
  temporal: Client,
  schedules: ScheduleFigures[],
  runs: Map<string, RunInfo>,
  since: number,
): Promise<void> {
  const missing = schedules.flatMap((schedule) =>
    schedule.actions
      .filter((action) => action.scheduledAt.getTime() >= since && !runs.has(action.workflowId))
      .map((action) => action.workflowId),
  );
  const describing = pLimit(16);
  await Promise.allSettled(
    missing.map((workflowId) =>
      describing(async () => {
        const info = await temporal.workflow.getHandle(workflowId).describe();
        runs.set(workflowId, {
          workflowId,
          type: info.type,
          startTime: info.startTime,
          closeTime: info.closeTime,
          status: info.status.name,
        });
      }),
    ),
  );
}

interface ScheduleFigures {
  tenantId: string;
  dataType: string;
  intervalMinutes: number;
  actions: Array<{ scheduledAt: Date; takenAt: Date; workflowId: string }>;
  skippedOverlap: number;
  missedCatchup: number;
}

/** Every schedule's recent actions and counters (one that cannot be read is counted, not fatal). */
async function describeSchedules(
  temporal: Client,
  tenants: TenantSettings[],
): Promise<{ schedules: ScheduleFigures[]; unreadable: number }> {
  const describing = pLimit(16);
  const specs = tenants.flatMap((tenant) => scheduleSpecsFor(tenant).map((spec) => ({ tenant, spec })));
  const described = await Promise.allSettled(
    specs.map(({ tenant, spec }) =>
      describing(async () => {
        const d = await temporal.schedule.getHandle(spec.id).describe();
        return {
          tenantId: tenant.tenantId,
          dataType: spec.dataType,
          intervalMinutes: spec.intervalMinutes,
          actions: d.info.recentActions.map((a) => ({
            scheduledAt: a.scheduledAt,
            takenAt: a.takenAt,
            workflowId: a.action.workflow.workflowId,
          })),
          skippedOverlap: d.info.numActionsSkippedOverlap,
          missedCatchup: d.info.numActionsMissedCatchupWindow,
        };
      }),
    ),
  );
  return {
    schedules: described.flatMap((d) => (d.status === 'fulfilled' ? [d.value] : [])),
    unreadable: described.filter((d) => d.status === 'rejected').length,
  };
}

/** CPU of a process between two samples, percent of one core. */
function cpuPercent(before: Sample, after: Sample, name: string): number {
  const seconds = (after.at - before.at) / 1000;
  return seconds > 0 ? round((100 * ((after.cpu[name] ?? 0) - (before.cpu[name] ?? 0))) / seconds, 1) : 0;
}

function fleetResult(
  options: TenantsOptions,
  m: {
    /** Schedules the server created per second in a probe before onboarding (null: not probed). */
    probeRate: number | null;
    onboardSeconds: number;
    onboardMs: number[];
    onboardStart: number;
    windowEnd: number;
    samples: Sample[];
    runs: Map<string, RunInfo>;
    schedules: ScheduleFigures[];
  },
): ScenarioResult {
  const startLags: number[] = [];
  const completionLags: number[] = [];
  const byType = new Map<string, { start: number[]; completion: number[]; open: number; actions: number }>();
  let unfinishedLate = 0;
  const perTenant = new Map<string, { actions: number; completed: number; worstCompletionMs: number }>();
  for (const schedule of m.schedules) {
    const tenant = perTenant.get(schedule.tenantId) ?? { actions: 0, completed: 0, worstCompletionMs: 0 };
    perTenant.set(schedule.tenantId, tenant);
    const type = byType.get(schedule.dataType) ?? { start: [], completion: [], open: 0, actions: 0 };
    byType.set(schedule.dataType, type);
    for (const action of schedule.actions) {
      if (action.scheduledAt.getTime() < m.onboardStart) continue;
      const run = m.runs.get(action.workflowId);
      tenant.actions += 1;
      type.actions += 1;
      if (!run) continue;
      const start = run.startTime.getTime() - action.scheduledAt.getTime();
      startLags.push(start);
      type.start.push(start);
      if (run.closeTime) {
        const completion = run.closeTime.getTime() - action.scheduledAt.getTime();
        completionLags.push(completion);
        type.completion.push(completion);
        tenant.completed += 1;
        tenant.worstCompletionMs = Math.max(tenant.worstCompletionMs, completion);
      } else {
        type.open += 1;
        // Still running longer than its interval: that schedule is falling behind.
        if (m.windowEnd - action.scheduledAt.getTime() > schedule.intervalMinutes * 60_000)
          unfinishedLate += 1;
      }
    }
  }
  const seconds = (ms: number) => round(ms / 1000, 2);
  const typeRows: Row[] = [...byType].map(([dataType, t]) => ({
    schedule: dataType,
    'actions taken': t.actions,
    'start lag p50 s': seconds(percentile(t.start, 50)),
    'start lag p99 s': seconds(percentile(t.start, 99)),
    'completion p50 s': seconds(percentile(t.completion, 50)),
    'completion p99 s': seconds(percentile(t.completion, 99)),
    'still running': t.open,
  }));
  const first = m.samples[0]!;
  const last = m.samples.at(-1)!;
  const elapsed = (last.at - first.at) / 1000;
  const processRows: Row[] = Object.keys(first.cpu).map((name) => {
    const cpuPerInterval = m.samples
      .slice(1)
      .map((s, i) => (s.cpu[name]! - m.samples[i]!.cpu[name]!) / ((s.at - m.samples[i]!.at) / 1000));
    return {
      process: name,
      'CPU avg %': round((100 * (last.cpu[name]! - first.cpu[name]!)) / elapsed, 1),
      'CPU max % (10 s)': round(100 * Math.max(0, ...cpuPerInterval), 1),
      'RSS max MB': Math.round(Math.max(...m.samples.map((s) => s.rssMb[name]!))),
      'RSS end MB': Math.round(last.rssMb[name]!),
    };
  });
  const running = m.samples.map((s) => s.running).filter((n) => Number.isFinite(n));
  const third = Math.max(1, Math.floor(running.length / 3));
  const earlyRunning = median(running.slice(0, third));
  const lateRunning = median(running.slice(-third));
  const ratios = [...perTenant.values()].filter((t) => t.actions > 0).map((t) => t.completed / t.actions);
  const skippedOverlap = m.schedules.reduce((sum, s) => sum + s.skippedOverlap, 0);
  const missedCatchup = m.schedules.reduce((sum, s) => sum + s.missedCatchup, 0);
  const worstTenantCompletion = [...perTenant.values()].map((t) => t.worstCompletionMs);
  return {
    scenario: 'tenants',
    tables: [
      {
        title: `tenants: ${options.tenants} tenants, ${m.schedules.length} schedules, ${options.workers} worker(s), ${options.minutes} min after onboarding (${round(m.onboardSeconds, 1)} s)`,
        rows: typeRows,
      },
      { title: 'tenants: processes (CPU: 100% = one core)', rows: processRows },
      {
        title: 'tenants: running runs over time (sampled every 10 s)',
        rows: m.samples
          .filter(
            (_, i) => i % Math.max(1, Math.floor(m.samples.length / 12)) === 0 || i === m.samples.length - 1,
          )
          .map((s) => ({
            minute: round((s.at - first.at) / 60_000, 1),
            running: s.running,
            'MongoDB read ms': Number.isNaN(s.mongoMs) ? '>10000' : Math.round(s.mongoMs),
          })),
      },
    ],
    summary: {
      scenario: 'tenants',
      tenants: options.tenants,
      schedules: m.schedules.length,
      workers: options.workers,
      minutes: options.minutes,
      onboardSeconds: round(m.onboardSeconds, 1),
      onboardP99Seconds: seconds(percentile(m.onboardMs, 99)),
      scheduleCreatesPerSecond: m.probeRate === null ? null : round(m.probeRate, 1),
      // The least time the server needs to create every schedule, at the probed rate.
      onboardFloorSeconds: m.probeRate === null ? null : round(m.schedules.length / m.probeRate, 1),
      runs: startLags.length,
      startLagP50Seconds: seconds(percentile(startLags, 50)),
      startLagP99Seconds: seconds(percentile(startLags, 99)),
      completionLagP50Seconds: seconds(percentile(completionLags, 50)),
      completionLagP99Seconds: seconds(percentile(completionLags, 99)),
      mongoUnansweredSamples: m.samples.filter((s) => Number.isNaN(s.mongoMs)).length,
      mongoReadP99Ms: Math.round(
        percentile(
          m.samples.map((s) => s.mongoMs).filter((ms) => !Number.isNaN(ms)),
          99,
        ),
      ),
      runningEarly: earlyRunning,
      runningLate: lateRunning,
      skippedOverlap,
      missedCatchup,
      unfinishedPastInterval: unfinishedLate,
      minTenantCompletedShare: round(Math.min(...ratios), 3),
      worstTenantCompletionP99Seconds: seconds(percentile(worstTenantCompletion, 99)),
      workerCpuAvgPercent: processRows
        .filter((r) => String(r.process).startsWith('worker'))
        .map((r) => r['CPU avg %']),
      workerRssMaxMb: processRows
        .filter((r) => String(r.process).startsWith('worker'))
        .map((r) => r['RSS max MB']),
    },
  };
}
