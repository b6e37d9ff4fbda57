/**
 * Bounded retries that never drop work. Every activity call has a bounded number of attempts;
 * when an invoice's posting or a tenant's resync dispatch runs out of them, the workflow does
 * not fail (a posting workflow's id is never reused: the invoice would be stranded; the tenant
 * workflow is long-lived): it pauses on a durable timer and starts another round.
 *
 * The workflows run as they are; the activities are stand-ins that fail on demand, each attempt
 * asking to be retried after 10 ms, so a round of attempts is used up in about a second.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ResyncRequest } from '../../src/temporal/definitions';
import { installTemporalRuntimeLogging } from '../../src/temporal/runtime';
import { InvoiceIdKey, InvoiceStateKey, TenantIdKey } from '../../src/temporal/search-attributes';
import { postInvoiceWorkflow, tenantWorkflow } from '../../src/workflows';
import { resyncSignal, statusQuery } from '../../src/temporal/definitions';
import { waitFor } from '../tenants/support';

const taskQueue = `rounds-${randomBytes(4).toString('hex')}`;
const unavailable = () =>
  ApplicationFailure.create({
    type: 'XledgerUnavailable',
    message: 'Xledger is unavailable',
    nextRetryDelay: 10,
  });

/** How many calls of each stand-in fail before it succeeds. */
const failFirst = { postInvoice: 20, dispatchResync: 10 };
const calls = { validateInvoice: 0, postInvoice: 0, checkInvoiceOutcome: 0, dispatchResync: 0 };

const activities = {
  async validateInvoice() {
    calls.validateInvoice += 1;
    return { ok: true, reasons: [] };
  },
  async postInvoice() {
    calls.postInvoice += 1;
    if (calls.postInvoice <= failFirst.postInvoice) throw unavailable();
    return { lineDbIds: [1, 2], foundExisting: 0 };
  },
  async checkInvoiceOutcome() {
    calls.checkInvoiceOutcome += 1;
    return { outcome: 'posted', reasons: [] };
  },
  async dispatchResync(input: { dataTypes: string[] }) {
    calls.dispatchResync += 1;
    if (calls.dispatchResync <= failFirst.dispatchResync) throw unavailable();
    return { dispatched: input.dataTypes, ignored: [] };
  },
};

let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: inject('temporalNamespace') });
  installTemporalRuntimeLogging(); // the SDK's own lines through pino, at the tests' level
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: inject('temporalNamespace'),
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
  });
  running = worker.run();
});
afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

describe.concurrent('activities that run out of attempts', () => {
  it('an invoice shows `retrying`, waits, and is posted by the next round — once', async () => {
    const handle = await client.workflow.start(postInvoiceWorkflow, {
      taskQueue,
      workflowId: `invoice:rounds:${randomBytes(3).toString('hex')}`,
      args: [{ tenantId: 'rounds', invoiceId: 'inv-1' }],
      typedSearchAttributes: [
        { key: TenantIdKey, value: 'rounds' },
        { key: InvoiceIdKey, value: 'inv-1' },
        { key: InvoiceStateKey, value: 'pending' },
      ],
    });
    await waitFor(
      'the invoice to show retrying',
      async () => (await handle.describe()).typedSearchAttributes.get(InvoiceStateKey) === 'retrying',
      { timeoutMs: 30_000 },
    );
    // The first round used its 20 attempts; nothing more runs during the pause.
    expect(calls.postInvoice).toBe(20);
    const result = await handle.result();
    expect(result).toEqual({ state: 'posted', reasons: [] });
    expect(calls.postInvoice).toBe(21);
    expect((await handle.describe()).typedSearchAttributes.get(InvoiceStateKey)).toBe('posted');
    const { events } = await handle.fetchHistory();
    const failed = (events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.activityTaskFailedEventAttributes!.failure!.message).toMatch(/Xledger is unavailable/);
  });

  it('a tenant keeps its resync request through a failed dispatch and dispatches it in the next round', async () => {
    const handle = await client.workflow.start(tenantWorkflow, {
      taskQueue,
      workflowId: `tenant:rounds-${randomBytes(3).toString('hex')}`,
      args: [{ tenantId: 'rounds' }],
    });
    const request: ResyncRequest = { dataTypes: ['suppliers'], full: true };
    await handle.signal(resyncSignal, request);
    await waitFor(
      'the first round to fail',
      async () => {
        const status = await handle.query(statusQuery);
        return calls.dispatchResync >= 10 && status.pending.length === 1 ? status : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const status = await waitFor(
      'the request to be dispatched',
      async () => {
        const s = await handle.query(statusQuery);
        return s.recent.length === 1 ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(status.pending).toEqual([]);
    expect(status.recent[0]).toMatchObject({ dataTypes: ['suppliers'], full: true });
    expect(status.recent[0]!.dispatchedAt).not.toBeNull();
    expect(calls.dispatchResync).toBe(11);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });
});
