/**
 * Tracing as an operator turns it on: a worker process with OTEL_EXPORTER_OTLP_ENDPOINT set sends
 * its spans over OTLP/HTTP to a collector (here a tiny receiver of the test's own), the workflow's
 * and its activities' spans share one trace, and the worker's log lines inside an activity name
 * it. Without the variable the same worker exports nothing and says nothing about it.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { startSync } from '../support/sync';
import { waitFor } from '../tenants/support';

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  service: string;
  attributes: unknown;
}

let h: Harness;
let collector: Server;
let endpoint: string;
const spans: ReceivedSpan[] = [];
let exports = 0;
const workers: ChildWorker[] = [];

/** The OTLP/HTTP JSON encoding: resourceSpans → scopeSpans → spans. */
function collect(body: string): void {
  const payload = JSON.parse(body) as {
    resourceSpans: Array<{
      resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
      scopeSpans: Array<{
        spans: Array<{ name: string; traceId: string; spanId: string; attributes: unknown }>;
      }>;
    }>;
  };
  for (const { resource, scopeSpans } of payload.resourceSpans) {
    const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const scope of scopeSpans) {
      for (const span of scope.spans) spans.push({ ...span, service });
    }
  }
}

beforeAll(async () => {
  h = await startHarness({ seed: 8, suppliers: 40 });
  await h.saveTenant({
    tenantId: 'traced',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      exports += 1;
      if (request.url === '/v1/traces' && request.headers['content-type']?.includes('json')) collect(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await h?.close();
  await new Promise((resolve) => collector?.close(resolve));
});

function worker(env: Record<string, string>): ChildWorker {
  const child = spawnWorker(h, { XLEDGER_ENDPOINT: h.sim.graphqlUrl, LOG_LEVEL: 'info', ...env });
  workers.push(child);
  return child;
}

describe('tracing', () => {
  it('with OTEL_EXPORTER_OTLP_ENDPOINT: one trace per run, exported over OTLP, its id in the log lines', async () => {
    const traced = worker({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    const summary = (await (await startSync(h, 'traced', 'suppliers', 'full')).result()) as SyncRunSummary;
    expect(summary.status).toBe('completed');
    const run = await waitFor(
      'the run’s spans at the collector',
      () => {
        const workflow = spans.find((s) => s.name === 'RunWorkflow:syncDataTypeWorkflow');
        const activity = spans.find((s) => s.name === 'RunActivity:syncStreams');
        return workflow && activity && spans.some((s) => s.name === 'RunActivity:recordRun')
          ? { workflow, activity }
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    // The workflow, its activity schedules and the activities' runs: one trace.
    expect(run.activity.traceId).toBe(run.workflow.traceId);
    expect(spans.filter((s) => s.name === 'StartActivity:syncStreams').map((s) => s.traceId)).toContain(
      run.workflow.traceId,
    );
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['xledger-sync-worker']));
    // The pass's own log line names its trace and span.
    const passLine = traced
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"pass complete"'));
    expect(passLine, traced.output()).toBeDefined();
    expect(JSON.parse(passLine!)).toMatchObject({
      trace_id: run.activity.traceId,
      span_id: run.activity.spanId,
    });
    expect(JSON.stringify(spans)).not.toContain(SEED_TOKENS.root);
    expect(await traced.kill('SIGTERM'), traced.output()).toBe(0);
  });

  it('without it: the worker runs the same sync, exports nothing and logs no error', async () => {
    const before = exports;
    const plain = worker({});
    const summary = (await (await startSync(h, 'traced', 'suppliers', 'full')).result()) as SyncRunSummary;
    expect(summary.status).toBe('completed');
    expect(await plain.kill('SIGTERM'), plain.output()).toBe(0);
    expect(exports).toBe(before);
    const lines = plain
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; trace_id?: string; msg: string });
    expect(lines.some((line) => line.msg === 'pass complete')).toBe(true);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(lines.filter((line) => line.trace_id !== undefined)).toEqual([]);
  });
});
