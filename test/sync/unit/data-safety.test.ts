import { describe, expect, it } from 'vitest';
import { pagesCoverStream } from '../../../src/store/sync-passes';
import { deletionVerdict } from '../../../src/sync/deletion-guard';

describe('pagesCoverStream: deletions only from a pass that saw every page', () => {
  it('accepts pages that chain from the start to the last cursor, whichever attempt stored them', () => {
    expect(
      pagesCoverStream(
        [
          [null, '10'],
          ['10', '20'],
          ['20', '30'],
        ],
        '30',
      ),
    ).toBe(true);
    // A zombie's pages of a different size beside the successor's: still a path.
    expect(
      pagesCoverStream(
        [
          [null, '10'],
          ['10', '15'],
          ['10', '20'],
          ['20', '30'],
        ],
        '30',
      ),
    ).toBe(true);
  });
  it('refuses a gap at the start (the pages a dead attempt stored were lost) or in the middle', () => {
    expect(
      pagesCoverStream(
        [
          ['10', '20'],
          ['20', '30'],
        ],
        '30',
      ),
    ).toBe(false);
    expect(
      pagesCoverStream(
        [
          [null, '10'],
          ['20', '30'],
        ],
        '30',
      ),
    ).toBe(false);
  });
  it('an empty stream is covered by no page at all, and not beyond it', () => {
    expect(pagesCoverStream([], null)).toBe(true);
    expect(pagesCoverStream([], '5')).toBe(false);
  });
});

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
