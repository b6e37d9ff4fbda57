import { describe, expect, it } from 'vitest';
import { suppliersStream } from '../../src/datatypes/suppliers';
import { classifyPage, type PageContext } from '../../src/sync/classify-page';
import { OwnershipRule } from '../../src/domain/ownership';

const OWNER = 101;
const CLIENT = 102;
/** A sibling owner under the same group: its records never land. */
const OTHER_OWNER = 105;
const rule = new OwnershipRule(OWNER, [
  { dbId: 100, parentDbId: null },
  { dbId: OWNER, parentDbId: 100 },
  { dbId: CLIENT, parentDbId: OWNER },
  { dbId: OTHER_OWNER, parentDbId: 100 },
]);
const now = new Date('2026-05-10T12:00:00Z');
const context = (overrides: Partial<PageContext> = {}): PageContext => ({
  tenantId: 'acme',
  stream: suppliersStream,
  ownership: rule,
  maxModifiedAt: '2026-05-01T08:00:00',
  now,
  ...overrides,
});
const supplier = (dbId: number, ownerDbId: number | string, fields: Record<string, unknown> = {}) => ({
  dbId,
  ownerDbId,
  code: `S-${dbId}`,
  description: `Supplier ${dbId}`,
  modifiedAt: '2026-05-02T10:00:00',
  ...fields,
});

describe('classifyPage: what one page holds for a tenant', () => {
  it('keeps the owner’s records as owner-level and its clients’ as client-level, in the stored shape', () => {
    const page = classifyPage([supplier(1, OWNER), supplier(2, CLIENT)], context());
    expect(page.records).toEqual([
      expect.objectContaining({ dbId: 1, entityDbId: OWNER, visibility: 'owner' }),
      expect.objectContaining({ dbId: 2, entityDbId: CLIENT, visibility: 'client' }),
    ]);
    expect(page.records[0]!.fields).toMatchObject({ code: 'S-1', description: 'Supplier 1', email: null });
    expect(page.present).toEqual([1, 2]);
    expect(page.rejects).toEqual([]);
    expect(page.counts).toMatchObject({ pages: 1, fetched: 2, kept: 2, filteredOut: 0, rejected: 0 });
    expect(page.sawUnknownEntity).toBe(false);
  });

  it('drops another owner’s records: not kept, not present (so never kept alive), but their rejects are cleared', () => {
    const page = classifyPage([supplier(1, OWNER), supplier(3, OTHER_OWNER)], context());
    expect(page.records.map((r) => r.dbId)).toEqual([1]);
    expect(page.present).toEqual([1]);
    expect(page.accepted).toEqual([1, 3]);
    expect(page.counts).toMatchObject({ fetched: 2, kept: 1, filteredOut: 1 });
  });

  it('rejects an invalid node of the tenant with the field and the reason; it stays present', () => {
    const page = classifyPage(
      [supplier(4, OWNER, { fromDate: '2026-02-31' }), supplier(5, OWNER)],
      context(),
    );
    expect(page.rejects).toHaveLength(1);
    expect(page.rejects[0]).toMatchObject({
      tenantId: 'acme',
      stream: 'suppliers',
      dbId: 4,
      rejectedAt: now,
      node: supplier(4, OWNER, { fromDate: '2026-02-31' }),
    });
    expect(page.rejects[0]!.reason).toMatch(/^fromDate: must be a calendar date YYYY-MM-DD/);
    expect(page.present).toEqual([4, 5]);
    expect(page.accepted).toEqual([5]);
    expect(page.counts).toMatchObject({ fetched: 2, kept: 1, rejected: 1, filteredOut: 0 });
  });

  it('an invalid node of another owner is dropped, not rejected; one without a readable owner is rejected', () => {
    const page = classifyPage(
      [
        supplier(6, String(OTHER_OWNER), { modifiedAt: 'yesterday' }),
        { dbId: '7', ownerDbId: 'someone', code: 'S-7' },
        { code: 'no ids at all' },
      ],
      context(),
    );
    expect(page.rejects.map((r) => r.dbId)).toEqual([7, null]);
    expect(page.rejects[1]!.reason).toMatch(/dbId/);
    expect(page.present).toEqual([7]);
    expect(page.counts).toMatchObject({ fetched: 3, kept: 0, filteredOut: 1, rejected: 2 });
  });

  it('a record twice in one page is stored once (fetched still counts both)', () => {
    const page = classifyPage([supplier(8, OWNER), supplier(8, OWNER, { code: 'again' })], context());
    expect(page.records).toHaveLength(1);
    expect(page.records[0]!.fields.code).toBe('S-8');
    expect(page.counts).toMatchObject({ fetched: 2, kept: 1 });
  });

  it('raises the high-water mark to the newest modifiedAt, of every valid node, never lowers it', () => {
    const page = classifyPage(
      [
        supplier(1, OWNER, { modifiedAt: '2026-05-03T09:00:00' }),
        supplier(3, OTHER_OWNER, { modifiedAt: '2026-05-04T09:00:00' }),
        supplier(2, CLIENT, { modifiedAt: '2026-04-01T09:00:00' }),
      ],
      context(),
    );
    expect(page.maxModifiedAt).toBe('2026-05-04T09:00:00');
    const older = classifyPage([supplier(1, OWNER, { modifiedAt: '2026-04-01T00:00:00' })], context());
    expect(older.maxModifiedAt).toBe('2026-05-01T08:00:00');
    expect(classifyPage([], context({ maxModifiedAt: null })).maxModifiedAt).toBeNull();
  });

  it('says when a node names an entity the tree does not know (a client added since it was read)', () => {
    const page = classifyPage([supplier(9, 109)], context());
    expect(page.sawUnknownEntity).toBe(true);
    expect(page.counts.filteredOut).toBe(1);
    const fresher = new OwnershipRule(OWNER, [
      { dbId: OWNER, parentDbId: 100 },
      { dbId: 109, parentDbId: OWNER },
    ]);
    const again = classifyPage([supplier(9, 109)], context({ ownership: fresher }));
    expect(again.sawUnknownEntity).toBe(false);
    expect(again.records).toEqual([expect.objectContaining({ dbId: 9, visibility: 'client' })]);
    // An invalid node's readable owner counts too.
    expect(classifyPage([supplier(10, 110, { fromDate: 'x' })], context()).sawUnknownEntity).toBe(true);
  });

  it('drops the records of the group above the owner without taking the group for a new client', () => {
    // An owner-level token lists its entity and those below it; the group above shows only as
    // its entity's parent, yet Xledger serves the group's records with ownerSet ALL.
    const ownersView = new OwnershipRule(OWNER, [
      { dbId: OWNER, parentDbId: 100 },
      { dbId: CLIENT, parentDbId: OWNER },
    ]);
    const page = classifyPage(
      [supplier(1, OWNER), supplier(7, 100), supplier(2, CLIENT)],
      context({ ownership: ownersView }),
    );
    expect(page.records.map((r) => [r.dbId, r.visibility])).toEqual([
      [1, 'owner'],
      [2, 'client'],
    ]);
    expect(page.present).toEqual([1, 2]);
    expect(page.counts).toMatchObject({ fetched: 3, kept: 2, filteredOut: 1 });
    // Known as the owner's parent: no read of the tree for it on every page.
    expect(page.sawUnknownEntity).toBe(false);
  });
});
