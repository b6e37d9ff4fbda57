/**
 * The simulated Xledger GraphQL server: a real schema + executor over seeded in-memory data,
 * with an admin API for ground truth, changes, limits and fault injection.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { logger } from '../logger';
import { createAdminServer } from './admin-server';
import { Faults } from './faults';
import { GlImport, type ProcessedLineModel } from './gl-import';
import { createGraphqlServer, GRAPHQL_PATH } from './graphql-server';
import { Limits, UsageCounters, type LimitSettings } from './limits';
import { createSeededState } from './seed';
import { ServedSchema, type RemovedField } from './served-schema';
import type { SimulatorState } from './state';
import { SimWebhooks } from './webhooks';

export { SEED_TOKENS, SCOPES, READ_SCOPES, ROOT_FIELD_SCOPES, type Scope, type SeedTokenName } from './auth';
export { SEED_ENTITIES, TAX_RULES, CLIENT_TAX_RULE, WELL_KNOWN_ACCOUNTS, seedCounts } from './seed';
export {
  SimulatorState,
  RECORD_TYPES,
  DELTA_TYPES,
  DEFAULT_DELTA_RETENTION_MS,
  type RecordType,
  type OwnerSet,
} from './state';
export { buildSimulatorSchema, loadSchemaText } from './resolvers';
export { ServedSchema, SchemaVariantError, type RemovedField } from './served-schema';
export { LEDGER_TYPES, ASSET_STATUSES } from './shapes';
export { toCetWallClock, cetWallClockToInstant, cetToday } from './clock';
export { FAULT_KINDS, TIMEOUT_MESSAGE, TIMEOUT_CODE, type FaultKind, type FaultInput } from './faults';
export { LIMIT_CODES, type LimitSettings } from './limits';
export { SimWebhooks, SUBSCRIPTION_FIELDS, WEBHOOK_STATES, type WebhookState } from './webhooks';
export { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './connection';
export {
  MAX_IMPORT_NODES,
  MAX_TR_REG_NUMBER,
  PROCESSED_LINE_MODELS,
  DEFAULT_PROCESSED_LINE_MODEL,
  type ProcessedLineModel,
} from './gl-import';

export interface SimulatorOptions {
  /** Seed of the deterministic data generator (default 1). */
  seed?: number;
  /** Number of suppliers (default 200); other types scale from it with caps. */
  suppliers?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** GraphQL port; 0 picks a free port (default 0). */
  port?: number;
  /** Admin port; 0 picks a free port (default 0). */
  adminPort?: number;
  /** GL import lines are processed this long after they were added (default 1000 ms). */
  importProcessingDelayMs?: number;
  /** How long deltas are kept; an older cursor is refused (default 3 days, Xledger's). */
  deltaRetentionMs?: number;
  /**
   * How long after its change a delta becomes visible (Xledger: about 30 s, the CLI's default);
   * default 0 here. Admin: PUT /admin/deltas.
   */
  deltaLagMs?: number;
  /**
   * (A) Whether a posted GL import line stays readable in glImportItems (`stay`) or leaves it
   * (`disappear`, the default); see ProcessedLineModel in gl-import.ts.
   */
  processedLines?: ProcessedLineModel;
  /** Answer introspection, as the real API does (default true); admin: PUT /admin/introspection. */
  introspection?: boolean;
  /**
   * Serve a variant of the schema without these fields, e.g. `[{ type: 'Supplier', field:
   * 'email' }]` (for tests of the live schema check); admin: PUT /admin/schema/remove-field.
   */
  removeFields?: RemovedField[];
  /** Xledger's limits; all off by default. */
  limits?: {
    burst?: boolean;
    concurrency?: boolean;
  } & Partial<LimitSettings>;
}

export interface RunningSimulator {
  /** POST GraphQL here, with `Authorization: token <TOKEN>`. */
  graphqlUrl: string;
  /** Base URL of the admin API (routes under /admin/...). */
  adminUrl: string;
  state: SimulatorState;
  limits: Limits;
  faults: Faults;
  counters: UsageCounters;
  glImport: GlImport;
  /** Xledger's webhooks: registrations, states, deliveries (webhooks.ts). */
  webhooks: SimWebhooks;
  /** The schema served now: introspection switch and variants. */
  schema: ServedSchema;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const log = logger.child({ component: 'simulator' });
  const seed = options.seed ?? 1;
  const suppliers = options.suppliers ?? 200;
  const host = options.host ?? '127.0.0.1';
  const started = Date.now();

  const state = createSeededState({ seed, suppliers });
  if (options.deltaRetentionMs !== undefined) state.deltaRetentionMs = options.deltaRetentionMs;
  if (options.deltaLagMs !== undefined) state.deltaLagMs = options.deltaLagMs;
  const served = new ServedSchema({
    ...(options.introspection !== undefined ? { introspection: options.introspection } : {}),
    ...(options.removeFields ? { removeFields: options.removeFields } : {}),
  });
  const glImport = new GlImport(state, options.importProcessingDelayMs ?? 1000, options.processedLines);
  const limits = new Limits(options.limits ?? {});
  const counters = new UsageCounters();
  const faults = new Faults(seed);
  const webhooks = new SimWebhooks(state, () => served.current, log);
  const deps = { state, glImport, webhooks, limits, counters, faults, log, served };

  const graphqlServer = createGraphqlServer(deps);
  const adminServer = createAdminServer(deps);
  const port = await listen(graphqlServer, options.port ?? 0, host);
  let adminPort: number;
  try {
    adminPort = await listen(adminServer, options.adminPort ?? 0, host);
  } catch (error) {
    await closeServer(graphqlServer);
    throw error;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const graphqlUrl = `http://${urlHost}:${port}${GRAPHQL_PATH}`;
  const adminUrl = `http://${urlHost}:${adminPort}`;
  log.info({ graphqlUrl, adminUrl, seed, suppliers, ms: Date.now() - started }, 'simulator started');

  let closed = false;
  return {
    graphqlUrl,
    adminUrl,
    state,
    limits,
    faults,
    counters,
    glImport,
    webhooks,
    schema: served,
    async close() {
      if (closed) return;
      closed = true;
      glImport.close();
      webhooks.close();
      await Promise.all([closeServer(graphqlServer), closeServer(adminServer)]);
      log.info('simulator stopped');
    },
  };
}
