import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { customSearchAttributes } from '../../src/temporal/search-attributes';
import { runCliCaptured, type CliResult } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { cliEnv, waitFor } from '../tenants/support';

/**
 * `xledger-sync doctor` against the run's real servers: every line ok with a worker up, a
 * namespace without the search attributes (reported, then created by --fix), Temporal
 * unreachable (its line fails, the command ends with 1), bad arguments (2, nothing contacted).
 */
let h: Harness;
let receiver: WebhookReceiver;
let env: NodeJS.ProcessEnv;
const suffix = randomBytes(3).toString('hex');

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ seed: 2, suppliers: 5 });
  await h.startWorker();
  env = { ...cliEnv(h), WEBHOOK_INSECURE_HOSTS: '127.0.0.1' };
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const doctor = (environment: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> =>
  runCliCaptured(['doctor', '--json', ...args], { env: environment });

interface Report {
  ok: boolean;
  checks: Array<{ check: string; ok: boolean; detail: string }>;
}
const report = (result: CliResult) => JSON.parse(result.stdout) as Report;
const lineOf = (result: CliResult, check: string) => report(result).checks.find((c) => c.check === check)!;

describe('xledger-sync doctor', () => {
  it('reports every check ok against the test servers, with a worker up and a reachable webhook', async () => {
    const tenantId = `doc-${suffix}`;
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      webhook: { url: receiver.url('/doctor'), secret: `whsec_${randomBytes(32).toString('base64')}` },
    });
    // The worker shows among the pollers once it has polled.
    const result = await waitFor('the worker on the task queue', async () => {
      const r = await doctor(env, '--tenant', tenantId);
      return /worker\(s\)/.test(lineOf(r, 'workers').detail) ? r : undefined;
    });
    expect(result.code).toBe(0);
    expect(report(result).checks.map((c) => [c.check, c.ok])).toEqual([
      ['configuration', true],
      ['mongodb', true],
      ['temporal', true],
      ['search attributes', true],
      ['workers', true],
      ['webhook', true],
    ]);
    expect(lineOf(result, 'workers').detail).toMatch(/compatible with this client/);
    expect(lineOf(result, 'webhook').detail).toMatch(/accepts connections/);
    // No request reached the receiver's handler: the probe only connects.
    expect(receiver.requests('/doctor')).toEqual([]);
    // The table form: one line per check.
    const text = await runCliCaptured(['doctor'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(text.stdout).toMatch(/^ok {4}configuration/);
  });

  it('reports missing search attributes on a namespace without them, and --fix creates them', async () => {
    const namespace = `doctor-${suffix}`;
    const connection = await Connection.connect({ address: h.config.temporal.address });
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
    } finally {
      await connection.close();
    }
    const fresh = { ...env, TEMPORAL_NAMESPACE: namespace };
    // A new namespace is served once the server's namespace cache has it.
    const missing = await waitFor('the new namespace served', async () => {
      const r = await doctor(fresh);
      return lineOf(r, 'temporal').ok ? r : undefined;
    });
    expect(missing.code).toBe(1);
    const line = lineOf(missing, 'search attributes');
    expect(line.ok).toBe(false);
    for (const { name } of customSearchAttributes) expect(line.detail).toContain(name);
    expect(line.detail).toMatch(/--fix adds them/);

    const fixed = await doctor(fresh, '--fix');
    expect(lineOf(fixed, 'search attributes')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^added/),
    });
    // No worker polls the new namespace: allowed, and said.
    expect(lineOf(fixed, 'workers')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/no worker polls/),
    });
    expect(fixed.code).toBe(0);
    const after = await waitFor('the attributes listed', async () => {
      const r = await doctor(fresh);
      return r.code === 0 ? r : undefined;
    });
    expect(lineOf(after, 'search attributes').detail).toMatch(/all registered/);
  });

  it('fails the Temporal line when Temporal is unreachable, and exits 1', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await doctor({
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
      TEMPORAL_TIMEOUT_MS: '2000',
    });
    expect(result.code).toBe(1);
    expect(lineOf(result, 'mongodb').ok).toBe(true);
    expect(lineOf(result, 'temporal')).toMatchObject({ ok: false });
    expect(lineOf(result, 'temporal').detail).toContain(`127.0.0.1:${closed}`);
    expect(lineOf(result, 'search attributes').detail).toMatch(/not checked: Temporal is not reachable/);
    expect(lineOf(result, 'workers').ok).toBe(false);
  });

  it('fails the configuration line on a bad environment, and exits 2 on bad arguments', async () => {
    const bad = await doctor({ ...env, TOKEN_ENCRYPTION_KEY: 'short', TEMPORAL_TIMEOUT_MS: 'soon' });
    expect(bad.code).toBe(1);
    expect(lineOf(bad, 'configuration').ok).toBe(false);
    expect(lineOf(bad, 'configuration').detail).toMatch(/TEMPORAL_TIMEOUT_MS/);
    const args = await runCliCaptured(['doctor', '--tenant', 'ACME!'], { env });
    expect(args.code).toBe(2);
    expect(args.stdout).toBe('');
  });
});
