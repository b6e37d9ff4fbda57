import type { XledgerErrorKind } from './errors';

/** What the client reports of its requests; nothing of a request's content or token. */
export interface XledgerRequestObserver {
  /** One request answered or failed (the error's kind), sent to answered, without the gate's wait. */
  request(event: { durationMs: number; error?: XledgerErrorKind }): void;
  bytes(sent: number, received: number): void;
  /** A request Xledger refused for a rate limit waits this long before it is sent again. */
  rateLimitWait(ms: number): void;
}

/** What a client has cost so far: Xledger charges per request and per MB. */
export interface XledgerUsage {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}
