import { describe, expect, it } from 'vitest';
import { deletionVerdict } from '../../../src/sync/deletion-guard';

describe('deletionVerdict: the mass-deletion guard', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const verdict = (live: number, wouldDelete: number, allowMassDelete = false) =>
    deletionVerdict({ live, wouldDelete, maxShare: 0.1, allowMassDelete, now });

  it('applies deletions up to the share', () => {
    expect(verdict(1_000, 100)).toEqual({ apply: true });
    expect(verdict(1_000, 0)).toEqual({ apply: true });
  });
  it('holds back more than the share, with the figures', () => {
    expect(verdict(1_000, 200)).toEqual({
      apply: false,
      review: { wouldDelete: 200, live: 1_000, maxShare: 0.1, detectedAt: '2026-11-26T10:00:00.000Z' },
    });
  });
  it('a few deletions in a small stream pass; wiping a stream out never does', () => {
    expect(verdict(20, 10)).toEqual({ apply: true });
    expect(verdict(20, 11).apply).toBe(false);
    expect(verdict(3, 3).apply).toBe(false);
  });
  it("an operator's confirmation applies whatever the share", () => {
    expect(verdict(1_000, 1_000, true)).toEqual({ apply: true });
  });
});
