import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDefinition } from '../../src/datatypes/stream';
import { suppliersStream } from '../../src/datatypes/suppliers';
import { employeesStream } from '../../src/datatypes/projects';
import { SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { XledgerClient } from '../../src/xledger/client';
import { isDeltaCursorRefused } from '../../src/xledger/deltas';
import { XledgerError } from '../../src/xledger/errors';
import { entityTree, streamPages } from '../../src/xledger/operations';
import { RequestBatch } from '../../src/xledger/request-batch';
import { RequestGate } from '../../src/xledger/request-gate';
import { STRICT_XLEDGER_POLICY } from '../../src/security/endpoint-policy';

/**
 * Several queries in one Xledger request (Xledger charges per request): a run's streams send
 * their first pages together (RequestBatch), and read-only look-ups waiting for a token's budget
 * share one request (requestShared). Against the simulator: what it counts, and that each part
 * gets its own answer — or its own error — as if it had been sent alone.
 */
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 3, suppliers: 50 });
});
afterAll(() => sim?.close());

const clientWith = (gate: RequestGate) =>
  new XledgerClient({
    endpoint: sim.graphqlUrl,
    token: SEED_TOKENS.root,
    endpointPolicy: { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true },
    requestTimeoutMs: 10_000,
    gate,
  });
const roomyGate = () => new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 2 });
const requests = () => sim.counters.get('root')?.requests ?? 0;
const page = (stream: StreamDefinition, companion?: { read: 'after'; after: string }) => {
  const operation = streamPages(stream, {}, companion).first;
  const variables: Record<string, unknown> = { ...operation.variables, first: 5, after: null };
  return { document: operation.document, variables };
};

describe('a batch of first requests', () => {
  it('goes out as one request once every member has joined or left, each member getting its own answer', async () => {
    const gate = roomyGate();
    const batch = new RequestBatch(3);
    const [a, b, c] = [0, 1, 2].map(() => clientWith(gate).batchedWith(batch.slot()));
    const before = requests();
    const suppliers = page(suppliersStream);
    const employees = page(employeesStream);
    const answers = Promise.all([
      a!.request<Record<string, { edges: unknown[] }>>(suppliers.document, suppliers.variables),
      b!.request<Record<string, { edges: unknown[] }>>(employees.document, employees.variables),
    ]);
    // The third member leaves without a request: the other two go out then.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(requests()).toBe(before);
    c!.request(entityTree().document).catch(() => undefined);
    const [supplierAnswer, employeeAnswer] = await answers;
    expect(Object.keys(supplierAnswer)).toEqual(['suppliers']);
    expect(supplierAnswer.suppliers!.edges).toHaveLength(5);
    expect(Object.keys(employeeAnswer)).toEqual(['employees']);
    expect(requests()).toBe(before + 1);
    // The counts go to the client that sent the request; later requests go out alone.
    expect(a!.usage.requests + b!.usage.requests + c!.usage.requests).toBe(1);
    await a!.request(suppliers.document, suppliers.variables);
    expect(requests()).toBe(before + 2);
  });

  it("fails only the part whose field Xledger refused, with that part's own path", async () => {
    const before = requests();
    const batch = new RequestBatch(2);
    const gate = roomyGate();
    const [good, refused] = [0, 1].map(() => clientWith(gate).batchedWith(batch.slot()));
    const suppliers = page(suppliersStream);
    // A delta cursor Xledger never issued: refused on the `deltas` field of that part.
    const employees = page(employeesStream, { read: 'after', after: '99999999' });
    const [ok, failed] = await Promise.allSettled([
      good!.request(suppliers.document, suppliers.variables),
      refused!.request(employees.document, employees.variables),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(failed.status).toBe('rejected');
    const error = (failed as PromiseRejectedResult).reason as XledgerError;
    expect(error).toBeInstanceOf(XledgerError);
    expect(error.details.path).toEqual(['deltas']);
    expect(isDeltaCursorRefused(error)).toBe(true);
    // The refused field is non-null: it took the whole answer with it, and the good part was
    // asked again on its own.
    expect(requests()).toBe(before + 2);
  });
});

describe('read-only queries waiting for a token budget', () => {
  it('share one request when they queue, and go out alone when they do not', async () => {
    // One request per 5 s: the first goes at once, the next ones wait — and share.
    const gate = new RequestGate({ maxRequestsPer5s: 1, maxConcurrentRequests: 1 });
    const client = clientWith(gate);
    const before = requests();
    const suppliers = page(suppliersStream);
    const first = await client.requestShared<Record<string, unknown>>(
      suppliers.document,
      suppliers.variables,
    );
    expect(Object.keys(first)).toEqual(['suppliers']);
    expect(requests()).toBe(before + 1);
    const employees = page(employeesStream);
    const waiting = await Promise.all([
      client.requestShared<Record<string, unknown>>(suppliers.document, suppliers.variables),
      client.requestShared<Record<string, unknown>>(employees.document, employees.variables),
      clientWith(gate).requestShared<Record<string, unknown>>(entityTree().document),
    ]);
    expect(waiting.map((answer) => Object.keys(answer))).toEqual([
      ['suppliers'],
      ['employees'],
      ['entities'],
    ]);
    expect(waiting[0]).toEqual(first);
    expect(requests()).toBe(before + 2);
  }, 30_000);
});
