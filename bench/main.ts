/**
 * `npm run bench -- <scenario> [options]`: sync, economy, tenants, invoices, or all of them, on
 * the real servers (a fresh Temporal dev server and FerretDB, or MONGODB_URI's server) and the
 * in-process simulator. Each prints its tables, then one JSON line with its figures; `all`
 * prints each scenario's in turn. Progress goes to stderr. See bench/README.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { logger } from '../src/logger';
import { printResult, progress, type ScenarioResult } from './support/report';
import { startBenchServers, type BenchServers } from './support/stack';
import { defaultEconomyOptions, economyScenario } from './scenarios/economy';
import { ferretdbLimitsScenario } from './scenarios/ferretdb-limits';
import { defaultInvoicesOptions, invoicesScenario } from './scenarios/invoices';
import { defaultSyncOptions, profileDirOrTemp, syncScenario } from './scenarios/sync';
import { defaultTenantsOptions, tenantsScenario } from './scenarios/tenants';

const positiveInt = (value: string): number => {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const share = (value: string): number => {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
};
/** `--set NAME=value` (repeatable): a worker setting, one of src/config.ts's variables. */
const setting = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be NAME=value, e.g. XLEDGER_PAGE_SIZE=5000');
  return { ...previous, [match[1]!]: match[2]! };
};

async function withServers(run: (servers: BenchServers) => Promise<ScenarioResult[]>): Promise<void> {
  progress('starting the Temporal dev server and the MongoDB-wire server; bundling the workflows');
  const servers = await startBenchServers();
  try {
    for (const result of await run(servers)) printResult(result);
  } finally {
    await servers.stop();
  }
}

const program = new Command('bench')
  .description('Benchmarks of xledger-sync on the real servers and the simulator (bench/README.md)')
  .showHelpAfterError();

program
  .command('sync')
  .description('full sync of N suppliers against the raw floor, no-op and 1%-changed passes, worker RSS')
  .option('--suppliers <n>', 'suppliers in the simulator', positiveInt, defaultSyncOptions.suppliers)
  .option(
    '--small <n>',
    'the smaller size for the RSS comparison',
    positiveInt,
    defaultSyncOptions.smallSuppliers,
  )
  .option('--repeat <n>', 'rounds per size (medians reported)', positiveInt, defaultSyncOptions.repeat)
  .option(
    '--changed <share>',
    'share of records changed for the changed pass',
    share,
    defaultSyncOptions.changedShare,
  )
  .option('--profile [dir]', 'CPU-profile the worker of the first main round (summary printed)')
  .option('--set <NAME=value>', 'a worker setting (repeatable), e.g. XLEDGER_PAGE_SIZE=5000', setting, {})
  .option('--node-args <flags>', 'node/V8 flags of the worker process, e.g. "--max-old-space-size=512"')
  .option(
    '--vs <NAME=value>',
    'also measure a worker with this setting (repeatable), side by side in each round',
    setting,
  )
  .action(
    async (o: {
      suppliers: number;
      small: number;
      repeat: number;
      changed: number;
      profile?: string | true;
      set: Record<string, string>;
      nodeArgs?: string;
      vs?: Record<string, string>;
    }) => {
      const profileDir = await profileDirOrTemp(o.profile);
      await withServers(async (servers) => [
        await syncScenario(servers, {
          suppliers: o.suppliers,
          smallSuppliers: Math.min(o.small, o.suppliers),
          repeat: o.repeat,
          changedShare: o.changed,
          settings: o.set,
          ...(o.vs ? { vs: o.vs } : {}),
          ...(o.nodeArgs ? { nodeArgs: o.nodeArgs.split(/\s+/).filter(Boolean) } : {}),
          ...(profileDir ? { profileDir } : {}),
        }),
      ]);
    },
  );

program
  .command('economy')
  .description('Xledger requests and MB of one tenant over a simulated month, quiet and active')
  .option('--suppliers <n>', 'suppliers in the simulator', positiveInt, defaultEconomyOptions.suppliers)
  .option('--days <n>', 'days in the month', positiveInt, defaultEconomyOptions.days)
  .option(
    '--invoices <n>',
    'invoices posted to measure one',
    positiveInt,
    defaultEconomyOptions.sampleInvoices,
  )
  .action(async (o: { suppliers: number; days: number; invoices: number }) => {
    await withServers(async (servers) => [
      await economyScenario(servers, {
        ...defaultEconomyOptions,
        suppliers: o.suppliers,
        days: o.days,
        sampleInvoices: o.invoices,
      }),
    ]);
  });

program
  .command('tenants')
  .description('a fleet of tenants with all their schedules on one dev server and worker(s)')
  .option('--tenants <n>', 'tenants to onboard', positiveInt, defaultTenantsOptions.tenants)
  .option(
    '--minutes <n>',
    'how long the schedules run after onboarding',
    Number,
    defaultTenantsOptions.minutes,
  )
  .option('--workers <n>', 'worker processes', positiveInt, defaultTenantsOptions.workers)
  .option(
    '--concurrency <n>',
    'tenants onboarded at once',
    positiveInt,
    defaultTenantsOptions.onboardConcurrency,
  )
  .option('--trigger-once', 'also trigger every schedule once right after onboarding (all at once)')
  .option('--set <NAME=value>', 'a worker setting (repeatable)', setting, {})
  .action(
    async (o: {
      tenants: number;
      minutes: number;
      workers: number;
      concurrency: number;
      triggerOnce?: boolean;
      set: Record<string, string>;
    }) => {
      await withServers(async (servers) => [
        await tenantsScenario(servers, {
          ...defaultTenantsOptions,
          tenants: o.tenants,
          minutes: o.minutes,
          workers: o.workers,
          onboardConcurrency: o.concurrency,
          triggerOnce: o.triggerOnce === true,
          settings: o.set,
        }),
      ]);
    },
  );

program
  .command('invoices')
  .description('invoices per second end to end against a plain posting loop with the same request budget')
  .option('--invoices <n>', 'invoices per round', positiveInt, defaultInvoicesOptions.invoices)
  .option('--repeat <n>', 'rounds (medians reported)', positiveInt, defaultInvoicesOptions.repeat)
  .option('--set <NAME=value>', 'a worker setting (repeatable)', setting, {})
  .action(async (o: { invoices: number; repeat: number; set: Record<string, string> }) => {
    await withServers(async (servers) => [
      await invoicesScenario(servers, {
        ...defaultInvoicesOptions,
        invoices: o.invoices,
        repeat: o.repeat,
        settings: o.set,
      }),
    ]);
  });

program
  .command('all')
  .description('sync, economy, tenants and invoices in turn, with their defaults')
  .option(
    '--minutes <n>',
    'how long the tenants scenario lets the schedules run',
    Number,
    defaultTenantsOptions.minutes,
  )
  .option('--tenants <n>', 'tenants of the tenants scenario', positiveInt, defaultTenantsOptions.tenants)
  .action(async (o: { minutes: number; tenants: number }) => {
    await withServers(async (servers) => {
      const results: ScenarioResult[] = [];
      // Each is printed as soon as it is done: `all` takes most of an hour.
      const report = (result: ScenarioResult) => {
        printResult(result);
        results.push(result);
      };
      report(await syncScenario(servers, defaultSyncOptions));
      report(await economyScenario(servers, defaultEconomyOptions));
      report(
        await tenantsScenario(servers, { ...defaultTenantsOptions, minutes: o.minutes, tenants: o.tenants }),
      );
      report(await invoicesScenario(servers, defaultInvoicesOptions));
      return [];
    });
  });

program
  .command('ferretdb-limits')
  .description('which bulk commands FerretDB v1 finishes and which lock it up (not in `all`; ~15 min)')
  .option('--timeout <seconds>', 'per case', positiveInt, 20)
  .option('--only <substring>', 'only the cases whose name contains it')
  .action(async (o: { timeout: number; only?: string }) => {
    printResult(
      await ferretdbLimitsScenario({ timeoutSeconds: o.timeout, ...(o.only ? { only: o.only } : {}) }),
    );
  });

// The simulator logs at info; a benchmark prints only its own figures.
logger.level = process.env.LOG_LEVEL ?? 'warn';
program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
