import { assertDeparting, bodyLeavingBy, departureMissedIn, type DepartureMissed } from './departure';
import { errorFromNetwork, XledgerError } from './errors';
import { bodyBytes } from './file-upload';
import type { XledgerRequestObserver, XledgerUsage } from './usage';

export interface HttpExchangeOptions {
  requestTimeoutMs: number;
  /** Told of every request's bytes (the worker's metrics). */
  observer?: XledgerRequestObserver;
}

/**
 * One HTTP exchange with Xledger, as every request of the client makes it: counted (requests and
 * bytes, in `usage` and the observer), bounded by the request timeout, never following a
 * redirect (it would carry the Authorization header elsewhere), network failures cast to
 * XledgerError. With `leavesBy`, the request leaves by then or not at all (departure.ts).
 */
export async function httpExchange(
  options: HttpExchangeOptions,
  usage: XledgerUsage,
  input: string | URL | Request,
  init: RequestInit | undefined,
  leavesBy?: Date,
): Promise<Response> {
  const request = leavesBy ? leavingBy(init, leavesBy) : { ...init };
  usage.requests += 1;
  const sent = bodyBytes(init?.body);
  usage.bytesSent += sent;
  let response: Response;
  let body: ArrayBuffer;
  try {
    response = await fetch(input, {
      ...request,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    body = await response.arrayBuffer();
  } catch (error) {
    const missed = departureMissedIn(error);
    if (missed) throw notSent(missed);
    throw errorFromNetwork(error, options.requestTimeoutMs);
  }
  if (response.status >= 300 && response.status < 400) {
    throw new XledgerError(
      'invalid_request',
      `Xledger answered HTTP ${response.status} (a redirect); it is not followed, so the token goes nowhere else: check the endpoint`,
      { status: response.status },
    );
  }
  usage.bytesReceived += body.byteLength;
  options.observer?.bytes(sent, body.byteLength);
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The request with its body as a stream that ends only by `leavesBy`; refused once it has passed. */
function leavingBy(init: RequestInit | undefined, leavesBy: Date): RequestInit {
  try {
    assertDeparting(leavesBy);
  } catch (error) {
    throw notSent(error as DepartureMissed);
  }
  const bytes = typeof init?.body === 'string' ? new TextEncoder().encode(init.body) : init?.body;
  if (!(bytes instanceof Uint8Array))
    throw new TypeError('a request with a departure deadline needs a body of bytes');
  // fetch asks for the stream's end only as its bytes leave (departure.ts).
  return { ...init, body: bodyLeavingBy(bytes, leavesBy), duplex: 'half' } as RequestInit;
}

/** A request that provably never reached Xledger whole: its departure deadline passed first. */
function notSent(missed: DepartureMissed): XledgerError {
  return new XledgerError(
    'transient',
    `The request was not sent: ${missed.message} (it waited in this worker past its deadline); a later attempt sends it again`,
    { neverSent: true },
  );
}
