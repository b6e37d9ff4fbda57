/**
 * /healthz and /readyz of a worker process, as a kubelet probes them, while its MongoDB-wire
 * server (a FerretDB of this test's own) stops and comes back: the worker turns unready — and
 * stays alive — while the store is gone, and ready again when it returns, without a restart.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMongoServer, type RunningMongo } from '../../src/devstack/mongo-server';
import { getFreePorts } from '../../src/devstack/ports';
import { resolveMongoServer } from '../../src/devstack/tools';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { probe, workerEndpoint } from '../support/metrics';
import { waitFor } from '../tenants/support';

const run = promisify(execFile);
let dir: string;
let mongo: RunningMongo;
let startMongo: () => Promise<RunningMongo>;
let h: Harness;
let worker: ChildWorker;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xledger-sync-health-'));
  const source = await resolveMongoServer({ env: { ...process.env, MONGODB_URI: '' } });
  if (source.kind === 'external') throw new Error('expected a FerretDB or mongod binary');
  const [port] = await getFreePorts(1);
  startMongo = () =>
    startMongoServer({ kind: source.kind, bin: source.bin, port: port!, dataDir: join(dir, 'db') });
  [mongo, h] = await Promise.all([startMongo(), startHarness()]);
  worker = spawnWorker(h, {
    MONGODB_URI: mongo.uri,
    MONGODB_DB: 'health_test',
    // A worker whose store is gone waits for it this long per request before an activity fails.
    MONGODB_TIMEOUT_MS: '5000',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  });
  base = await workerEndpoint(worker);
}, 180_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await h?.close();
  await mongo?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ready = async () => (await probe(base, '/readyz')).status === 200;

describe('/healthz and /readyz', () => {
  it('are alive and ready once the worker polls', async () => {
    expect((await probe(base, '/healthz')).status).toBe(200);
    await waitFor('the worker to be ready', ready, { timeoutMs: 60_000 });
    expect((await probe(base, '/readyz')).body).toEqual({
      ready: true,
      checks: { temporal: 'ok', mongodb: 'ok', worker: 'ok' },
    });
  });

  it('turn unready while MongoDB is stopped, stay alive, and ready again when it returns', async () => {
    await mongo.stop();
    const unready = await waitFor(
      '/readyz to turn unready',
      async () => {
        const answer = await probe(base, '/readyz');
        return answer.status === 503 ? answer.body : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(unready.ready).toBe(false);
    const checks = unready.checks as Record<string, string>;
    expect(checks.mongodb).not.toBe('ok');
    expect(checks.temporal).toBe('ok');
    expect(checks.worker).toBe('ok');
    // Never the server's address or URI in the answer.
    expect(JSON.stringify(unready)).not.toMatch(/127\.0\.0\.1|mongodb:\/\//);
    expect((await probe(base, '/healthz')).status).toBe(200);

    mongo = await startMongo();
    await waitFor('/readyz to be ready again', ready, { timeoutMs: 90_000 });
    expect((await probe(base, '/readyz')).body).toMatchObject({ ready: true });
  });

  it("back the image's HEALTHCHECK: its command passes against the worker, and fails without one", async () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const command = JSON.parse(
      /^\s+CMD (\[.*\])$/m.exec(dockerfile.split('HEALTHCHECK')[1]!)![1]!,
    ) as string[];
    expect(command[0]).toBe('node');
    const runCheck = (port: string) =>
      run(process.execPath, command.slice(1), { env: { METRICS_PORT: port }, timeout: 10_000 }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    expect(await runCheck(new URL(base).port)).toBe(0);
    const [unused] = await getFreePorts(1);
    expect(await runCheck(String(unused))).toBe(1);
  });

  it('drain on SIGTERM and exit 0', async () => {
    expect(await worker.kill('SIGTERM'), worker.output()).toBe(0);
    expect(worker.output()).toContain('"msg":"worker stopped"');
  });
});
