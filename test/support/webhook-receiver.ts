/**
 * A real HTTP receiver for webhook tests: one path per tenant, every request kept with its
 * raw body and headers in arrival order, and per-path behaviour the test sets — answer with an
 * error status for a while, or hold requests until released.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (null while held). */
  status: number | null;
}

export interface PathBehaviour {
  /** Answer this many of the next requests with `failStatus` (default 503). */
  failNext?: number;
  failStatus?: number;
  /** Headers of those failing answers (e.g. `retry-after`). */
  failHeaders?: Record<string, string>;
  /** Hold every request unanswered until `release()` (a receiver that hangs). */
  hold?: boolean;
  /** Answer every request of these events (`webhook-id`) with `failStatus` and `failHeaders`, forever. */
  refuseIds?: readonly string[];
}

export interface WebhookReceiver {
  url(path: string): string;
  requests(path: string): ReceivedRequest[];
  /** Every request of every path, in arrival order. */
  all(): ReceivedRequest[];
  /** Requests answered 2xx, in arrival order, as parsed payloads. */
  delivered(path: string): Array<{ id: string; seq: number; type: string; data: unknown }>;
  behave(path: string, behaviour: PathBehaviour): void;
  /** Answers the held requests of a path (200) and stops holding new ones. */
  release(path: string): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const behaviours = new Map<string, PathBehaviour>();
  const held = new Map<string, Array<{ request: ReceivedRequest; response: ServerResponse }>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const request: ReceivedRequest = {
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: null,
      };
      received.push(request);
      const behaviour = behaviours.get(path) ?? {};
      if (behaviour.hold) {
        held.set(path, [...(held.get(path) ?? []), { request, response: res }]);
        return;
      }
      let status = 200;
      let headers: Record<string, string> = {};
      if (behaviour.refuseIds?.includes(String(req.headers['webhook-id']))) {
        status = behaviour.failStatus ?? 503;
        headers = behaviour.failHeaders ?? {};
      } else if ((behaviour.failNext ?? 0) > 0) {
        behaviour.failNext! -= 1;
        status = behaviour.failStatus ?? 503;
        headers = behaviour.failHeaders ?? {};
      }
      request.status = status;
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const forPath = (path: string) => received.filter((r) => r.path === path);
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests: forPath,
    all: () => [...received],
    delivered: (path) =>
      forPath(path)
        .filter((r) => r.status !== null && r.status >= 200 && r.status < 300)
        .map((r) => JSON.parse(r.body) as { id: string; seq: number; type: string; data: unknown }),
    behave: (path, behaviour) => behaviours.set(path, { ...behaviour }),
    release(path) {
      behaviours.set(path, { ...behaviours.get(path), hold: false });
      for (const { request, response } of held.get(path) ?? []) {
        request.status = 200;
        if (!response.destroyed) response.writeHead(200).end();
      }
      held.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
