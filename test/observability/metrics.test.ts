/**
 * The worker's /metrics as Prometheus scrapes it: a worker process with METRICS_PORT, a sync
 * scraped while it runs and after it ends, invoices posted and rejected, and events waiting for
 * delivery. Every named series must carry the value the run's own figures (or the store) give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceSchema } from '../../src/invoices/invoice';
import { submitToOutbox } from '../../src/invoices/submit';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { EVENTS_COLLECTION } from '../../src/observability/store-gauges';
import { collections } from '../../src/store/collections';
import { eventKey } from '../../src/store/events';
import { getOutboxInvoice } from '../../src/invoices/outbox';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { scrape, seriesValue, workerEndpoint } from '../support/metrics';
import { monitoringExpressions, PROMETHEUS_SERIES, selectedMetrics } from '../support/monitoring';
import { addFault, clearFaults, startSync } from '../support/sync';
import { waitFor } from '../tenants/support';

const TENANT = 'metered';
let h: Harness;
let worker: ChildWorker;
let base: string;

beforeAll(async () => {
  h = await startHarness({ seed: 4, suppliers: 120, importProcessingDelayMs: 200 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
  });
  worker = spawnWorker(h, {
    XLEDGER_ENDPOINT: h.sim.graphqlUrl,
    XLEDGER_PAGE_SIZE: '25',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  });
  base = await workerEndpoint(worker);
});

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await h?.close();
});

describe('/metrics of a worker', () => {
  it('shows a sync while it runs: Xledger requests, busy activity slots, pollers', async () => {
    // Slow pages, so the scrape surely falls inside the run; one burst refusal to wait out.
    // (The first matching fault applies: the counted refusal goes first.)
    await addFault(h, { kind: 'burstRateLimit', field: 'suppliers', count: 1 });
    await addFault(h, { kind: 'slow', field: 'suppliers', probability: 1, delayMs: 700 });
    const handle = await startSync(h, TENANT, 'suppliers', 'full');
    const during = await waitFor('a scrape with Xledger requests of the running sync', async () => {
      const text = await scrape(base);
      const ok = seriesValue(text, 'xledger_sync_xledger_requests_total', { tenant: TENANT, result: 'ok' });
      return ok !== undefined && ok >= 1 ? text : undefined;
    });
    expect(
      seriesValue(during, 'temporal_worker_task_slots_used', {
        worker_type: 'ActivityWorker',
        task_queue: h.taskQueue,
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      seriesValue(during, 'temporal_num_pollers', { poller_type: 'activity_task', task_queue: h.taskQueue }),
    ).toBeGreaterThanOrEqual(1);
    expect(during).not.toMatch(/xledger_sync_records_total\{[^}]*tenant="metered"/);

    const summary = (await handle.result()) as SyncRunSummary;
    await clearFaults(h);
    expect(summary.status).toBe('completed');
    const after = await scrape(base);
    const labels = { tenant: TENANT, data_type: 'suppliers' };
    expect(seriesValue(after, 'xledger_sync_records_total', { ...labels, outcome: 'inserted' })).toBe(
      summary.totals.inserted,
    );
    expect(seriesValue(after, 'xledger_sync_records_total', { ...labels, outcome: 'filtered_out' })).toBe(
      summary.totals.filteredOut,
    );
    expect(seriesValue(after, 'xledger_sync_records_total', { ...labels, outcome: 'unchanged' })).toBe(0);
    expect(summary.totals.inserted).toBeGreaterThan(0);
    expect(seriesValue(after, 'xledger_sync_runs_total', { ...labels, status: 'completed' })).toBe(1);
    expect(
      seriesValue(after, 'xledger_sync_run_duration_seconds_count', {
        data_type: 'suppliers',
        status: 'completed',
      }),
    ).toBe(1);
    expect(
      seriesValue(after, 'xledger_sync_run_duration_seconds_sum', {
        data_type: 'suppliers',
        status: 'completed',
      }),
    ).toBeCloseTo(summary.durationMs / 1000, 3);
    // Every request of the run, the refused one included, and every byte it received.
    const ok = seriesValue(after, 'xledger_sync_xledger_requests_total', { tenant: TENANT, result: 'ok' })!;
    const limited = seriesValue(after, 'xledger_sync_xledger_requests_total', {
      tenant: TENANT,
      result: 'rate_limited',
    });
    expect(limited).toBe(1);
    expect(ok + limited!).toBe(summary.totals.requests);
    expect(
      seriesValue(after, 'xledger_sync_xledger_bytes_total', { tenant: TENANT, direction: 'received' }),
    ).toBe(summary.totals.bytesReceived);
    expect(seriesValue(after, 'xledger_sync_xledger_rate_limit_waits_total', { tenant: TENANT })).toBe(1);
    expect(
      seriesValue(after, 'xledger_sync_xledger_rate_limit_wait_seconds_total', { tenant: TENANT }),
    ).toBeGreaterThan(0);

    // Seconds since the last complete pass: from the run just finished; accounts never ran.
    const sinceRun = (Date.now() - Date.parse(summary.finishedAt)) / 1000;
    const age = seriesValue(after, 'xledger_sync_seconds_since_last_success', labels)!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(sinceRun + 1);
    expect(
      seriesValue(after, 'xledger_sync_seconds_since_last_success', {
        tenant: TENANT,
        data_type: 'accounts',
      }),
    ).toBeGreaterThan(age);
    expect(
      seriesValue(after, 'xledger_sync_seconds_since_last_success', {
        tenant: TENANT,
        data_type: 'fixedAssets',
      }),
    ).toBeUndefined();
    // The tokens never reach a label.
    expect(after).not.toContain(SEED_TOKENS.root);
  });

  it('counts invoice outcomes by tenant', async () => {
    for (const dataType of ['accounts', 'vatCodes', 'currencies', 'dimensions']) {
      const summary = (await (await startSync(h, TENANT, dataType, 'full')).result()) as SyncRunSummary;
      expect(summary.status).toBe('completed');
    }
    const supplier = await h.store.db
      .collection('suppliers')
      .findOne({ tenantId: TENANT, visibility: 'owner' });
    const deps = { db: h.store.db, temporal: h.client, taskQueue: h.taskQueue, tenants: h.tenants };
    await submitToOutbox(deps, TENANT, invoiceSchema.parse(demoInvoice('good-1', String(supplier?.code))));
    await submitToOutbox(deps, TENANT, invoiceSchema.parse(demoInvoice('bad-1', 'NO-SUCH-SUPPLIER')));
    for (const invoiceId of ['good-1', 'bad-1']) {
      await waitFor(
        `invoice ${invoiceId} to settle`,
        async () => {
          const doc = await getOutboxInvoice(h.store.db, TENANT, invoiceId);
          return doc?.state === 'posted' || doc?.state === 'rejected';
        },
        { timeoutMs: 60_000 },
      );
    }
    const text = await waitFor('both outcomes on /metrics', async () => {
      const scraped = await scrape(base);
      return seriesValue(scraped, 'xledger_sync_invoice_outcomes_total', {
        tenant: TENANT,
        outcome: 'posted',
      })
        ? scraped
        : undefined;
    });
    expect(
      seriesValue(text, 'xledger_sync_invoice_outcomes_total', { tenant: TENANT, outcome: 'sent' }),
    ).toBe(1);
    expect(
      seriesValue(text, 'xledger_sync_invoice_outcomes_total', { tenant: TENANT, outcome: 'posted' }),
    ).toBe(1);
    expect(
      seriesValue(text, 'xledger_sync_invoice_outcomes_total', { tenant: TENANT, outcome: 'rejected' }),
    ).toBe(1);
    expect(text).not.toMatch(/good-1|bad-1/);
  });

  it('shows the events waiting for delivery', async () => {
    // The run and the invoices above published events of their own (sync.completed,
    // invoice.posted …): let their delivery settle first, so the count below is exact.
    const events = h.store.db.collection(EVENTS_COLLECTION);
    await waitFor('earlier events settled', async () =>
      (await events.countDocuments({ 'delivery.state': 'pending' })) === 0 ? true : undefined,
    );
    expect(seriesValue(await scrape(base), 'xledger_sync_events_pending', {})).toBe(0);
    const delivery = (state: string) => ({ state, attempts: 0, lastError: null, deliveredAt: null });
    // Another tenant's ids: no delivery workflow of this worker touches them.
    await events.insertMany([
      { _id: 'e1', tenantId: 'metrics-probe', seq: 1, delivery: delivery('pending') },
      { _id: 'e2', tenantId: 'metrics-probe', seq: 2, delivery: delivery('pending') },
      { _id: 'e3', tenantId: 'metrics-probe', seq: 3, delivery: delivery('delivered') },
    ] as never[]);
    expect(seriesValue(await scrape(base), 'xledger_sync_events_pending', {})).toBe(2);
  });

  it("shows each tenant's oldest event waiting for delivery, by its age", async () => {
    const tenant = 'age-probe';
    const hour = 3600_000;
    const event = (seq: number, state: string, ageMs: number) => ({
      _id: eventKey(tenant, seq),
      id: `probe:${seq}`,
      tenantId: tenant,
      seq,
      recordedAt: new Date(Date.now() - ageMs),
      delivery: { state, attempts: 1, lastError: null, lastAttemptAt: null, deliveredAt: null },
    });
    // Delivery has passed seq 1; seq 2 went (its cursor had not moved yet); seq 3 waits, 2 h old.
    await h.store.db
      .collection(EVENTS_COLLECTION)
      .insertMany([
        event(1, 'delivered', 5 * hour),
        event(2, 'delivered', 3 * hour),
        event(3, 'pending', 2 * hour),
        event(4, 'pending', hour),
      ] as never[]);
    await h.store.db
      .collection(collections.eventSequences)
      .insertOne({ _id: tenant, tenantId: tenant, seq: 4, delivered: 1 } as never);
    const age = seriesValue(await scrape(base), 'xledger_sync_oldest_undelivered_event_age_seconds', {
      tenant,
    });
    expect(age).toBeGreaterThanOrEqual(2 * 3600);
    expect(age).toBeLessThan(2 * 3600 + 600);
    // Over the alert's threshold (deploy/monitoring: an hour); a tenant without a waiting event has no series.
    expect(
      seriesValue(await scrape(base), 'xledger_sync_oldest_undelivered_event_age_seconds', {
        tenant: TENANT,
      }),
    ).toBeUndefined();
  });

  it("has every series deploy/monitoring's alerts and dashboard select", async () => {
    // After the tests above (a sync ran activities, so the SDK's latency histogram is there too).
    // A family is on the page from its `# TYPE` line on, before its first sample (a counter with
    // labels has none until something happened); a histogram's series are its `_bucket`, `_sum`
    // and `_count`.
    const exported = new Set<string>();
    for (const line of (await scrape(base)).split('\n')) {
      const declared = /^# TYPE (\S+) (\w+)$/.exec(line);
      if (declared) {
        const [, name, kind] = declared;
        const series = kind === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
        for (const suffix of series) exported.add(`${name}${suffix}`);
      } else if (line && !line.startsWith('#')) exported.add(/^[a-zA-Z_:][\w:]*/.exec(line)![0]);
    }
    const missing = monitoringExpressions().flatMap(({ where, promql }) =>
      selectedMetrics(promql)
        .filter((name) => !PROMETHEUS_SERIES.has(name) && !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    // The check is not empty: the rules and the dashboard name a dozen series or more.
    expect(
      new Set(monitoringExpressions().flatMap(({ promql }) => selectedMetrics(promql))).size,
    ).toBeGreaterThan(10);
  });
});
