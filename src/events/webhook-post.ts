/**
 * One webhook POST on node:http(s), so that the connection's DNS look-up can be the guarded one
 * (security/webhook-connection.ts): the address is judged when the socket connects, not when the
 * URL was checked. A fresh agent per request (`agent: false`): no pooled socket outlives the check
 * that admitted it.
 */
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

export interface PostAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Raised when the receiver did not answer in time (`name` as AbortSignal.timeout's error). */
export class PostTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export function postWebhook(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; lookup?: LookupFunction },
): Promise<PostAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    agent: false,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = send(url, requestOptions, (res) => {
      clearTimeout(timer);
      // Free the connection; the answer's body is not ours to keep.
      res.resume();
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    const timer = setTimeout(
      () => req.destroy(new PostTimeoutError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}
