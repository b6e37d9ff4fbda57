import { z } from 'zod';
import { XledgerSyncError } from './errors';
import { webhookEndpointProblem, type WebhookEndpointPolicy } from './security/webhook-policy';
import { DEFAULT_XLEDGER_HOSTS, endpointProblem, type EndpointPolicy } from './security/endpoint-policy';
import { webhookSecretSchema } from './domain/tenant';

/**
 * The one place where the environment becomes typed configuration. The service's entry points
 * (worker, CLI, npm start) call loadConfig(); the client's explicit options and its
 * `XLEDGER_SYNC_` variables are mapped onto the same variables (src/client/options.ts) and parsed
 * here by parseVariables. Nothing else reads process.env.
 */

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('xledger-sync'),
  /** Temporal Cloud API key (implies TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /**
   * TLS by Temporal's standard variables (as the temporal CLI and the SDKs' environment
   * configuration read them). Any of them, or an API key, turns TLS on; TEMPORAL_TLS sets it
   * explicitly. mTLS: a PEM client certificate and key; a private CA: its PEM certificate.
   */
  TEMPORAL_TLS: z.stringbool().optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Earlier names of the client certificate and key (still read; the standard names win). */
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  /** How long to wait for Temporal: to connect, and for each call of the client API, the CLI and activities. */
  TEMPORAL_TIMEOUT_MS: positiveInt.default(15_000),

  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')
    .default('mongodb://127.0.0.1:27017/xledger_sync'),
  /** Database name; defaults to the one in MONGODB_URI, else xledger_sync. */
  MONGODB_DB: z.string().min(1).optional(),
  /**
   * How long to wait for MongoDB: to connect and select a server (everywhere), and for each
   * request of the client API and CLI. A server that accepts connections but never answers
   * fails within about this time instead of hanging.
   */
  MONGODB_TIMEOUT_MS: positiveInt.default(15_000),
  /**
   * The longest one MongoDB request of the worker may take (one batch of a cursor, one bulk
   * write); then the activity fails and is retried. Long reads are many batches, each bounded.
   */
  MONGODB_WORKER_REQUEST_TIMEOUT_MS: positiveInt.default(120_000),

  /** 32 bytes, base64: encrypts Xledger tokens at rest (AES-256-GCM). */
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes encoded as base64')
    .optional(),
  /**
   * During a key rotation: the key(s) secrets were encrypted with before (comma-separated, each
   * 32 bytes as base64). Read with, never written with; `xledger-sync keys rotate` re-encrypts.
   */
  TOKEN_ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .refine(
      (value) => value.split(',').every((key) => Buffer.from(key.trim(), 'base64').length === 32),
      'must be one or more keys of 32 bytes encoded as base64, separated by commas',
    )
    .optional(),

  XLEDGER_ENDPOINT: z.url().default('https://www.xledger.net/graphql'),
  /** Hosts a tenant's token may be sent to (https only); see src/security/endpoint-policy.ts. */
  XLEDGER_ALLOWED_HOSTS: z
    .string()
    .default(DEFAULT_XLEDGER_HOSTS.join(','))
    .transform((value) => value.split(',').map((host) => host.trim().toLowerCase()))
    .pipe(z.array(z.string().regex(/^[a-z0-9.-]+$/, 'must be host names separated by commas')).min(1)),
  /** Lets tokens go to a loopback address over http: only the dev stack, tests and the simulator set it. */
  ALLOW_INSECURE_LOOPBACK: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  /** Records per request. Xledger allows 10,000; a page that times out is halved and retried. */
  XLEDGER_PAGE_SIZE: positiveInt.max(10_000).default(10_000),
  XLEDGER_REQUEST_TIMEOUT_MS: positiveInt.default(120_000),
  /**
   * Request budget per API token, shared by every worker through MongoDB (Xledger's burst limit is
   * 20 / 5 s per token). Give every worker the same value.
   */
  XLEDGER_MAX_REQUESTS_PER_5S: positiveInt.max(20).default(15),
  /** Requests in flight per API token in ONE worker: all workers together send up to workers × this. */
  XLEDGER_MAX_CONCURRENT_REQUESTS: positiveInt.default(2),
  /**
   * How long a token's requests pause when Xledger refuses them for spent credits without saying
   * when they return (its hourly pool; Xledger's own sample waits 20 minutes). At most an hour.
   */
  XLEDGER_CREDITS_WAIT_SECONDS: positiveInt.max(3_600).default(1_200),

  /**
   * Invoices (src/invoices/posting-settings.ts). A create whose answer never came back leaves the
   * invoice unsettled: no new create until this long after that send, and then only once two
   * look-ups INVOICE_SETTLE_LOOKUP_SPACING_MS apart found nothing. Keep it well above
   * XLEDGER_REQUEST_TIMEOUT_MS plus the time Xledger may take to run a request it received.
   */
  INVOICE_SETTLE_WINDOW_MS: positiveInt.default(600_000),
  INVOICE_SETTLE_LOOKUP_SPACING_MS: positiveInt.default(60_000),
  /** An invoice Xledger accepted but neither posted nor rejected after this long needs attention. */
  INVOICE_UNRESOLVED_AFTER_MS: positiveInt.default(86_400_000),
  /** The posting lease (renewed while the attempt makes progress; lapses soon after it stalls or dies). */
  INVOICE_POSTING_LEASE_MS: positiveInt.min(3_000).default(45_000),
  /** How often an invoice held by a duplicate (the tenant needs attention) looks again whether it was resumed. */
  INVOICE_HELD_RECHECK_MS: positiveInt.min(1_000).default(60_000),

  /** Activities one worker runs at once (Temporal's default is 100); lower it for a small database. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(100),
  /**
   * On SIGTERM/SIGINT the worker stops taking tasks and lets running activities finish for this
   * long; then they are cancelled (an activity that ignores cancellation goes on running).
   */
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().nonnegative().default(30),
  /** After this long (default: the grace time + 15 s) the worker stops whatever still runs and exits 1. */
  WORKER_SHUTDOWN_FORCE_SECONDS: positiveInt.optional(),
  /**
   * How far past the live heap V8 lets the worker's heap grow before its next full collection,
   * in percent (src/worker-heap.ts); 0 leaves V8's own adaptive growth (up to 300%).
   */
  WORKER_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(50),

  /** Where events of tenants without a webhook of their own are POSTed (with WEBHOOK_DEFAULT_SECRET). */
  WEBHOOK_DEFAULT_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The Standard Webhooks secret (`whsec_…`) that signs events sent to WEBHOOK_DEFAULT_URL. */
  WEBHOOK_DEFAULT_SECRET: webhookSecretSchema.optional(),
  /** Comma-separated hosts webhooks may go to (`hooks.semine.example`, `*.semine.example`); unset: any public host. */
  WEBHOOK_ALLOWED_HOSTS: z.string().optional(),
  /** Comma-separated hosts webhooks may reach over plain http (local receivers: `127.0.0.1,localhost`). */
  WEBHOOK_INSECURE_HOSTS: z.string().optional(),
  /** How long one webhook POST may take before the attempt counts as failed. */
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  /** Push from Xledger: the public https base URL Xledger delivers to (`<base>/xledger/webhooks/<tenant>`). */
  PUSH_PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** How many times longer a pushed data type's polling interval gets (capped at its full-pass interval). */
  PUSH_INTERVAL_FACTOR: z.coerce.number().min(1).max(100).default(4),
  /** How far a delivery's Date may be from now, either way, before it is refused (Xledger's sample: 900). */
  PUSH_DATE_WINDOW_SECONDS: positiveInt.default(300),
  /** The worker's /metrics, /healthz and /readyz (observability/health-server.ts); off when unset. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** OpenTelemetry traces over OTLP/HTTP to this collector (observability/tracing.ts); off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('xledger-sync-worker'),

  /** The HTTP API (src/api, `xledger-sync api`): where it listens. */
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  API_HOST: z.string().min(1).default('0.0.0.0'),
  /** Requests one API key may make per minute (429 with Retry-After beyond it). */
  API_RATE_LIMIT_PER_MINUTE: positiveInt.default(600),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable loadConfig reads (deployment manifests are checked against it). */
export const configVariables: readonly string[] = Object.keys(envSchema.shape);

import type { Config, TemporalTls } from './config-types';

export type {
  Config,
  InvoicePostingSettings,
  PushSettings,
  TemporalTls,
  WebhookSettings,
} from './config-types';

export class ConfigError extends XledgerSyncError {
  override name = 'ConfigError';
}

/** The service's own configuration (worker, CLI, npm start): the unprefixed variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseVariables(env, (variable) => variable);
}

/**
 * The variables parsed and checked. The client's options and prefixed variables come here too
 * (src/client/options.ts), so there is one schema and one set of defaults; `nameOf` says how the
 * caller calls each variable in an error (itself, prefixed, or the client option).
 */
export function parseVariables(env: NodeJS.ProcessEnv, nameOf: (variable: string) => string): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${nameOf(i.path.map(String).join('.'))}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (Boolean(e.WEBHOOK_DEFAULT_URL) !== Boolean(e.WEBHOOK_DEFAULT_SECRET)) {
    throw new ConfigError(
      'Invalid configuration: WEBHOOK_DEFAULT_URL and WEBHOOK_DEFAULT_SECRET go together',
    );
  }
  const webhookPolicy: WebhookEndpointPolicy = {
    allowedHosts: e.WEBHOOK_ALLOWED_HOSTS ? hostList(e.WEBHOOK_ALLOWED_HOSTS) : null,
    insecureHosts: e.WEBHOOK_INSECURE_HOSTS ? hostList(e.WEBHOOK_INSECURE_HOSTS) : [],
  };
  const defaultWebhookProblem =
    e.WEBHOOK_DEFAULT_URL && webhookEndpointProblem(e.WEBHOOK_DEFAULT_URL, webhookPolicy);
  if (defaultWebhookProblem) {
    throw new ConfigError(`Invalid configuration: WEBHOOK_DEFAULT_URL: ${defaultWebhookProblem}`);
  }
  const tls = temporalTls(e);
  const endpointPolicy: EndpointPolicy = {
    allowedHosts: e.XLEDGER_ALLOWED_HOSTS,
    allowInsecureLoopback: e.ALLOW_INSECURE_LOOPBACK,
  };
  const defaultEndpointProblem = endpointProblem(e.XLEDGER_ENDPOINT, endpointPolicy);
  if (defaultEndpointProblem) {
    throw new ConfigError(`Invalid configuration: XLEDGER_ENDPOINT: ${defaultEndpointProblem}`);
  }
  if (e.INVOICE_SETTLE_WINDOW_MS <= e.XLEDGER_REQUEST_TIMEOUT_MS) {
    // A create still running in Xledger when the window ends could be sent a second time.
    throw new ConfigError(
      'Invalid configuration: INVOICE_SETTLE_WINDOW_MS must be longer than XLEDGER_REQUEST_TIMEOUT_MS (and than Xledger may take to run a create)',
    );
  }
  const shutdownForceSeconds = e.WORKER_SHUTDOWN_FORCE_SECONDS ?? e.WORKER_SHUTDOWN_GRACE_SECONDS + 15;
  if (shutdownForceSeconds <= e.WORKER_SHUTDOWN_GRACE_SECONDS) {
    throw new ConfigError(
      'Invalid configuration: WORKER_SHUTDOWN_FORCE_SECONDS must be longer than WORKER_SHUTDOWN_GRACE_SECONDS',
    );
  }
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      timeoutMs: e.TEMPORAL_TIMEOUT_MS,
      shutdownGraceMs: e.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
      shutdownForceMs: shutdownForceSeconds * 1000,
      heapGrowthPercent: e.WORKER_HEAP_GROWTH_PERCENT,
      ...(tls ? { tls } : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    },
    mongo: {
      uri: e.MONGODB_URI,
      dbName: e.MONGODB_DB ?? databaseNameFromUri(e.MONGODB_URI) ?? 'xledger_sync',
      timeoutMs: e.MONGODB_TIMEOUT_MS,
      workerRequestTimeoutMs: e.MONGODB_WORKER_REQUEST_TIMEOUT_MS,
    },
    ...(e.TOKEN_ENCRYPTION_KEY ? { tokenEncryptionKey: Buffer.from(e.TOKEN_ENCRYPTION_KEY, 'base64') } : {}),
    previousTokenEncryptionKeys: (e.TOKEN_ENCRYPTION_KEY_PREVIOUS ?? '')
      .split(',')
      .filter((key) => key.trim() !== '')
      .map((key) => Buffer.from(key.trim(), 'base64')),
    xledger: {
      defaultEndpoint: e.XLEDGER_ENDPOINT,
      pageSize: e.XLEDGER_PAGE_SIZE,
      requestTimeoutMs: e.XLEDGER_REQUEST_TIMEOUT_MS,
      maxRequestsPer5s: e.XLEDGER_MAX_REQUESTS_PER_5S,
      maxConcurrentRequests: e.XLEDGER_MAX_CONCURRENT_REQUESTS,
      creditsWaitMs: e.XLEDGER_CREDITS_WAIT_SECONDS * 1000,
      endpointPolicy,
    },
    webhooks: {
      ...(e.WEBHOOK_DEFAULT_URL && e.WEBHOOK_DEFAULT_SECRET
        ? { defaultEndpoint: { url: e.WEBHOOK_DEFAULT_URL, secret: e.WEBHOOK_DEFAULT_SECRET } }
        : {}),
      policy: webhookPolicy,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    },
    invoices: {
      settleWindowMs: e.INVOICE_SETTLE_WINDOW_MS,
      settleLookupSpacingMs: e.INVOICE_SETTLE_LOOKUP_SPACING_MS,
      unresolvedAfterMs: e.INVOICE_UNRESOLVED_AFTER_MS,
      leaseMs: e.INVOICE_POSTING_LEASE_MS,
      heldRecheckMs: e.INVOICE_HELD_RECHECK_MS,
      requestTimeoutMs: e.XLEDGER_REQUEST_TIMEOUT_MS,
    },
    push: {
      ...(e.PUSH_PUBLIC_BASE_URL ? { publicBaseUrl: e.PUSH_PUBLIC_BASE_URL.replace(/\/+$/, '') } : {}),
      intervalFactor: e.PUSH_INTERVAL_FACTOR,
      dateWindowMs: e.PUSH_DATE_WINDOW_SECONDS * 1000,
    },
    api: { port: e.API_PORT, host: e.API_HOST, rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE },
    logLevel: e.LOG_LEVEL,
    observability: {
      ...(e.METRICS_PORT !== undefined ? { metricsPort: e.METRICS_PORT } : {}),
      ...(e.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
      serviceName: e.OTEL_SERVICE_NAME,
    },
  };
}

function hostList(value: string): string[] {
  return value
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host.length > 0);
}

/** The worker and client cannot run without the key; the simulator and devstack can. */
export function requireEncryptionKey(config: Config): Buffer {
  if (!config.tokenEncryptionKey) {
    throw new ConfigError(
      'Invalid configuration: TOKEN_ENCRYPTION_KEY is required (32 random bytes, base64: `openssl rand -base64 32`)',
    );
  }
  return config.tokenEncryptionKey;
}

/** TLS settings from Temporal's standard variables; undefined for a plain connection. */
function temporalTls(e: z.output<typeof envSchema>): TemporalTls | undefined {
  const clientCertPath = e.TEMPORAL_TLS_CLIENT_CERT_PATH ?? e.TEMPORAL_TLS_CERT_PATH;
  const clientKeyPath = e.TEMPORAL_TLS_CLIENT_KEY_PATH ?? e.TEMPORAL_TLS_KEY_PATH;
  if (Boolean(clientCertPath) !== Boolean(clientKeyPath)) {
    throw new ConfigError(
      'Invalid configuration: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together',
    );
  }
  const tls: TemporalTls = {
    ...(clientCertPath && clientKeyPath ? { clientCertPath, clientKeyPath } : {}),
    ...(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverCaCertPath: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  const wanted = e.TEMPORAL_TLS ?? (Object.keys(tls).length > 0 || Boolean(e.TEMPORAL_API_KEY));
  if (!wanted && Object.keys(tls).length > 0) {
    throw new ConfigError('Invalid configuration: TEMPORAL_TLS is false, but TEMPORAL_TLS_* paths are set');
  }
  return wanted ? tls : undefined;
}

function databaseNameFromUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}
