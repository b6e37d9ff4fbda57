import { z } from 'zod';
import { ConfigError, parseVariables, type Config } from '../config';

/**
 * SEMINE's backend configures the client explicitly (XledgerSyncClient.connect): these options,
 * each standing for one of the service's variables (src/config.ts), are parsed by the same
 * schema with the same defaults (parseVariables); this file only maps them. Two differences, both
 * on purpose: the database is `xledger_sync` unless `mongodb.database` names another (never the
 * one in the URI's path, which may be SEMINE's own), and nothing is read from the environment
 * unless asked (clientSettingsFromEnv).
 */
const hosts = z.array(z.string()).readonly();
export const clientOptionsSchema = z
  .object({
    mongodb: z
      .object({ uri: z.string(), database: z.string().optional(), timeoutMs: z.number().optional() })
      .strict(),
    temporal: z
      .object({
        address: z.string(),
        namespace: z.string().optional(),
        taskQueue: z.string().optional(),
        /** true, or the paths of Temporal's standard TLS variables; an API key implies TLS. */
        tls: z
          .union([
            z.boolean(),
            z
              .object({
                clientCertPath: z.string().optional(),
                clientKeyPath: z.string().optional(),
                serverCaCertPath: z.string().optional(),
                serverName: z.string().optional(),
              })
              .strict(),
          ])
          .optional(),
        apiKey: z.string().optional(),
        timeoutMs: z.number().optional(),
      })
      .strict(),
    /** 32 bytes, base64; not needed by a read-only client. */
    tokenEncryptionKey: z.string().optional(),
    previousTokenEncryptionKeys: z.array(z.string()).readonly().optional(),
    /** Reads only: no key, no indexes, every write method refused (ReadOnlyClientError). */
    readOnly: z.boolean().optional(),
    xledger: z
      .object({
        defaultEndpoint: z.string().optional(),
        allowedHosts: hosts.optional(),
        allowInsecureLoopback: z.boolean().optional(),
      })
      .strict()
      .optional(),
    webhooks: z
      .object({ allowedHosts: hosts.optional(), insecureHosts: hosts.optional() })
      .strict()
      .optional(),
  })
  .strict();
export type ClientOptions = z.input<typeof clientOptionsSchema>;

/** Each option and the variable it stands for. */
const OPTION_VARIABLES = {
  'mongodb.uri': 'MONGODB_URI',
  'mongodb.database': 'MONGODB_DB',
  'mongodb.timeoutMs': 'MONGODB_TIMEOUT_MS',
  'temporal.address': 'TEMPORAL_ADDRESS',
  'temporal.namespace': 'TEMPORAL_NAMESPACE',
  'temporal.taskQueue': 'TEMPORAL_TASK_QUEUE',
  'temporal.tls': 'TEMPORAL_TLS',
  'temporal.tls.clientCertPath': 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'temporal.tls.clientKeyPath': 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'temporal.tls.serverCaCertPath': 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'temporal.tls.serverName': 'TEMPORAL_TLS_SERVER_NAME',
  'temporal.apiKey': 'TEMPORAL_API_KEY',
  'temporal.timeoutMs': 'TEMPORAL_TIMEOUT_MS',
  tokenEncryptionKey: 'TOKEN_ENCRYPTION_KEY',
  previousTokenEncryptionKeys: 'TOKEN_ENCRYPTION_KEY_PREVIOUS',
  'xledger.defaultEndpoint': 'XLEDGER_ENDPOINT',
  'xledger.allowedHosts': 'XLEDGER_ALLOWED_HOSTS',
  'xledger.allowInsecureLoopback': 'ALLOW_INSECURE_LOOPBACK',
  'webhooks.allowedHosts': 'WEBHOOK_ALLOWED_HOSTS',
  'webhooks.insecureHosts': 'WEBHOOK_INSECURE_HOSTS',
} as const;

/** The client's database unless it is named: never SEMINE's own by accident. */
export const CLIENT_DEFAULT_DATABASE = 'xledger_sync';

/** What the client connects with: the configuration, and whether it may write. */
export interface ClientSettings {
  config: Config;
  readOnly: boolean;
}

/** The client's options as a Config; ConfigError names the option that is wrong. */
export function clientSettings(options: unknown): ClientSettings {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join('.') || '(options)'}: ${i.message}`,
    );
    throw new ConfigError(`Invalid client options: ${problems.join('; ')}`);
  }
  const variables: Record<string, string> = { MONGODB_DB: CLIENT_DEFAULT_DATABASE };
  for (const [option, variable] of Object.entries(OPTION_VARIABLES)) {
    const value = option
      .split('.')
      .reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], parsed.data);
    if (value === undefined || (typeof value === 'object' && !Array.isArray(value))) continue;
    variables[variable] = Array.isArray(value) ? value.join(',') : String(value);
  }
  if (typeof parsed.data.temporal.tls === 'object') variables.TEMPORAL_TLS = 'true';
  const optionOf = (variable: string) =>
    Object.entries(OPTION_VARIABLES).find(([, v]) => v === variable)?.[0] ?? variable;
  return withKeyRule(
    parseVariables(variables, optionOf),
    parsed.data.readOnly === true,
    'tokenEncryptionKey',
  );
}

export const CLIENT_ENV_PREFIX = 'XLEDGER_SYNC_';

/**
 * The client's settings from `XLEDGER_SYNC_`-prefixed variables (`XLEDGER_SYNC_MONGODB_URI`,
 * `XLEDGER_SYNC_TEMPORAL_ADDRESS`, `XLEDGER_SYNC_TOKEN_ENCRYPTION_KEY`, `XLEDGER_SYNC_READ_ONLY`,
 * …: the service's own names behind the prefix), so that the host process's MONGODB_URI is never
 * taken for ours. The URI and the Temporal address must be given.
 */
export function clientSettingsFromEnv(env: NodeJS.ProcessEnv): ClientSettings {
  const variables: Record<string, string | undefined> = { MONGODB_DB: CLIENT_DEFAULT_DATABASE };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(CLIENT_ENV_PREFIX)) variables[name.slice(CLIENT_ENV_PREFIX.length)] = value;
  }
  const prefixed = (variable: string) => `${CLIENT_ENV_PREFIX}${variable}`;
  const missing = ['MONGODB_URI', 'TEMPORAL_ADDRESS'].filter((variable) => !variables[variable]);
  if (missing.length > 0) {
    throw new ConfigError(`Invalid configuration: ${missing.map(prefixed).join(', ')} must be set`);
  }
  const readOnly = z.stringbool().safeParse(variables.READ_ONLY ?? 'false');
  if (!readOnly.success)
    throw new ConfigError(`Invalid configuration: ${prefixed('READ_ONLY')}: must be true or false`);
  return withKeyRule(parseVariables(variables, prefixed), readOnly.data, prefixed('TOKEN_ENCRYPTION_KEY'));
}

/** A client that writes stores secrets, so it needs the key; a read-only one never decrypts. */
function withKeyRule(config: Config, readOnly: boolean, keyName: string): ClientSettings {
  if (!readOnly && !config.tokenEncryptionKey) {
    throw new ConfigError(
      `Invalid configuration: ${keyName} is required (32 random bytes, base64: \`openssl rand -base64 32\`) unless the client is read-only`,
    );
  }
  return { config, readOnly };
}
