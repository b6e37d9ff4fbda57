import { describe, expect, it } from 'vitest';
import { deletionVerdict } from '../../../src/domain/deletion-guard';

describe('deletionVerdict: the deletion guard', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const verdict = (live: number, wouldDelete: number, allowMassDelete = false) =>
    deletionVerdict({ live, wouldDelete, maxShare: 0.1, allowMassDelete, now });

  it('applies deletions up to the share', () => {
    expect(verdict(1_000, 100)).toEqual({ apply: true });
    expect(verdict(1_000, 0)).toEqual({ apply: true });
    expect(verdict(100_000, 10_000)).toEqual({ apply: true });
  });
  it('holds back more than the share, with the figures', () => {
    expect(verdict(1_000, 200)).toEqual({
      apply: false,
      review: {
        wouldDelete: 200,
        live: 1_000,
        maxShare: 0.1,
        detectedAt: '2026-11-26T10:00:00.000Z',
        reason: 'mass_deletion',
      },
    });
    expect(verdict(100_000, 10_001).apply).toBe(false);
  });
  it('a small stream: up to 2 deletions pass, most of it never does, wiping it out never does', () => {
    expect(verdict(20, 2)).toEqual({ apply: true });
    expect(verdict(5, 1)).toEqual({ apply: true });
    expect(verdict(3, 2)).toEqual({ apply: true });
    // 4 of 5, 10 of 11, 3 of 20: more than 2 and more than the share.
    expect(verdict(5, 4).apply).toBe(false);
    expect(verdict(11, 10).apply).toBe(false);
    expect(verdict(20, 3).apply).toBe(false);
    expect(verdict(3, 3).apply).toBe(false);
    expect(verdict(1, 1).apply).toBe(false);
    expect(verdict(2, 2).apply).toBe(false);
  });
  it('a shrunk entity tree holds any deletion, naming the entities', () => {
    expect(
      deletionVerdict({
        live: 1_000,
        wouldDelete: 1,
        maxShare: 0.1,
        missingEntities: [104],
        allowMassDelete: false,
        now,
      }),
    ).toEqual({
      apply: false,
      review: {
        wouldDelete: 1,
        live: 1_000,
        maxShare: 0.1,
        detectedAt: '2026-11-26T10:00:00.000Z',
        reason: 'entity_tree_shrank',
        missingEntities: [104],
      },
    });
    expect(
      deletionVerdict({
        live: 1_000,
        wouldDelete: 0,
        maxShare: 0.1,
        missingEntities: [104],
        allowMassDelete: false,
        now,
      }),
    ).toEqual({ apply: true });
  });
  it("an operator's confirmation applies whatever the share or the tree", () => {
    expect(verdict(1_000, 1_000, true)).toEqual({ apply: true });
    expect(
      deletionVerdict({
        live: 10,
        wouldDelete: 5,
        maxShare: 0.1,
        missingEntities: [104],
        allowMassDelete: true,
        now,
      }),
    ).toEqual({ apply: true });
  });
});
