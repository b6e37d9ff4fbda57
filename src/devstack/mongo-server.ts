import fs from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { ManagedProcess } from './managed-process';
import { LOCALHOST } from './ports';

export interface MongoServerOptions {
  kind: 'ferretdb' | 'mongod';
  bin: string;
  port: number;
  /** Data directory (created): FerretDB's SQLite files and state, or mongod's dbpath. */
  dataDir: string;
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface RunningMongo {
  uri: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** True when a MongoDB-wire server answers `ping` at `uri`. */
export async function pingMongo(uri: string, timeoutMs = 2000): Promise<boolean> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
    const res = await client.db('admin').command({ ping: 1 });
    return res.ok === 1;
  } finally {
    await client.close();
  }
}

/** Throws a clear message when the server at MONGODB_URI does not answer. */
export async function assertMongoReachable(uri: string, timeoutMs = 5000): Promise<void> {
  try {
    await pingMongo(uri, timeoutMs);
  } catch (err) {
    throw new Error(
      `MONGODB_URI is set but no MongoDB-wire server answered ping within ${timeoutMs} ms ` +
        `(${(err as Error).message}). Start that server, or unset MONGODB_URI to have one started.`,
      { cause: err },
    );
  }
}

function argsFor(opts: MongoServerOptions): string[] {
  if (opts.kind === 'ferretdb') {
    return [
      '--handler=sqlite',
      // WAL with synchronous=NORMAL: a commit waits for no fsync, so the dev/test store writes
      // about 1.6 times as fast; a process crash loses nothing, a power cut only the last
      // commits. (FerretDB adds busy_timeout and WAL itself.)
      `--sqlite-url=file:${opts.dataDir}/?_pragma=synchronous(normal)`,
      `--listen-addr=${LOCALHOST}:${opts.port}`,
      `--state-dir=${opts.dataDir}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ];
  }
  return ['--dbpath', opts.dataDir, '--port', String(opts.port), '--bind_ip', LOCALHOST, '--quiet'];
}

export async function startMongoServer(opts: MongoServerOptions): Promise<RunningMongo> {
  await fs.mkdir(opts.dataDir, { recursive: true });
  const uri = `mongodb://${LOCALHOST}:${opts.port}/?directConnection=true`;
  const proc = ManagedProcess.start({
    name: opts.kind,
    command: opts.bin,
    args: argsFor(opts),
    logFile: opts.logFile,
    // FerretDB reads FERRETDB_* variables; keep a stray one from changing the flags above.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERRETDB_'))),
    cwd: path.resolve(opts.dataDir),
  });
  try {
    await proc.waitUntilReady(() => pingMongo(uri, 1000), {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 200,
      description: `ping on ${LOCALHOST}:${opts.port}`,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    uri,
    process: proc,
    stop: async () => {
      await proc.stop();
    },
  };
}
