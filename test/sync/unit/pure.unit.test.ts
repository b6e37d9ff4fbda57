import { describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/store/records';
import { OwnershipRule } from '../../../src/domain/ownership';
import { compareWallClock, shiftWallClock, toXledgerWallClock } from '../../../src/domain/cet';
import {
  DELTA_CURSOR_MAX_AGE_MS,
  deltaCursorFallback,
  isDeltaCursorRefused,
} from '../../../src/xledger/deltas';
import {
  errorFromGraphQLErrors,
  errorFromHttpStatus,
  errorFromNetwork,
  XledgerError,
} from '../../../src/xledger/errors';
import type { RecordToStore } from '../../../src/domain/records';

describe('cet: Xledger wall-clock times', () => {
  it('shows an instant as Oslo wall-clock time, winter (UTC+1) and summer (UTC+2), without a fraction', () => {
    expect(toXledgerWallClock(new Date('2026-01-15T11:30:00.250Z'))).toBe('2026-01-15T12:30:00');
    expect(toXledgerWallClock(new Date('2026-07-01T22:15:00.000Z'))).toBe('2026-07-02T00:15:00');
  });
  it('shifts on the wall clock across midnight and months, to yyyy-MM-ddTHH:mm:ss (what Xledger takes)', () => {
    expect(shiftWallClock('2026-03-01T00:05:00', -15)).toBe('2026-02-28T23:50:00');
    // A mark stored with a fraction (older checkpoints) is sent without one, never later.
    expect(shiftWallClock('2026-03-29T02:10:00.500', -15)).toBe('2026-03-29T01:55:00');
    expect(() => shiftWallClock('yesterday', -15)).toThrow(/wall-clock/);
  });
  it('compares times with and without seconds or milliseconds', () => {
    expect(compareWallClock('2026-01-01T10:00', '2026-01-01T10:00:00.000')).toBe(0);
    expect(compareWallClock('2026-01-01T10:00:00', '2026-01-01T10:00:00.000')).toBe(0);
    expect(compareWallClock('2026-01-01T10:00:00.1', '2026-01-01T10:00:00.099')).toBe(1);
    expect(compareWallClock('2025-12-31T23:59:59.999', '2026-01-01T00:00')).toBe(-1);
  });
});

describe('delta cursors', () => {
  const now = Date.parse('2026-05-10T12:00:00Z');
  it('a cursor read within Xledger’s retention (less a margin) is used; older or missing ones mean a full pass', () => {
    expect(deltaCursorFallback(new Date(now - 3_600_000), now)).toBeNull();
    expect(deltaCursorFallback(new Date(now - DELTA_CURSOR_MAX_AGE_MS + 1_000), now)).toBeNull();
    expect(deltaCursorFallback(new Date(now - DELTA_CURSOR_MAX_AGE_MS - 1_000), now)).toBe(
      'delta_cursor_expired',
    );
    expect(deltaCursorFallback(new Date(now - 4 * 24 * 3_600_000), now)).toBe('delta_cursor_expired');
    expect(deltaCursorFallback(null, now)).toBe('delta_cursor_missing');
    expect(deltaCursorFallback(undefined, now)).toBe('delta_cursor_missing');
  });
  it('a refusal of the delta field counts as an unknown cursor; other refusals do not', () => {
    const refused = errorFromGraphQLErrors(
      [{ message: 'not a known cursor', code: 'INVALID_VALUE', path: ['deltas'] }],
      200,
    );
    expect(isDeltaCursorRefused(refused)).toBe(true);
    const other = errorFromGraphQLErrors(
      [{ message: 'bad', code: 'INVALID_VALUE', path: ['suppliers'] }],
      200,
    );
    expect(isDeltaCursorRefused(other)).toBe(false);
    const timeout = errorFromGraphQLErrors([{ message: 'Your query timed out.', path: ['deltas'] }], 200);
    expect(isDeltaCursorRefused(timeout)).toBe(false);
  });
});

describe('ownership', () => {
  const entities = [
    { dbId: 100, parentDbId: null },
    { dbId: 101, parentDbId: 100 },
    { dbId: 102, parentDbId: 101 },
    { dbId: 103, parentDbId: 101 },
    { dbId: 105, parentDbId: 100 },
    { dbId: 106, parentDbId: 105 },
    { dbId: 109, parentDbId: 102 },
  ];
  const rule = new OwnershipRule(101, entities);
  it('keeps the owner (shared) and its clients (client only)', () => {
    expect(rule.classify(101)).toEqual({ entityDbId: 101, visibility: 'owner' });
    expect(rule.classify(103)).toEqual({ entityDbId: 103, visibility: 'client' });
    expect(rule.clientDbIds.sort()).toEqual([102, 103]);
  });
  it('drops the root, other owners, their clients and grandchildren', () => {
    for (const other of [100, 105, 106, 109, 999]) expect(rule.classify(other)).toBeNull();
  });
  it('knows which entities it has never seen', () => {
    expect(rule.isUnknownEntity(106)).toBe(false);
    expect(rule.isUnknownEntity(999)).toBe(true);
  });
});

describe('Xledger error classification', () => {
  const one = (error: Record<string, unknown>, status = 200) => errorFromGraphQLErrors([error], status);
  it.each([
    [{ code: 'BAD_REQUEST.BURST_RATE_LIMIT_REACHED', message: 'x' }, 'rate_limited', true],
    [{ code: 'BAD_REQUEST.CONCURRENCY_LIMIT_REACHED', message: 'x' }, 'rate_limited', true],
    [{ code: 'BAD_REQUEST.INSUFFICIENT_CREDITS', message: 'x' }, 'credits_exhausted', true],
    [{ message: 'Your query timed out.', extensions: { code: 'QUERY_TIMEOUT' } }, 'query_timeout', true],
    [
      { message: 'Missing scope SUPPLIER_READ for field suppliers', extensions: { code: 'FORBIDDEN' } },
      'missing_scope',
      false,
    ],
    [{ code: 'UNAUTHORIZED', message: 'no' }, 'unauthorized', false],
    [
      { message: 'Argument "first" is 20000', extensions: { code: 'INVALID_VALUE' } },
      'invalid_request',
      false,
    ],
  ] as const)('%j → %s', (error, kind, retryable) => {
    const classified = one(error);
    expect(classified).toBeInstanceOf(XledgerError);
    expect(classified.kind).toBe(kind);
    expect(classified.retryable).toBe(retryable);
  });
  it('recognises a refused token by its message: the real answer has no code (grasp-labs tests)', () => {
    const real = {
      message: 'Bad format for API Token. Expected header: "Authorization: token <your-token>"',
    };
    for (const status of [200, 400]) {
      const classified = one(real, status);
      expect(classified.kind).toBe('unauthorized');
      expect(classified.retryable).toBe(false);
      expect(classified.message).toMatch(/^Xledger refused the token: Bad format for API Token/);
    }
    // Beside other errors of the same answer, the token still wins.
    expect(errorFromGraphQLErrors([{ message: 'boom' }, real], 200).kind).toBe('unauthorized');
    // A message that only mentions a token is not a refusal of ours.
    expect(one({ message: 'Cannot query field "token" on type "Query".' }).kind).toBe('invalid_request');
  });
  it('names the missing scope from extensions or the message', () => {
    expect(
      one({ message: 'no', extensions: { code: 'FORBIDDEN', scope: 'ACCOUNT_READ' } }).details.scope,
    ).toBe('ACCOUNT_READ');
    expect(
      one({ message: 'Missing scope OBJECT_READ for field x', extensions: { code: 'FORBIDDEN' } }).details
        .scope,
    ).toBe('OBJECT_READ');
  });
  it('gives rate limits a wait, and spent credits a pause within the hour (an hourly pool, not a monthly quota)', () => {
    expect(one({ code: 'BAD_REQUEST.BURST_RATE_LIMIT_REACHED' }).details.retryAfterMs).toBeGreaterThanOrEqual(
      1_000,
    );
    const inTenMinutes = new Date(Date.now() + 600_000).toISOString();
    const credits = one({ code: 'BAD_REQUEST.INSUFFICIENT_CREDITS', extensions: { resetAt: inTenMinutes } });
    expect(credits.retryable).toBe(true);
    expect(credits.details.retryAfterMs).toBeGreaterThan(590_000);
    expect(credits.details.retryAfterMs).toBeLessThanOrEqual(600_000);
    expect(credits.message).toMatch(/hourly credits .* pause for about 10 min/);
    expect(credits.message).not.toMatch(/monthly/i);
    // A far reset is capped at an hour: the pool is hourly.
    const far = one({
      code: 'BAD_REQUEST.INSUFFICIENT_CREDITS',
      extensions: { resetAt: '2099-01-01T00:00:00Z' },
    });
    expect(far.details.retryAfterMs).toBe(3_600_000);
    // Without a hint: Xledger's own sample waits 20 minutes.
    const bare = one({ code: 'BAD_REQUEST.INSUFFICIENT_CREDITS', message: 'Insufficient credits.' });
    expect(bare.details).toMatchObject({ retryAfterMs: 1_200_000, waitAdvised: false });
    expect(one({ code: 'INSUFFICIENT_CREDITS', extensions: { retryAfter: 90 } }).details.retryAfterMs).toBe(
      90_000,
    );
  });
  it('puts the most actionable error first', () => {
    const mixed = errorFromGraphQLErrors(
      [
        { message: 'bad', extensions: { code: 'INVALID_VALUE' } },
        { code: 'UNAUTHORIZED', message: 'no' },
      ],
      200,
    );
    expect(mixed.kind).toBe('unauthorized');
  });
  it('classifies bare HTTP statuses and network failures', () => {
    expect(errorFromHttpStatus(401, '').kind).toBe('unauthorized');
    expect(errorFromHttpStatus(429, '').kind).toBe('rate_limited');
    expect(errorFromHttpStatus(503, 'Service Unavailable').kind).toBe('transient');
    expect(errorFromHttpStatus(400, 'nope').kind).toBe('invalid_request');
    expect(errorFromGraphQLErrors([{ message: 'boom' }], 502).kind).toBe('transient');
    const reset = errorFromNetwork(
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      1000,
    );
    expect(reset.kind).toBe('transient');
    expect(reset.message).toContain('ECONNRESET');
    const timeout = errorFromNetwork(Object.assign(new Error('t'), { name: 'TimeoutError' }), 1234);
    expect(timeout.kind).toBe('transient');
    expect(timeout.message).toContain('1234');
  });
});

describe('content hash', () => {
  const record: RecordToStore = {
    dbId: 1,
    entityDbId: 101,
    visibility: 'owner',
    fields: { code: 'S1', description: 'Acme', company: { dbId: 9, companyNumber: '123' }, email: null },
  };
  it('is stable: a known value, whatever the key order, ignoring undefined fields', () => {
    const hash = contentHash(record);
    expect(hash).toMatch(/^[\w-]{43}$/);
    const reordered: RecordToStore = {
      dbId: 1,
      visibility: 'owner',
      entityDbId: 101,
      fields: {
        email: null,
        company: { companyNumber: '123', dbId: 9 },
        description: 'Acme',
        code: 'S1',
        extra: undefined,
      },
    };
    expect(contentHash(reordered)).toBe(hash);
    // Pinned: a change of the hashing would rewrite every stored record on the next pass.
    expect(hash).toBe('qM-VUYVYKNNruiF_YjsRAMJeOoKM94qg2Sh_5ENxUSU');
  });
  it('changes with any field, the entity or the visibility, but not with the dbId', () => {
    const hash = contentHash(record);
    expect(contentHash({ ...record, fields: { ...record.fields, description: 'Acme AS' } })).not.toBe(hash);
    expect(contentHash({ ...record, fields: { ...record.fields, email: '' } })).not.toBe(hash);
    expect(contentHash({ ...record, entityDbId: 102, visibility: 'client' })).not.toBe(hash);
    expect(contentHash({ ...record, dbId: 2 })).toBe(hash);
  });
});
