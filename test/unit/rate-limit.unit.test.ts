import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_ALIAS, takeRateLimit, withRateLimit } from '../../src/xledger/rate-limit';
import { RequestGate } from '../../src/xledger/request-gate';

describe('rateLimit { remaining cost } beside a query', () => {
  it('is added to a query’s root selection under its own alias, and taken out of the answer', () => {
    const query =
      'query suppliersPage($first: Int) { suppliers(first: $first, ownerSet: ALL) { edges { node { dbId } } } }';
    const document = withRateLimit(query);
    expect(document).toContain(`${RATE_LIMIT_ALIAS}: rateLimit {`);
    const [operation] = parse(document).definitions;
    expect(operation?.kind === 'OperationDefinition' && operation.selectionSet.selections).toHaveLength(2);

    const answer: Record<string, unknown> = {
      suppliers: { edges: null },
      [RATE_LIMIT_ALIAS]: { remaining: 41, cost: 3 },
    };
    expect(takeRateLimit(answer)).toEqual({ remaining: 41, cost: 3 });
    expect(answer).toEqual({ suppliers: { edges: null } });
    expect(takeRateLimit({ suppliers: null })).toBeNull();
  });

  it('leaves a mutation, and a document that does not parse, as they are', () => {
    const mutation = 'mutation { addGLImportItems(inputs: []) { edges { node { dbId } } } }';
    expect(withRateLimit(mutation)).toBe(mutation);
    expect(withRateLimit('{ not graphql')).toBe('{ not graphql');
  });

  it('a pool nearly spent pauses the token; a full one, or none reported, does not', async () => {
    const gate = new RequestGate({ maxRequestsPer5s: 20, maxConcurrentRequests: 1 });
    await gate.noteCredits({ remaining: 5, cost: 1 }, 60_000);
    await gate.noteCredits({ remaining: null, cost: 1 }, 60_000);
    await expect(gate.run(() => Promise.resolve('sent'))).resolves.toBe('sent');
    // Under five requests' worth of the last one's cost: paused for the wait given.
    await gate.noteCredits({ remaining: 14, cost: 3 }, 60_000);
    await expect(gate.run(() => Promise.resolve('sent'))).rejects.toMatchObject({
      kind: 'credits_exhausted',
    });
  });
});
