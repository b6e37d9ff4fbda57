/**
 * invoices: invoices per second end to end — submitted through the client API, validated against
 * the synced master data, posted once behind the outbox, the one workflow per invoice and the
 * look-up before a create, and followed until Xledger has posted them — against a plain loop that
 * posts the same invoices to the simulator (one addGLImportItems each) with the same request
 * budget (XLEDGER_MAX_REQUESTS_PER_5S through the same request gate). Both in each round,
 * alternating which goes first.
 */
import pLimit from 'p-limit';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { invoiceSchema, voucherLines } from '../../src/invoices/invoice';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { linesOfOwner } from '../../src/simulator/gl-import';
import { postingSettingsOf } from '../../src/domain/tenant';
import { XledgerClient } from '../../src/xledger/client';
import { addImportLines } from '../../src/xledger/gl-import';
import { RequestGate } from '../../src/xledger/request-gate';
import { demoInvoice } from '../../test/support/invoices';
import { median, progress, round, type Row, type ScenarioResult } from '../support/report';
import { openBenchEnv, type BenchEnv, type BenchServers } from '../support/stack';
import { saveBenchTenant, syncForInvoices, waitSettled } from '../support/tenants';
import { startBenchWorker } from '../support/worker';

export interface InvoicesOptions {
  invoices: number;
  repeat: number;
  /** How many invoices the "backend" submits at once. */
  submitConcurrency: number;
  settings: Record<string, string>;
}

export const defaultInvoicesOptions: InvoicesOptions = {
  invoices: 120,
  repeat: 1,
  submitConcurrency: 8,
  settings: {},
};

const TOKEN = 'owner1';

interface RoundFigures {
  pipelineSeconds: number;
  pipelineRequests: number;
  posted: number;
  rejected: number;
  loopSeconds: number;
  loopRequests: number;
}

export async function invoicesScenario(
  servers: BenchServers,
  options: InvoicesOptions,
): Promise<ScenarioResult> {
  const sim = await startSimulator({ seed: 1, suppliers: 500 });
  const env = await openBenchEnv(servers, 'invoices', options.settings);
  const worker = await startBenchWorker(env);
  const rounds: RoundFigures[] = [];
  try {
    for (let r = 0; r < options.repeat; r++) {
      const tenantId = `invoices-${r}`;
      await saveBenchTenant(env, sim, tenantId, SEED_TOKENS[TOKEN]);
      const supplierCode = await syncForInvoices(env, tenantId);
      const invoices = (prefix: string) =>
        Array.from({ length: options.invoices }, (_, i) => demoInvoice(`${prefix}-${r}-${i}`, supplierCode));
      const pipeline = () => runPipeline(env, sim, tenantId, invoices('E2E'), options);
      const loop = () => runPlainLoop(env, sim, tenantId, invoices('LOOP'));
      if (r % 2 === 0) {
        const p = await pipeline();
        rounds.push({ ...p, ...(await loop()) });
      } else {
        const l = await loop();
        rounds.push({ ...(await pipeline()), ...l });
      }
    }
    const duplicates = linesOfOwner(sim.state, sim.glImport, SEED_ENTITIES.owner1).duplicates.length;
    return invoicesResult(options, rounds, duplicates, env);
  } finally {
    await worker.stop();
    await env.close();
    await sim.close();
  }
}

async function usage(
  sim: RunningSimulator,
  action: () => Promise<void>,
): Promise<{ seconds: number; requests: number }> {
  const before = sim.counters.get(TOKEN)?.requests ?? 0;
  const started = performance.now();
  await action();
  return {
    seconds: (performance.now() - started) / 1000,
    requests: (sim.counters.get(TOKEN)?.requests ?? 0) - before,
  };
}

async function runPipeline(
  env: BenchEnv,
  sim: RunningSimulator,
  tenantId: string,
  invoices: ReturnType<typeof demoInvoice>[],
  options: InvoicesOptions,
): Promise<Pick<RoundFigures, 'pipelineSeconds' | 'pipelineRequests' | 'posted' | 'rejected'>> {
  progress(`invoices: ${invoices.length} invoices end to end`);
  const api = await connectWithConfig(env.config);
  let settled = { posted: 0, rejected: 0 };
  try {
    const submitting = pLimit(options.submitConcurrency);
    const { seconds, requests } = await usage(sim, async () => {
      await Promise.all(invoices.map((invoice) => submitting(() => api.submitInvoice(tenantId, invoice))));
      settled = await waitSettled(env, tenantId, invoices.length, 30 * 60_000);
    });
    return { pipelineSeconds: seconds, pipelineRequests: requests, ...settled };
  } finally {
    await api.close();
  }
}

async function runPlainLoop(
  env: BenchEnv,
  sim: RunningSimulator,
  tenantId: string,
  invoices: ReturnType<typeof demoInvoice>[],
): Promise<Pick<RoundFigures, 'loopSeconds' | 'loopRequests'>> {
  progress(`invoices: the plain loop posts ${invoices.length} invoices`);
  const tenant = await env.tenants.get(tenantId);
  const client = new XledgerClient({
    endpoint: sim.graphqlUrl,
    token: SEED_TOKENS[TOKEN],
    endpointPolicy: env.config.xledger.endpointPolicy,
    requestTimeoutMs: env.config.xledger.requestTimeoutMs,
    gate: new RequestGate(env.config.xledger),
  });
  const { seconds, requests } = await usage(sim, async () => {
    for (const input of invoices) {
      await addImportLines(
        client,
        voucherLines(tenantId, invoiceSchema.parse(input), postingSettingsOf(tenant)),
        undefined,
        new Date(Date.now() + env.config.xledger.requestTimeoutMs),
      );
    }
  });
  return { loopSeconds: seconds, loopRequests: requests };
}

function invoicesResult(
  options: InvoicesOptions,
  rounds: RoundFigures[],
  duplicates: number,
  env: BenchEnv,
): ScenarioResult {
  const rows: Row[] = rounds.map((f, r) => ({
    round: r + 1,
    invoices: options.invoices,
    'end to end s': round(f.pipelineSeconds, 1),
    'end to end /s': round(options.invoices / f.pipelineSeconds),
    'requests/invoice': round(f.pipelineRequests / options.invoices, 2),
    posted: f.posted,
    rejected: f.rejected,
    'plain loop s': round(f.loopSeconds, 1),
    'plain loop /s': round(options.invoices / f.loopSeconds),
    'loop requests/invoice': round(f.loopRequests / options.invoices, 2),
    'share of loop': round(f.loopSeconds / f.pipelineSeconds),
  }));
  const rate = median(rounds.map((f) => options.invoices / f.pipelineSeconds));
  const loopRate = median(rounds.map((f) => options.invoices / f.loopSeconds));
  return {
    scenario: 'invoices',
    tables: [
      {
        title: `invoices: end to end against a plain loop, request budget ${env.config.xledger.maxRequestsPer5s} per 5 s per token`,
        rows,
      },
    ],
    summary: {
      scenario: 'invoices',
      invoices: options.invoices,
      perSecond: round(rate),
      plainLoopPerSecond: round(loopRate),
      share: round(median(rounds.map((f) => f.loopSeconds / f.pipelineSeconds))),
      requestsPerInvoice: round(median(rounds.map((f) => f.pipelineRequests / options.invoices)), 2),
      posted: rounds.reduce((sum, f) => sum + f.posted, 0),
      rejected: rounds.reduce((sum, f) => sum + f.rejected, 0),
      duplicates,
      requestBudgetPer5s: env.config.xledger.maxRequestsPer5s,
      rounds: options.repeat,
    },
  };
}
