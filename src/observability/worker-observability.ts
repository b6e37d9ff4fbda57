import { MetricsBuffer, type NativeConnection, type Worker } from '@temporalio/worker';
import type { Config } from '../config';
import { logger } from '../logger';
import type { Store } from '../store/db';
import { installTemporalRuntimeLogging } from '../temporal/runtime';
import { startHealthServer, type HealthServer } from './health-server';
import { registry } from './metrics';
import { check } from './readiness-check';
import { SdkMetricsForwarder } from './sdk-metrics';
import { watchStore } from './store-gauges';

export interface WorkerObservability {
  /** The running worker and its connection: /readyz checks them from now on. */
  watch(worker: Worker, connection: NativeConnection): void;
  close(): Promise<void>;
  /** Where /metrics, /healthz and /readyz listen; undefined without METRICS_PORT. */
  port: number | undefined;
}

/**
 * The worker's metrics and health endpoints on METRICS_PORT (nothing without it). Must run before
 * the worker's first Temporal connection: the SDK's runtime, installed here with a metrics buffer,
 * is created with it. It listens from the start, so /healthz answers while the worker starts and
 * /readyz says what it still waits for; close() ends it after the worker has drained.
 */
export async function startWorkerObservability(config: Config, store: Store): Promise<WorkerObservability> {
  const port = config.observability.metricsPort;
  if (port === undefined) {
    return { watch: () => undefined, close: async () => undefined, port: undefined };
  }
  const buffer = new MetricsBuffer({ maxBufferSize: 100_000, useSecondsForDurations: true });
  installTemporalRuntimeLogging({ metricsBuffer: buffer });
  const sdkMetrics = new SdkMetricsForwarder(buffer, registry);
  watchStore(store.db);

  let watched: { worker: Worker; connection: NativeConnection } | undefined;
  let server: HealthServer;
  try {
    server = await startHealthServer({
      port,
      registry,
      beforeScrape: () => sdkMetrics.drain(),
      checks: {
        live: () => watched?.worker.getState() !== 'FAILED',
        ready: async () => {
          const [temporal, mongodb] = await Promise.all([
            watched
              ? check(() => watched!.connection.workflowService.getSystemInfo({}))
              : Promise.resolve('not connected yet'),
            check(() => store.db.command({ ping: 1 })),
          ]);
          return { temporal, mongodb, worker: watched ? workerCheck(watched.worker) : 'starting' };
        },
      },
    });
  } catch (error) {
    sdkMetrics.stop();
    throw error;
  }
  logger.info({ port: server.port }, 'metrics and health endpoints listening');
  return {
    port: server.port,
    watch(worker, connection) {
      watched = { worker, connection };
    },
    async close() {
      sdkMetrics.stop();
      await server.close();
    },
  };
}

/** 'ok' when the worker runs and both its pollers poll; else what it is doing instead. */
function workerCheck(worker: Worker): string {
  const state = worker.getState();
  if (state !== 'RUNNING') return state.toLowerCase();
  const status = worker.getStatus();
  if (status.workflowPollerState !== 'POLLING')
    return `workflow poller ${status.workflowPollerState.toLowerCase()}`;
  if (status.activityPollerState !== 'POLLING')
    return `activity poller ${status.activityPollerState.toLowerCase()}`;
  return 'ok';
}
