import { describe, expect, it } from 'vitest';
import {
  addDays,
  cetWallClockToInstant,
  normalizeWallClock,
  toCetWallClock,
} from '../../src/simulator/clock';
import { compileFilter, paginate } from '../../src/simulator/connection';
import { decimalToCents, Int64, Int64String } from '../../src/simulator/scalars';
import { createSeededState } from '../../src/simulator/seed';
import { RECORD_TYPES } from '../../src/simulator/state';

describe('determinism', () => {
  it('the same seed and size give identical data; another seed differs', () => {
    const a = createSeededState({ seed: 42, suppliers: 3_000 });
    const b = createSeededState({ seed: 42, suppliers: 3_000 });
    const c = createSeededState({ seed: 43, suppliers: 3_000 });
    for (const type of RECORD_TYPES) {
      expect(JSON.stringify(a.tables[type].rows), type).toBe(JSON.stringify(b.tables[type].rows));
    }
    expect(JSON.stringify(a.tables.suppliers.rows)).not.toBe(JSON.stringify(c.tables.suppliers.rows));
    // Deltas carry the instant they happened (seeding time); everything else is the same.
    const withoutTime = (deltas: typeof a.deltas.employees) => deltas.map(({ at: _at, ...delta }) => delta);
    expect(withoutTime(a.deltas.employees)).toEqual(withoutTime(b.deltas.employees));
  });

  it('dbIds are globally unique and increase within every type', () => {
    const state = createSeededState({ seed: 1, suppliers: 5_000 });
    const all = RECORD_TYPES.flatMap((type) => state.tables[type].rows.map((record) => record.dbId));
    expect(new Set(all).size).toBe(all.length);
    for (const type of RECORD_TYPES) {
      const ids = state.tables[type].rows.map((record) => record.dbId);
      expect(ids, type).toEqual([...ids].sort((x, y) => x - y));
    }
  });

  // How long it takes is the bench's business (bench/ seeds 100,000 per run), not a test's.
  it('seeds 100,000 suppliers', () => {
    const state = createSeededState({ seed: 1, suppliers: 100_000 });
    expect(state.tables.suppliers.rows).toHaveLength(100_000);
    expect(new Set(state.tables.suppliers.rows.map((row) => row.dbId)).size).toBe(100_000);
  });
});

describe('CET wall clock', () => {
  it('formats winter (CET, +1) and summer (CEST, +2) instants without offset or fraction', () => {
    expect(toCetWallClock(new Date('2024-01-15T10:00:00.123Z'))).toBe('2024-01-15T11:00:00');
    expect(toCetWallClock(new Date('2024-07-15T10:00:00.000Z'))).toBe('2024-07-15T12:00:00');
    expect(toCetWallClock(new Date('2024-12-31T23:30:00.000Z'))).toBe('2025-01-01T00:30:00');
  });

  it('turns wall-clock times back into instants on both sides of a DST change', () => {
    expect(cetWallClockToInstant('2024-03-31T01:59:59.000').toISOString()).toBe('2024-03-31T00:59:59.000Z');
    expect(cetWallClockToInstant('2024-03-31T03:00:00.000').toISOString()).toBe('2024-03-31T01:00:00.000Z');
    expect(cetWallClockToInstant('2024-07-01T00:00:00').toISOString()).toBe('2024-06-30T22:00:00.000Z');
  });

  it('normalises to the second and refuses offsets and impossible dates', () => {
    expect(normalizeWallClock('2024-05-01T08:00:00')).toBe('2024-05-01T08:00:00');
    expect(normalizeWallClock('2024-05-01T08:00:00.5')).toBe('2024-05-01T08:00:00');
    expect(normalizeWallClock('2024-05-01T08:00:00Z')).toBeNull();
    expect(normalizeWallClock('2024-02-30T08:00:00')).toBeNull();
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });
});

describe('scalars', () => {
  it('Int64 accepts numbers and digit strings, serialises as a number; Int64String as a string', () => {
    expect(Int64.parseValue('123')).toBe(123);
    expect(Int64.parseValue(123)).toBe(123);
    expect(Int64.serialize(123)).toBe(123);
    expect(() => Int64.parseValue('12a')).toThrow(/Int64 cannot represent/);
    expect(() => Int64.parseValue(1.5)).toThrow();
    expect(Int64String.serialize(123)).toBe('123');
  });

  it('decimalToCents is exact and refuses sub-cent amounts', () => {
    expect(decimalToCents('-1250.00')).toBe(-125000);
    expect(decimalToCents('0.1')).toBe(10);
    expect(decimalToCents('12')).toBe(1200);
    expect(decimalToCents('1.005')).toBeNull();
    expect(decimalToCents('abc')).toBeNull();
  });
});

describe('paging and filters', () => {
  const rows = Array.from({ length: 100 }, (_, index) => ({ dbId: (index + 1) * 10, odd: index % 2 === 1 }));
  const key = (row: { dbId: number }) => row.dbId;

  it('first/after skips filtered rows and reports hasNextPage', () => {
    const page = paginate(rows, key, (row) => row.odd, { first: 3, after: '20' });
    expect(page.edges.map((edge) => edge.cursor)).toEqual(['40', '60', '80']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true, endCursor: '80' });
  });

  it('a cursor that is not a record still pages from the right place', () => {
    const page = paginate(rows, key, () => true, { first: 2, after: '15' });
    expect(page.edges.map((edge) => edge.node.dbId)).toEqual([20, 30]);
  });

  it('refuses sizes above 10000, negative sizes and bad cursors', () => {
    expect(() => paginate(rows, key, () => true, { first: 10_001 })).toThrow(/at most 10000/);
    expect(() => paginate(rows, key, () => true, { last: -1 })).toThrow();
    expect(() => paginate(rows, key, () => true, { after: 'abc' })).toThrow(/cursor/);
  });

  it('compiles equality, _in and range operators', () => {
    const filter = compileFilter({
      code_in: ['a', 'b'],
      modifiedAt_gte: '2024-01-01T00:00:00.000',
      dbId_lt: 5,
    });
    expect(filter?.({ code: 'a', modifiedAt: '2024-01-01T00:00:00.000', dbId: 4 })).toBe(true);
    expect(filter?.({ code: 'c', modifiedAt: '2024-01-01T00:00:00.000', dbId: 4 })).toBe(false);
    expect(filter?.({ code: 'a', modifiedAt: '2023-12-31T23:59:59.999', dbId: 4 })).toBe(false);
    expect(filter?.({ code: 'a', modifiedAt: null, dbId: 4 })).toBe(false);
    expect(compileFilter({ code: null })).toBeNull();
  });
});
