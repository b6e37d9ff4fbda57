import { readFile } from 'node:fs/promises';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { installTemporalRuntimeLogging } from './runtime';

/** TLS and API-key options shared by the client's and the worker's connections. */
async function connectionOptions(
  temporal: Config['temporal'],
): Promise<ConnectionOptions & NativeConnectionOptions> {
  const tls = temporal.tls
    ? {
        clientCertPair: {
          crt: await readFile(temporal.tls.certPath),
          key: await readFile(temporal.tls.keyPath),
        },
      }
    : temporal.apiKey
      ? true
      : undefined;
  return {
    address: temporal.address,
    ...(tls ? { tls } : {}),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}

export async function connectClient(temporal: Config['temporal']): Promise<Connection> {
  return Connection.connect(await connectionOptions(temporal));
}

export async function connectWorker(temporal: Config['temporal']): Promise<NativeConnection> {
  // The SDK's runtime is created with the first native connection: route its logs first.
  installTemporalRuntimeLogging();
  return NativeConnection.connect(await connectionOptions(temporal));
}
