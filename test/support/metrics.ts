/** Reading a worker's /metrics, /healthz and /readyz as Prometheus and a kubelet would. */
import type { ChildWorker } from './child-worker';
import { waitFor } from '../tenants/support';

/** Waits for a worker process to log its metrics port; returns e.g. http://127.0.0.1:41234. */
export async function workerEndpoint(worker: ChildWorker, timeoutMs = 90_000): Promise<string> {
  const port = await waitFor(
    'the worker to listen for metrics',
    () => {
      const line = worker
        .output()
        .split('\n')
        .find((l) => l.includes('"msg":"metrics and health endpoints listening"'));
      return line ? (JSON.parse(line) as { port: number }).port : undefined;
    },
    { timeoutMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; the worker said:\n${worker.output()}`);
  });
  return `http://127.0.0.1:${port}`;
}

export async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return response.text();
}

/**
 * The value of a series in Prometheus text: the sum over the lines of `name` whose labels include
 * all of `labels` (undefined when none does).
 */
export function seriesValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      total = (total ?? 0) + Number(match[3]);
    }
  }
  return total;
}

export async function probe(base: string, path: '/healthz' | '/readyz') {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
