import { readFile } from 'node:fs/promises';
import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
  type TLSConfig,
} from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError, type Config, type TemporalTls } from '../config';
import { installTemporalRuntimeLogging } from './runtime';

/** TLS and API-key options shared by the client's and the worker's connections. */
async function connectionOptions(
  temporal: Config['temporal'],
): Promise<ConnectionOptions & NativeConnectionOptions> {
  return {
    address: temporal.address,
    ...(temporal.tls ? { tls: await tlsConfig(temporal.tls) } : {}),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}

/** The SDK's TLS options; a file that cannot be read names its variable (never its content). */
export async function tlsConfig(tls: TemporalTls): Promise<TLSConfig> {
  const read = async (variable: string, path: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        `Invalid configuration: ${variable}: cannot read ${path}${code ? ` (${code})` : ''}`,
      );
    }
  };
  return {
    ...(tls.clientCertPath && tls.clientKeyPath
      ? {
          clientCertPair: {
            crt: await read('TEMPORAL_TLS_CLIENT_CERT_PATH', tls.clientCertPath),
            key: await read('TEMPORAL_TLS_CLIENT_KEY_PATH', tls.clientKeyPath),
          },
        }
      : {}),
    ...(tls.serverCaCertPath
      ? { serverRootCACertificate: await read('TEMPORAL_TLS_SERVER_CA_CERT_PATH', tls.serverCaCertPath) }
      : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

/** Temporal could not be reached, or did not answer in time; the message names the address. */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/**
 * The client connection of the client API, the CLI and activities. It gives up connecting after
 * `timeoutMs`, and every call without a deadline of its own gets one (`timeoutMs` from its
 * start, retries included): a Temporal that accepts connections but never answers fails the
 * call instead of hanging. Long polls (waiting for a workflow's result or an update) are left
 * without one: they wait for the workflow by design.
 */
export async function connectClient(temporal: Config['temporal']): Promise<Connection> {
  const options = await connectionOptions(temporal); // a file that cannot be read is no outage
  try {
    return await Connection.connect({
      ...options,
      connectTimeout: temporal.timeoutMs,
      interceptors: [callDeadline(temporal.timeoutMs), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    });
  } catch (error) {
    throw temporalUnavailable(temporal, error);
  }
}

const LONG_POLLS = new Set([
  'GetWorkflowExecutionHistory',
  'PollWorkflowExecutionUpdate',
  'UpdateWorkflowExecution',
  'ExecuteMultiOperation',
]);

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * A gRPC interceptor that sets a deadline on every call that has none, except long polls.
 * (It hands on the next interceptor's call unchanged: an InterceptingCallInterface, which is all
 * grpc-js uses of it, hence the cast instead of a dependency on @grpc/grpc-js for its class.)
 */
export function callDeadline(timeoutMs: number): Interceptor {
  return (options, nextCall) => {
    const method = options.method_definition.path.split('/').pop() ?? '';
    const next =
      options.deadline !== undefined || LONG_POLLS.has(method)
        ? nextCall(options)
        : nextCall({ ...options, deadline: Date.now() + timeoutMs });
    return next as ReturnType<Interceptor>;
  };
}

/** The gRPC status code of an error or of one of its causes (the SDK wraps gRPC errors). */
function grpcCode(error: unknown): number | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, details } = e as { code?: unknown; details?: unknown };
    if (typeof code === 'number' && typeof details === 'string') return code;
  }
  return undefined;
}

const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** True for a Temporal call that ran out of time or found no server (the message then names Temporal). */
export function isTemporalUnavailable(error: unknown): boolean {
  const code = grpcCode(error);
  return error instanceof TemporalUnavailableError || code === DEADLINE_EXCEEDED || code === UNAVAILABLE;
}

/** The error for a Temporal that failed to answer: names the address and, for a timeout, the deadline. */
export function temporalUnavailable(temporal: Config['temporal'], error: unknown): TemporalUnavailableError {
  if (error instanceof TemporalUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = `Temporal at ${temporal.address}`;
  if (grpcCode(error) === DEADLINE_EXCEEDED || /deadline/i.test(message)) {
    return new TemporalUnavailableError(
      `${where} did not answer within ${Number((temporal.timeoutMs / 1000).toFixed(1))} s`,
    );
  }
  return new TemporalUnavailableError(`${where} is unreachable: ${message}`);
}

export async function connectWorker(temporal: Config['temporal']): Promise<NativeConnection> {
  // The SDK's runtime is created with the first native connection: route its logs first.
  installTemporalRuntimeLogging();
  return NativeConnection.connect(await connectionOptions(temporal));
}
