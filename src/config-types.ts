import type { WebhookEndpointPolicy } from './security/webhook-policy';
import type { EndpointPolicy } from './security/endpoint-policy';

/**
 * The typed configuration every part receives, as src/config.ts makes it from the environment
 * (or the client's options): its shape alone, so readers find each setting's meaning in one place.
 */

export type Config = {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    maxConcurrentActivities: number;
    /** Connect timeout and deadline of each call (client API, CLI, activities). */
    timeoutMs: number;
    /** A draining worker's activities run this long, then are cancelled. */
    shutdownGraceMs: number;
    /** A worker that has not drained by then stops anyway. */
    shutdownForceMs: number;
    /** V8 heap growth past the live heap, percent (0: V8's own). */
    heapGrowthPercent: number;
    /** Present when the connection uses TLS; its paths are read when connecting. */
    tls?: TemporalTls;
    apiKey?: string;
  };
  mongo: {
    uri: string;
    dbName: string;
    /** Connect and server-selection timeout; also the request timeout of the client API and CLI. */
    timeoutMs: number;
    /** Request timeout of the worker. */
    workerRequestTimeoutMs: number;
  };
  tokenEncryptionKey?: Buffer;
  /** Keys still accepted for reading during a key rotation. */
  previousTokenEncryptionKeys: Buffer[];
  xledger: {
    defaultEndpoint: string;
    pageSize: number;
    requestTimeoutMs: number;
    maxRequestsPer5s: number;
    maxConcurrentRequests: number;
    /** XLEDGER_CREDITS_WAIT_SECONDS in ms: the pause on spent credits when Xledger gives no time. */
    creditsWaitMs: number;
    /** Where a token may be sent (XLEDGER_ALLOWED_HOSTS, ALLOW_INSECURE_LOOPBACK). */
    endpointPolicy: EndpointPolicy;
  };
  webhooks: WebhookSettings;
  invoices: InvoicePostingSettings;
  push: PushSettings;
  /** The HTTP API (src/api). */
  api: { port: number; host: string; rateLimitPerMinute: number };
  logLevel: string;
  observability: {
    /** Port of the worker's metrics and health endpoints; undefined: none. */
    metricsPort?: number;
    /** OTLP/HTTP collector for traces; undefined: no tracing. */
    otlpEndpoint?: string;
    serviceName: string;
  };
};

/** How invoices are posted (src/invoices/posting-settings.ts says how each is used). */
export interface InvoicePostingSettings {
  settleWindowMs: number;
  settleLookupSpacingMs: number;
  unresolvedAfterMs: number;
  leaseMs: number;
  heldRecheckMs: number;
  /** XLEDGER_REQUEST_TIMEOUT_MS: how long a send may take before its answer counts as lost. */
  requestTimeoutMs: number;
}

/** How events are delivered (events/webhook.ts); the default endpoint's secret is a secret. */
export interface WebhookSettings {
  defaultEndpoint?: { url: string; secret: string };
  policy: WebhookEndpointPolicy;
  timeoutMs: number;
}

/** Push from Xledger (README, "Push from Xledger"); without a base URL no tenant may use it. */
export interface PushSettings {
  publicBaseUrl?: string;
  intervalFactor: number;
  dateWindowMs: number;
}

export interface TemporalTls {
  /** mTLS: the client's PEM certificate and key (both or neither). */
  clientCertPath?: string;
  clientKeyPath?: string;
  /** A PEM CA certificate to trust instead of the system's (a private CA). */
  serverCaCertPath?: string;
  /** The name to verify the server's certificate against, when it is not the address's host. */
  serverName?: string;
}
