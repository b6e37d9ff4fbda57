/**
 * A Temporal dev server or a MongoDB-wire server of a test's own, on free ports in a temp dir,
 * that the test can stop and start again on the same data (Temporal's SQLite file, FerretDB's
 * SQLite directory) — an outage as an operator would see one — and whose every workflow
 * history belongs to that test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMongoServer } from '../../src/devstack/mongo-server';
import { getFreePorts } from '../../src/devstack/ports';
import { startTemporalServer } from '../../src/devstack/temporal-server';
import { resolveMongoServer, resolveTemporalCli } from '../../src/devstack/tools';

export interface OwnServer {
  /** Stops the server; its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

export interface OwnTemporal extends OwnServer {
  address: string;
  namespace: string;
}

export interface OwnMongo extends OwnServer {
  /** mongodb://127.0.0.1:<port>/?directConnection=true */
  uri: string;
}

export async function startOwnTemporal(label = 'temporal'): Promise<OwnTemporal> {
  const dir = await mkdtemp(join(tmpdir(), `xledger-sync-${label}-`));
  const [port, uiPort, httpPort, metricsPort] = await getFreePorts(4);
  const bin = await resolveTemporalCli();
  const launch = () =>
    startTemporalServer({
      bin,
      ports: { port: port!, uiPort: uiPort!, httpPort: httpPort!, metricsPort: metricsPort! },
      dbFile: join(dir, 'temporal.sqlite'),
      headless: true,
      logFile: join(dir, 'temporal.log'),
    });
  const { first, ...control } = await restartable(launch, dir);
  return { address: first.address, namespace: first.namespace, ...control };
}

/** FerretDB (or mongod where it is installed), never the run's external MONGODB_URI: it must be restartable. */
export async function startOwnMongo(label = 'mongo'): Promise<OwnMongo> {
  const dir = await mkdtemp(join(tmpdir(), `xledger-sync-${label}-`));
  const [port] = await getFreePorts(1);
  const { MONGODB_URI: _external, ...env } = process.env;
  const source = await resolveMongoServer({ env });
  if (source.kind === 'external') throw new Error('unreachable: MONGODB_URI was removed');
  const launch = () =>
    startMongoServer({
      kind: source.kind,
      bin: source.bin,
      port: port!,
      dataDir: join(dir, 'data'),
      logFile: join(dir, `${source.kind}.log`),
    });
  const { first, ...control } = await restartable(launch, dir);
  return { uri: first.uri, ...control };
}

/** A server the test can stop and start again on the same files and port; close() also removes them. */
async function restartable<T extends { stop(): Promise<void> }>(launch: () => Promise<T>, dir: string) {
  let running: T | undefined = await launch();
  return {
    first: running,
    async stop() {
      await running?.stop();
      running = undefined;
    },
    async start() {
      running ??= await launch();
    },
    async close() {
      await running?.stop();
      running = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
