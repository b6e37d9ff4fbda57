import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { customSearchAttributes } from '../temporal/search-attributes';
import {
  addSearchAttributes,
  searchAttributeStatus,
  type SearchAttributeDef,
} from '../temporal/search-attribute-registry';
import { devstackLog } from './log';
import { ManagedProcess } from './managed-process';
import { LOCALHOST, type TemporalPorts } from './ports';

export type { SearchAttributeDef } from '../temporal/search-attribute-registry';

/** The SDK's search attribute type → the name `temporal … --search-attribute Name=<Type>` takes. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `Name=Keyword` for each attribute, as `--search-attribute` takes it. */
export function searchAttributeFlags(attrs: readonly SearchAttributeDef[]): string[] {
  return attrs.flatMap((a) => ['--search-attribute', `${a.name}=${CLI_TYPE_NAMES[a.type]}`]);
}

/**
 * Makes sure every attribute is registered on the namespace; adds the missing ones (a
 * persistent DB made by an older version of this code lacks newer attributes). Returns the
 * names added. An attribute that exists with another type is an error: it can't be changed.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attrs: readonly SearchAttributeDef[] = customSearchAttributes,
): Promise<string[]> {
  const { missing, conflicts } = await searchAttributeStatus(connection, namespace, attrs);
  if (conflicts.length > 0)
    throw new Error(
      `search attributes registered with the wrong type in namespace ${namespace}: ${conflicts.join('; ')}. ` +
        'Delete the dev server database (e.g. .data/temporal.sqlite) to start over.',
    );
  if (missing.length > 0) {
    await addSearchAttributes(connection, namespace, missing, attrs);
    devstackLog.info({ namespace, added: missing }, 'registered missing search attributes');
  }
  return missing;
}

/**
 * The dev server's SQLite file in WAL mode, synced at checkpoints rather than at every commit:
 * it creates schedules and starts workflows about 3.5 times as fast (34 → 118 schedule creates
 * a second here; npm run bench -- tenants is bound by it). A crash of the process loses
 * nothing; only a power loss could lose the last commits — fine for a dev server.
 */
const SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

export interface TemporalServerOptions {
  bin: string;
  ports: TemporalPorts;
  /** SQLite file for persistent state; omit for in-memory state. */
  dbFile?: string;
  namespace?: string;
  /** Disable the Web UI. */
  headless?: boolean;
  logFile?: string;
  searchAttributes?: readonly SearchAttributeDef[];
  readyTimeoutMs?: number;
}

export interface RunningTemporal {
  address: string;
  namespace: string;
  /** The Web UI's URL for the namespace's workflows; undefined when headless. */
  uiUrl: string | undefined;
  process: ManagedProcess;
  stop(): Promise<void>;
}

async function fetchOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporal> {
  const namespace = opts.namespace ?? 'default';
  const attrs = opts.searchAttributes ?? customSearchAttributes;
  const { port, uiPort, httpPort, metricsPort } = opts.ports;
  const address = `${LOCALHOST}:${port}`;
  const args = [
    'server',
    'start-dev',
    ...(opts.dbFile ? ['--db-filename', opts.dbFile, ...SQLITE_PRAGMAS] : []),
    '--ip',
    LOCALHOST,
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    ...(opts.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...searchAttributeFlags(attrs),
    '--log-level',
    'warn',
    '--color',
    'never',
  ];
  const proc = ManagedProcess.start({ name: 'temporal', command: opts.bin, args, logFile: opts.logFile });
  const uiUrl = opts.headless ? undefined : `http://${LOCALHOST}:${uiPort}/namespaces/${namespace}/workflows`;
  const timeoutMs = opts.readyTimeoutMs ?? 90_000;
  try {
    let connection: Connection | undefined;
    await proc.waitUntilReady(
      async () => {
        const c = await Connection.connect({ address, connectTimeout: 2000 });
        try {
          await c.workflowService.describeNamespace({ namespace });
          connection = c;
          return true;
        } catch (err) {
          await c.close();
          throw err;
        }
      },
      { timeoutMs, intervalMs: 250, description: `namespace "${namespace}" on ${address}` },
    );
    try {
      await ensureSearchAttributes(connection!, namespace, attrs);
    } finally {
      await connection!.close();
    }
    if (uiUrl)
      await proc.waitUntilReady(() => fetchOk(uiUrl), {
        timeoutMs,
        intervalMs: 250,
        description: `Web UI at ${uiUrl}`,
      });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl,
    process: proc,
    stop: async () => {
      await proc.stop();
    },
  };
}
