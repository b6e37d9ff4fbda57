import { describe, expect, it } from 'vitest';
import {
  decidePassMode,
  requestedMode,
  restartsFullOnRefusedCursor,
  type PassModeFacts,
} from '../../src/sync/pass-mode';
import { DELTA_CURSOR_MAX_AGE_MS } from '../../src/xledger/deltas';

const HOUR = 3_600_000;
const now = Date.parse('2026-05-10T12:00:00Z');

/** A stream with a change cursor and a delta query, read whole 2 hours ago, its delta cursor 1 hour old. */
function facts(overrides: Partial<PassModeFacts> = {}): PassModeFacts {
  return {
    requested: 'auto',
    stream: { changeCursor: 'modifiedAt', deltas: 'supplier_deltas' },
    checkpoint: {
      highWaterMark: '2026-05-10T13:00:00',
      lastFullPassAt: new Date(now - 2 * HOUR),
      deltaCursorAt: new Date(now - HOUR),
    },
    tenant: { fullPassIntervalHours: 24 },
    now,
    ...overrides,
  };
}
const checkpoint = (fields: Partial<PassModeFacts['checkpoint']>) => ({ ...facts().checkpoint, ...fields });

describe('decidePassMode: the one decision of a pass’s mode', () => {
  it('a scheduled pass with a fresh checkpoint and delta cursor is incremental', () => {
    expect(decidePassMode(facts())).toEqual({ mode: 'incremental', reason: 'incremental' });
    expect(decidePassMode(facts({ requested: 'incremental' }))).toEqual({
      mode: 'incremental',
      reason: 'incremental',
    });
  });

  it('a full request is full, whatever the checkpoint, and is no fallback', () => {
    expect(decidePassMode(facts({ requested: 'full' }))).toEqual({ mode: 'full', reason: 'full_requested' });
    const never = facts({ requested: 'full', checkpoint: checkpoint({ lastFullPassAt: null }) });
    expect(decidePassMode(never)).toEqual({ mode: 'full', reason: 'full_requested' });
  });

  it('a stream never read whole is read whole, even when incremental was asked for', () => {
    for (const requested of ['auto', 'incremental'] as const) {
      const decided = decidePassMode(facts({ requested, checkpoint: checkpoint({ lastFullPassAt: null }) }));
      expect(decided).toEqual({ mode: 'full', reason: 'never_read_whole' });
    }
  });

  it('auto: full once the tenant’s full-pass interval has passed since the last full pass (inclusive)', () => {
    const at = (hoursAgo: number, interval: number) =>
      decidePassMode(
        facts({
          checkpoint: checkpoint({ lastFullPassAt: new Date(now - hoursAgo * HOUR) }),
          tenant: { fullPassIntervalHours: interval },
        }),
      );
    expect(at(23, 24).mode).toBe('incremental');
    expect(at(24, 24)).toEqual({ mode: 'full', reason: 'full_pass_due' });
    expect(at(30, 24)).toEqual({ mode: 'full', reason: 'full_pass_due' });
    expect(at(5, 4)).toEqual({ mode: 'full', reason: 'full_pass_due' });
  });

  it('an explicit incremental request is not made full by the full-pass interval', () => {
    const overdue = checkpoint({ lastFullPassAt: new Date(now - 100 * HOUR) });
    expect(decidePassMode(facts({ requested: 'incremental', checkpoint: overdue })).mode).toBe('incremental');
  });

  it('a stream without a change filter, or without a high-water mark, can only be read whole', () => {
    expect(
      decidePassMode(facts({ stream: { changeCursor: null, deltas: undefined }, requested: 'incremental' })),
    ).toEqual({ mode: 'full', reason: 'no_change_cursor' });
    expect(decidePassMode(facts({ checkpoint: checkpoint({ highWaterMark: null }) }))).toEqual({
      mode: 'full',
      reason: 'no_high_water_mark',
    });
  });

  it('a delta stream whose cursor is missing or older than Xledger keeps deltas runs full, as a fallback', () => {
    expect(decidePassMode(facts({ checkpoint: checkpoint({ deltaCursorAt: null }) }))).toEqual({
      mode: 'full',
      reason: 'delta_cursor_missing',
      fallback: 'delta_cursor_missing',
    });
    // Checkpoints written before the cursor's age was kept have no field at all.
    expect(decidePassMode(facts({ checkpoint: checkpoint({ deltaCursorAt: undefined }) })).fallback).toBe(
      'delta_cursor_missing',
    );
    const old = checkpoint({ deltaCursorAt: new Date(now - DELTA_CURSOR_MAX_AGE_MS - 1_000) });
    expect(decidePassMode(facts({ checkpoint: old }))).toEqual({
      mode: 'full',
      reason: 'delta_cursor_expired',
      fallback: 'delta_cursor_expired',
    });
    const young = checkpoint({ deltaCursorAt: new Date(now - DELTA_CURSOR_MAX_AGE_MS + 1_000) });
    expect(decidePassMode(facts({ checkpoint: young })).mode).toBe('incremental');
  });

  it('a stream without a delta query needs no delta cursor; a pass full for another reason is no fallback', () => {
    const noDeltas = facts({
      stream: { changeCursor: 'modifiedAt', deltas: undefined },
      checkpoint: checkpoint({ deltaCursorAt: null }),
    });
    expect(decidePassMode(noDeltas)).toEqual({ mode: 'incremental', reason: 'incremental' });
    const due = facts({
      checkpoint: checkpoint({ lastFullPassAt: new Date(now - 48 * HOUR), deltaCursorAt: null }),
    });
    expect(decidePassMode(due)).toEqual({ mode: 'full', reason: 'full_pass_due' });
  });
});

describe('requestedMode: what a run asks of its passes', () => {
  it('a taken full resync request makes it full; an incremental one leaves the run’s own request', () => {
    expect(requestedMode('auto', { full: true })).toBe('full');
    expect(requestedMode('incremental', { full: true })).toBe('full');
    expect(requestedMode('auto', { full: false })).toBe('auto');
    expect(requestedMode('incremental', null)).toBe('incremental');
    expect(requestedMode('full', null)).toBe('full');
  });
});

describe('restartsFullOnRefusedCursor: the one change of mode after a pass has started', () => {
  const fresh = { mode: 'incremental' as const, after: null, deltasRead: false };
  it('only an incremental pass that has stored nothing yet restarts whole', () => {
    expect(restartsFullOnRefusedCursor(fresh)).toBe(true);
    expect(restartsFullOnRefusedCursor({ ...fresh, mode: 'full' })).toBe(false);
    expect(restartsFullOnRefusedCursor({ ...fresh, after: 'cursor-1' })).toBe(false);
    expect(restartsFullOnRefusedCursor({ ...fresh, deltasRead: true })).toBe(false);
  });
});
