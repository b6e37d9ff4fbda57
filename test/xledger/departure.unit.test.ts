import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyLeavingBy, departureMissedIn, DepartureMissed } from '../../src/xledger/departure';

/**
 * A create's departure deadline, checked when fetch asks for the end of its body: a request whose
 * worker froze after its bytes were handed out, and woke past the deadline, never completes, so a
 * server (which runs a request only once its body is whole) never runs it.
 */
const received: Array<{ complete: boolean; bytes: number }> = [];
const server = createServer((request: IncomingMessage, response) => {
  let bytes = 0;
  let complete = false;
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    complete = true;
    response.end('ran');
  });
  request.on('close', () => received.push({ complete, bytes }));
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const BODY = new TextEncoder().encode(JSON.stringify({ query: 'mutation { addGLImportItems }' }));
const post = (body: ReadableStream<Uint8Array>) =>
  fetch(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
const closed = async (count: number) => {
  for (let i = 0; i < 100 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
};

describe('a body that leaves only by its deadline', () => {
  it('in time: the server gets it whole and runs it', async () => {
    const response = await post(bodyLeavingBy(BODY, new Date(Date.now() + 10_000)));
    expect(await response.text()).toBe('ran');
    await closed(1);
    expect(received.at(-1)).toEqual({ complete: true, bytes: BODY.length });
  });

  it('frozen after its bytes left, woken past the deadline: the body never ends, the server never runs it', async () => {
    const leavesBy = new Date(Date.now() + 10_000);
    // The clock as the woken worker sees it: the first look (the bytes) in time, the next (the end) late.
    let looks = 0;
    const now = () => (++looks === 1 ? Date.now() : leavesBy.getTime() + 1);
    const error = await post(bodyLeavingBy(BODY, leavesBy, now)).catch((e: unknown) => e);
    expect(departureMissedIn(error)).toBeInstanceOf(DepartureMissed);
    await closed(2);
    // The server had the bytes but never the end of the body: nothing ran.
    expect(received.at(-1)).toEqual({ complete: false, bytes: BODY.length });
  });

  it('past the deadline before it starts: nothing is handed out, nothing runs', async () => {
    const ranBefore = received.filter((r) => r.complete).length;
    const error = await post(bodyLeavingBy(BODY, new Date(Date.now() - 1))).catch((e: unknown) => e);
    expect(departureMissedIn(error)).toBeInstanceOf(DepartureMissed);
    await new Promise((r) => setTimeout(r, 200));
    expect(received.filter((r) => r.complete).length).toBe(ranBefore);
    expect(received.every((r) => r.complete || r.bytes <= BODY.length)).toBe(true);
  });
});
