import { describe, expect, inject, it } from 'vitest';
import { economyScenario, defaultEconomyOptions } from '../../bench/scenarios/economy';
import { defaultInvoicesOptions, invoicesScenario } from '../../bench/scenarios/invoices';
import { defaultSyncOptions, syncScenario } from '../../bench/scenarios/sync';
import { defaultTenantsOptions, tenantsScenario } from '../../bench/scenarios/tenants';
import type { ScenarioResult } from '../../bench/support/report';
import { renderTable } from '../../bench/support/report';
import type { BenchServers } from '../../bench/support/stack';

/**
 * Each benchmark scenario (`npm run bench -- <scenario>`) at a tiny size on the run's servers,
 * so they keep working as the code changes. What they count is asserted; how long anything took
 * is not (timing goals live in bench/README.md, measured by the benchmarks themselves).
 */
const servers: BenchServers = {
  temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace') },
  mongoUri: inject('mongoUri'),
  mongoKind: 'test run',
  workflowBundlePath: inject('workflowBundlePath'),
  processes: [],
  stop: async () => undefined,
};

/** A scenario's tables render and its summary is one JSON line naming it. */
function expectPrintable(result: ScenarioResult, scenario: string): void {
  expect(result.summary.scenario).toBe(scenario);
  expect(JSON.stringify(result.summary)).not.toContain('\n');
  for (const table of result.tables) expect(renderTable(table)).toContain(table.title);
}

describe('benchmark scenarios, tiny', () => {
  it('sync: full, no-op and changed passes against the floor', async () => {
    const result = await syncScenario(servers, {
      ...defaultSyncOptions,
      suppliers: 400,
      smallSuppliers: 400,
    });
    expectPrintable(result, 'sync');
    const s = result.summary;
    expect(s.suppliers).toBe(400);
    expect(s.noopRequests).toBe(1);
    expect(s.noopWritten).toBe(0);
    // The store commands of a run are counted (a no-op pass still records its run).
    expect(s.noopStoreCommands).toBeGreaterThan(0);
    expect(s.fullStoreCommands).toBeGreaterThan(s.noopStoreCommands as number);
    console.log(`[bench smoke] store commands: full ${s.fullStoreCommands}, no-op ${s.noopStoreCommands}`);
    expect(s.changedRecords).toBeGreaterThan(0);
    expect(s.changedWritten).toBe(s.changedRecords);
    expect(s.ratio).toBeGreaterThan(0);
    expect(s.peakRssMb).toBeGreaterThan(0);
  });

  it('economy: requests per run and per month', async () => {
    const result = await economyScenario(servers, {
      ...defaultEconomyOptions,
      suppliers: 100,
      sampleInvoices: 1,
    });
    expectPrintable(result, 'economy');
    const s = result.summary as ScenarioResult['summary'] & {
      requestsPerRun: Record<string, { full: number; incremental: number }>;
      quietRequestsPerMonth: number;
      activeRequestsPerMonth: number;
      requestsPerInvoice: number;
      quietPushRequestsPerMonth: number;
      pushedTypes: string[];
      pushWatchRequests: number;
    };
    // A quiet incremental run of a data type asks Xledger once.
    for (const [, perRun] of Object.entries(s.requestsPerRun))
      expect(perRun.incremental).toBeGreaterThanOrEqual(1);
    expect(s.requestsPerRun.suppliers!.incremental).toBe(1);
    expect(s.requestsPerInvoice).toBeGreaterThanOrEqual(2);
    expect(s.activeRequestsPerMonth).toBeGreaterThan(s.quietRequestsPerMonth);
    // With push: the simulator's subscriptions cover these types; a healthy watch is one request.
    expect([...s.pushedTypes].sort()).toEqual(['dimensions', 'projects', 'suppliers']);
    expect(s.pushWatchRequests).toBe(1);
    expect(s.quietPushRequestsPerMonth).toBeLessThan(s.quietRequestsPerMonth);
  });

  it('tenants: onboarding, schedules triggered at once, lags, removal', async () => {
    const result = await tenantsScenario(servers, {
      ...defaultTenantsOptions,
      tenants: 2,
      minutes: 0.1,
      suppliers: 60,
      triggerOnce: true,
    });
    expectPrintable(result, 'tenants');
    const s = result.summary;
    expect(s.schedules).toBe(16);
    // Every triggered schedule started its run.
    expect(s.runs).toBeGreaterThanOrEqual(16);
    expect(s.startLagP99Seconds).toBeGreaterThanOrEqual(0);
    expect(s.offboardSeconds).toBeGreaterThan(0);
  });

  it('invoices: end to end against the plain loop, exactly once', async () => {
    const result = await invoicesScenario(servers, { ...defaultInvoicesOptions, invoices: 4 });
    expectPrintable(result, 'invoices');
    const s = result.summary;
    expect(s.posted).toBe(4);
    expect(s.rejected).toBe(0);
    expect(s.duplicates).toBe(0);
    expect(s.perSecond).toBeGreaterThan(0);
    expect(s.plainLoopPerSecond).toBeGreaterThan(0);
  });
});
