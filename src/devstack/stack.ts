import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { devstackLog } from './log';
import { assertMongoReachable, startMongoServer, type RunningMongo } from './mongo-server';
import type { ManagedProcess, ProcessExitedError } from './managed-process';
import { assertPortsFree, getFreePorts, PORT_ENV_VARS, type TemporalPorts } from './ports';
import { startTemporalServer, type RunningTemporal } from './temporal-server';
import { resolveMongoServer, resolveTemporalCli } from './tools';

export interface DevStackOptions {
  /**
   * Where state and logs live. Persistent default: `<cwd>/.data` (temporal.sqlite,
   * ferretdb/ or mongod/, logs/). Ignored when `ephemeral`.
   */
  dataDir?: string;
  /** A fresh temp dir, removed by stop(); Temporal state is discarded too. For tests. */
  ephemeral?: boolean;
  /** Fixed ports, or 'free' for ports picked by the OS (tests). Default 'free'. */
  temporal?: TemporalPorts | 'free';
  /** Fixed port, or 'free'. Ignored when MONGODB_URI is used. Default 'free'. */
  mongo?: { port: number } | 'free';
  /** Namespace to create and register the search attributes in (default "default"). */
  namespace?: string;
  /** Disable the Temporal Web UI. */
  headless?: boolean;
  /** Environment for tool lookup and MONGODB_URI (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Called when a server dies after start-up, with its last log lines. Default: log it. */
  onUnexpectedExit?: (err: ProcessExitedError) => void;
}

export interface DevStack {
  temporal: { address: string; namespace: string; uiUrl: string | undefined };
  mongoUri: string;
  /** Where the MongoDB-wire server came from: started FerretDB or mongod, or MONGODB_URI. */
  mongoKind: 'ferretdb' | 'mongod' | 'external';
  dataDir: string;
  logDir: string;
  /** The started server processes (not the external MongoDB). */
  processes: ManagedProcess[];
  /** Stops everything started (in parallel); removes the data dir when ephemeral. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the local Temporal dev server and a MongoDB-wire server, in parallel, and waits
 * until both answer (Temporal: namespace described, custom search attributes registered, Web
 * UI up; Mongo: ping). If either fails, the other is stopped and the error is thrown.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const ephemeral = options.ephemeral ?? false;
  const dataDir = ephemeral
    ? await fs.mkdtemp(path.join(os.tmpdir(), 'xledger-sync-devstack-'))
    : path.resolve(options.dataDir ?? '.data');
  const logDir = path.join(dataDir, 'logs');
  await fs.mkdir(logDir, { recursive: true });

  const removeDataDir = async () => {
    if (ephemeral) await fs.rm(dataDir, { recursive: true, force: true });
  };

  let temporal: RunningTemporal | undefined;
  let mongo: RunningMongo | undefined;
  try {
    const [temporalBin, mongoSource] = await Promise.all([
      resolveTemporalCli({ env }),
      resolveMongoServer({ env }),
    ]);

    const needMongoPort = mongoSource.kind !== 'external';
    const temporalFree = options.temporal === undefined || options.temporal === 'free';
    const mongoFree = options.mongo === undefined || options.mongo === 'free';
    const free = temporalFree || (needMongoPort && mongoFree) ? await getFreePorts(5) : [];
    const temporalPorts: TemporalPorts =
      temporalFree || options.temporal === undefined || options.temporal === 'free'
        ? { port: free[0]!, uiPort: free[1]!, httpPort: free[2]!, metricsPort: free[3]! }
        : options.temporal;
    const mongoPort = options.mongo === undefined || options.mongo === 'free' ? free[4]! : options.mongo.port;

    const fixed: { port: number; what: string; envVar?: string }[] = [];
    if (options.temporal !== undefined && options.temporal !== 'free') {
      const t = options.temporal;
      fixed.push(
        { port: t.port, what: 'Temporal gRPC', envVar: PORT_ENV_VARS.temporal },
        ...(options.headless
          ? []
          : [{ port: t.uiPort, what: 'Temporal Web UI', envVar: PORT_ENV_VARS.uiPort }]),
        { port: t.httpPort, what: 'Temporal HTTP API', envVar: PORT_ENV_VARS.httpPort },
        { port: t.metricsPort, what: 'Temporal metrics', envVar: PORT_ENV_VARS.metricsPort },
      );
    }
    if (needMongoPort && options.mongo !== undefined && options.mongo !== 'free')
      fixed.push({ port: options.mongo.port, what: 'MongoDB-wire server', envVar: PORT_ENV_VARS.mongo });
    await assertPortsFree(fixed);

    const temporalStart = startTemporalServer({
      bin: temporalBin,
      ports: temporalPorts,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      namespace: options.namespace,
      headless: options.headless,
      logFile: path.join(logDir, 'temporal.log'),
    }).then((t) => (temporal = t));
    const mongoStart =
      mongoSource.kind === 'external'
        ? assertMongoReachable(mongoSource.uri)
        : startMongoServer({
            kind: mongoSource.kind,
            bin: mongoSource.bin,
            port: mongoPort,
            dataDir: path.join(dataDir, mongoSource.kind),
            logFile: path.join(logDir, `${mongoSource.kind}.log`),
          }).then((m) => (mongo = m));
    const results = await Promise.allSettled([temporalStart, mongoStart]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const processes = [temporal!.process, ...(mongo ? [mongo.process] : [])];
    for (const p of processes)
      p.on('unexpected-exit', (err) => {
        if (options.onUnexpectedExit) options.onUnexpectedExit(err);
        else devstackLog.error({ err }, `${p.name} exited unexpectedly; the dev stack is broken`);
      });

    const mongoUri = mongoSource.kind === 'external' ? mongoSource.uri : mongo!.uri;
    devstackLog.info(
      {
        temporal: temporal!.address,
        namespace: temporal!.namespace,
        ui: temporal!.uiUrl,
        mongo: mongoSource.kind === 'external' ? '(MONGODB_URI)' : mongoUri,
        mongoKind: mongoSource.kind,
        dataDir,
        ms: Date.now() - started,
      },
      'dev stack ready',
    );

    let stopping: Promise<void> | undefined;
    return {
      temporal: { address: temporal!.address, namespace: temporal!.namespace, uiUrl: temporal!.uiUrl },
      mongoUri,
      mongoKind: mongoSource.kind,
      dataDir,
      logDir,
      processes,
      stop: () =>
        (stopping ??= (async () => {
          await Promise.all([temporal?.stop(), mongo?.stop()]);
          await removeDataDir();
        })()),
    };
  } catch (err) {
    await Promise.all([temporal?.stop(), mongo?.stop()]);
    await removeDataDir();
    throw err;
  }
}
