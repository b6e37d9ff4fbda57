/**
 * sync: a full sync of N suppliers through Temporal against the raw floor (bench/support/floor.ts),
 * both measured in each round, alternating which goes first; then a no-op incremental pass and
 * one with a share of the owner's records changed; and the worker's peak RSS per data-set size.
 * With `vs`, a second worker configuration is measured in the same rounds, side by side.
 */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDatabase } from '../../src/devstack/mongo-uri';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { summariseCpuProfile } from '../support/cpu-profile';
import { commandsSoFar, summariseMongoCommands } from '../support/mongo-profile';
import { floorInProcess, type FloorFigures } from '../support/floor';
import { median, progress, round, type Row, type ScenarioResult, type Table } from '../support/report';
import { runSync, writtenBy, type TimedRun } from '../support/runs';
import { openBenchEnv, type BenchServers } from '../support/stack';
import { startBenchWorker } from '../support/worker';

export interface SyncOptions {
  /** Suppliers in the simulator for the main measurement (default 100,000). */
  suppliers: number;
  /** A smaller size whose peak RSS is compared with the main one's (default 10,000). */
  smallSuppliers: number;
  /** Rounds per size (floor and sync side by side in each); medians are reported. */
  repeat: number;
  /** Share of the owner's records changed before the second incremental pass (default 0.01). */
  changedShare: number;
  /** Take a CPU profile of the worker in the first round of the main size, into this directory. */
  profileDir?: string;
  /** Worker settings (config variables), e.g. { XLEDGER_PAGE_SIZE: '5000' }. */
  settings: Record<string, string>;
  /** Node/V8 flags of the worker process. */
  nodeArgs?: string[];
  /** A second worker configuration (settings on top of `settings`), measured in the same rounds. */
  vs?: Record<string, string>;
}

export const defaultSyncOptions: SyncOptions = {
  suppliers: 100_000,
  smallSuppliers: 10_000,
  repeat: 1,
  changedShare: 0.01,
  settings: {},
};

const TENANT = 'bench';
/** No-op passes per round; the median is reported. */
const NOOP_RUNS = 3;
const OWNER = SEED_ENTITIES.owner1;

interface SyncFigures {
  full: TimedRun;
  fullRequests: number;
  /** MongoDB commands the worker sent for the pass (also below for no-op and changed). */
  fullCommands: number;
  noopCommands: number;
  changedCommands: number;
  noop: TimedRun;
  noopRequests: number;
  /** The most any no-op pass wrote. */
  noopWrites: number;
  changed: TimedRun;
  changedRequests: number;
  changedRecords: number;
  baseRssMb: number;
  peakRssMb: number;
  workerCpuSeconds: number;
  profile?: string;
  mongoProfile?: string;
}

interface RoundFigures {
  size: number;
  fetchOnly: FloorFigures;
  floor: FloorFigures;
  /** The floor with the sync's secondary indexes: what their upkeep costs. */
  floorIndexed: FloorFigures;
  /** By variant: 'main', and 'vs' when compared. */
  sync: Record<string, SyncFigures>;
}

export async function syncScenario(servers: BenchServers, options: SyncOptions): Promise<ScenarioResult> {
  const sizes = [...new Set([options.smallSuppliers, options.suppliers])].sort((a, b) => a - b);
  const rounds: RoundFigures[] = [];
  for (const size of sizes) {
    progress(`sync: starting the simulator with ${size} suppliers`);
    const sim = await startSimulator({ seed: 1, suppliers: size });
    try {
      for (let r = 0; r < options.repeat; r++) {
        const profile = options.profileDir && size === options.suppliers && r === 0;
        rounds.push(
          await syncRound(servers, sim, size, r, options, profile ? options.profileDir : undefined),
        );
      }
    } finally {
      await sim.close();
    }
  }
  return syncResult(options, rounds, servers);
}

async function syncRound(
  servers: BenchServers,
  sim: RunningSimulator,
  size: number,
  r: number,
  options: SyncOptions,
  profileDir: string | undefined,
): Promise<RoundFigures> {
  const pageSize = Number(options.settings.XLEDGER_PAGE_SIZE ?? 10_000);
  const loop = (mongo?: { indexes: boolean }) => {
    const dbName = `bench_floor_${size}_${r}_${Date.now().toString(36)}`;
    return floorInProcess({
      graphqlUrl: sim.graphqlUrl,
      token: SEED_TOKENS.root,
      entities: [OWNER, ...sim.state.childrenOf(OWNER)],
      pageSize,
      tenantId: TENANT,
      ...(mongo
        ? { mongo: { uri: withDatabase(servers.mongoUri, dbName), dbName, indexes: mongo.indexes } }
        : {}),
    });
  };
  const steps: Array<() => Promise<void>> = [];
  const figures: Partial<RoundFigures> & { sync: Record<string, SyncFigures> } = { size, sync: {} };
  steps.push(async () => {
    figures.fetchOnly = await loop();
    figures.floor = await loop({ indexes: false });
    figures.floorIndexed = await loop({ indexes: true });
  });
  const variants: Array<[string, Record<string, string>]> = [['main', options.settings]];
  if (options.vs) variants.push(['vs', { ...options.settings, ...options.vs }]);
  for (const [variant, settings] of variants) {
    steps.push(async () => {
      figures.sync[variant] = await measureSync(
        servers,
        sim,
        size,
        r,
        variant,
        settings,
        options,
        profileDir,
      );
    });
  }
  // Rotate the order each round, so that a drift of the shared machine favours no side.
  for (let i = 0; i < steps.length; i++) await steps[(i + r) % steps.length]!();
  return figures as RoundFigures;
}

async function measureSync(
  servers: BenchServers,
  sim: RunningSimulator,
  size: number,
  r: number,
  variant: string,
  settings: Record<string, string>,
  options: SyncOptions,
  profileDir: string | undefined,
): Promise<SyncFigures> {
  const env = await openBenchEnv(servers, `sync_${size}_${r}_${variant}`, settings);
  try {
    await env.tenants.save(
      tenantConfigSchema.parse({
        tenantId: TENANT,
        xledger: { endpoint: sim.graphqlUrl, token: SEED_TOKENS.root },
        entityOwnerDbId: OWNER,
      }),
    );
    const dir = profileDir && variant === 'main' ? await mkdtemp(join(profileDir, 'worker-')) : undefined;
    // The worker always counts its MongoDB commands; the profile table is printed with --profile.
    const commandsFile = join(dir ?? (await mkdtemp(join(tmpdir(), 'bench-commands-'))), 'mongo.json');
    const worker = await startBenchWorker(env, {
      env: { BENCH_MONGO_PROFILE: commandsFile },
      ...(dir ? { cpuProfileDir: dir } : {}),
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    });
    try {
      const baseRssMb = worker.memory().rssMb;
      const requests = async (run: () => Promise<TimedRun>) => {
        sim.counters.reset();
        const commandsBefore = await commandsSoFar(worker.pid, commandsFile);
        const timed = await run();
        const commands = (await commandsSoFar(worker.pid, commandsFile)) - commandsBefore;
        return { timed, requests: sim.counters.get('root')?.requests ?? 0, commands };
      };
      const label = `sync ${size} round ${r + 1}${variant === 'main' ? '' : ` (${variant})`}`;
      progress(`${label}: full pass`);
      const full = await requests(() => runSync(env, TENANT, 'suppliers', 'full'));
      progress(`${label}: full ${full.timed.seconds.toFixed(1)} s; no-op and changed passes`);
      // Three no-op passes, the median reported: a single one of about 0.3 s moves by half with
      // what the machine does meanwhile (the simulator collecting the full pass's garbage).
      const noops = [];
      for (let i = 0; i < NOOP_RUNS; i++) {
        noops.push(await requests(() => runSync(env, TENANT, 'suppliers', 'incremental')));
      }
      const noop = noops.sort((a, b) => a.timed.seconds - b.timed.seconds)[Math.floor(NOOP_RUNS / 2)]!;
      const noopWrites = Math.max(...noops.map((n) => writtenBy(n.timed.summary)));
      const noopRequests = Math.max(...noops.map((n) => n.requests));
      const noopCommands = Math.max(...noops.map((n) => n.commands));
      const changedRecords = changeShare(sim, options.changedShare, `round ${r} ${variant}`);
      const changed = await requests(() => runSync(env, TENANT, 'suppliers', 'incremental'));
      const memory = worker.memory();
      const workerCpuSeconds = worker.cpuSeconds();
      await worker.stop();
      const profile = dir ? (await readdir(dir)).find((f) => f.endsWith('.cpuprofile')) : undefined;
      return {
        full: full.timed,
        fullRequests: full.requests,
        fullCommands: full.commands,
        noopCommands,
        changedCommands: changed.commands,
        noop: noop.timed,
        noopRequests,
        noopWrites,
        changed: changed.timed,
        changedRequests: changed.requests,
        changedRecords,
        baseRssMb,
        peakRssMb: memory.peakRssMb,
        workerCpuSeconds,
        ...(profile && dir ? { profile: join(dir, profile), mongoProfile: join(dir, 'mongo.json') } : {}),
      };
    } finally {
      await worker.stop();
    }
  } finally {
    await env.close();
  }
}

/** Changes `share` of the owner's suppliers in the simulator (moves their modifiedAt); returns how many. */
function changeShare(sim: RunningSimulator, share: number, label: string): number {
  const owned = sim.state.truth(OWNER, 'suppliers');
  const every = Math.max(1, Math.round(1 / share));
  let changed = 0;
  for (let i = 0; i < owned.length; i += every) {
    sim.state.patchRecord('suppliers', owned[i]!.dbId, { description: `changed in ${label} #${i}` });
    changed += 1;
  }
  return changed;
}

async function syncResult(
  options: SyncOptions,
  rounds: RoundFigures[],
  servers: BenchServers,
): Promise<ScenarioResult> {
  const variants = options.vs ? ['main', 'vs'] : ['main'];
  const variantName = (variant: string) =>
    variant === 'main'
      ? 'as configured'
      : Object.entries(options.vs ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
  const rows: Row[] = rounds.flatMap((f, index) =>
    variants.map((variant) => {
      const s = f.sync[variant]!;
      return {
        round: index + 1,
        suppliers: f.size,
        ...(options.vs ? { worker: variantName(variant) } : {}),
        'fetch only s': round(f.fetchOnly.seconds, 1),
        'floor s': round(f.floor.seconds, 1),
        'floor+indexes s': round(f.floorIndexed.seconds, 1),
        'full s': round(s.full.seconds, 1),
        ratio: round(s.full.seconds / f.floor.seconds),
        'no-op s': round(s.noop.seconds, 2),
        'no-op %': round((100 * s.noop.seconds) / s.full.seconds, 1),
        [`${options.changedShare * 100}% changed s`]: round(s.changed.seconds, 2),
        'worker base MB': Math.round(s.baseRssMb),
        'worker peak MB': Math.round(s.peakRssMb),
        'worker CPU s': round(s.workerCpuSeconds, 1),
      };
    }),
  );
  const passes: Row[] = rounds.flatMap((f) =>
    variants.flatMap((variant) => {
      const s = f.sync[variant]!;
      return (
        [
          ['full', s.full, s.fullRequests, s.fullCommands],
          ['no-op incremental', s.noop, s.noopRequests, s.noopCommands],
          [`${s.changedRecords} changed`, s.changed, s.changedRequests, s.changedCommands],
        ] as const
      ).map(([pass, run, requests, commands]) => ({
        suppliers: f.size,
        ...(options.vs ? { worker: variantName(variant) } : {}),
        pass,
        seconds: round(run.seconds, 2),
        fetched: run.summary.totals.fetched,
        kept: run.summary.totals.kept,
        written: writtenBy(run.summary),
        unchanged: run.summary.totals.unchanged,
        requests,
        'store commands': commands,
        'MB down': round(run.summary.totals.bytesReceived / 1e6, 1),
      }));
    }),
  );
  const tables: Table[] = [
    { title: `sync: full sync against the raw floor (MongoDB: ${servers.mongoKind})`, rows },
    { title: 'sync: passes', rows: passes },
  ];
  for (const f of rounds) {
    const profile = f.sync.main?.profile;
    if (!profile) continue;
    const summary = await summariseCpuProfile(profile);
    tables.push(
      {
        title: `worker CPU profile, ${f.size} suppliers (${profile}): self time by file`,
        rows: summary.files,
      },
      { title: 'worker CPU profile: functions with the most self time', rows: summary.functions },
    );
    const mongoProfile = f.sync.main?.mongoProfile;
    if (mongoProfile) {
      tables.push({
        title: `worker MongoDB commands, ${f.size} suppliers (full, no-op and changed passes): time waited`,
        rows: await summariseMongoCommands(mongoProfile),
      });
    }
  }
  const summaryOf = (variant: string) => {
    const main = rounds.filter((f) => f.size === options.suppliers);
    const small = rounds.filter((f) => f.size === options.smallSuppliers);
    const of = (f: RoundFigures) => f.sync[variant]!;
    const peak = median(main.map((f) => of(f).peakRssMb));
    return {
      fullSeconds: round(median(main.map((f) => of(f).full.seconds))),
      noopSeconds: round(median(main.map((f) => of(f).noop.seconds))),
      floorSeconds: round(median(main.map((f) => f.floor.seconds))),
      ratio: round(median(main.map((f) => of(f).full.seconds / f.floor.seconds))),
      peakRssMb: Math.round(peak),
      fetchOnlySeconds: round(median(main.map((f) => f.fetchOnly.seconds))),
      floorIndexedSeconds: round(median(main.map((f) => f.floorIndexed.seconds))),
      noopShare: round(median(main.map((f) => of(f).noop.seconds / of(f).full.seconds)), 3),
      noopRequests: Math.max(...main.map((f) => of(f).noopRequests)),
      fullStoreCommands: Math.max(...main.map((f) => of(f).fullCommands)),
      noopStoreCommands: Math.max(...main.map((f) => of(f).noopCommands)),
      noopWritten: Math.max(...main.map((f) => of(f).noopWrites)),
      changedRecords: main[0] ? of(main[0]).changedRecords : 0,
      changedWritten: Math.max(...main.map((f) => writtenBy(of(f).changed.summary))),
      changedSeconds: round(median(main.map((f) => of(f).changed.seconds))),
      smallSuppliers: options.smallSuppliers,
      smallPeakRssMb: Math.round(median(small.map((f) => of(f).peakRssMb))),
      rssGrowthMb: Math.round(peak - median(small.map((f) => of(f).peakRssMb))),
    };
  };
  return {
    scenario: 'sync',
    tables,
    summary: {
      scenario: 'sync',
      suppliers: options.suppliers,
      ...summaryOf('main'),
      rounds: options.repeat,
      ...(options.vs ? { vs: { settings: options.vs, ...summaryOf('vs') } } : {}),
    },
  };
}

export async function profileDirOrTemp(dir: string | true | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  if (dir === true) return mkdtemp(join(tmpdir(), 'xledger-bench-profile-'));
  await mkdir(dir, { recursive: true });
  return dir;
}
