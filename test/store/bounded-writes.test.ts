import { describe, expect, it } from 'vitest';
import { runLink } from '../../src/store/links';
import {
  contentHash,
  markDeleted,
  recordId,
  recordsCollection,
  StoredState,
  upsertRecords,
  type UpsertFigures,
} from '../../src/store/records';
import { useScratchDb } from '../support/scratch-store';
import type { RecordToStore } from '../../src/domain/records';

/**
 * Volumes that used to lock FerretDB up for good: one update command of 100 or more
 * statements. Every write here is several times that; each step must simply finish, with
 * exact figures. BOUNDED_WRITES_RECORDS sets the stored volume. The default is small because
 * FerretDB v1 scans the collection for every document it updates (see src/store/bounded.ts):
 * the 10% step costs ≈ 0.1 × N² row reads. 3,000 records take seconds; with 100,000 the 1%
 * step alone took 14 minutes (1,000 updates, ≈ 0.85 s each, on a busy 2-core machine), so the
 * 10% step would take hours. On MongoDB, 100,000 is quick.
 */
const db = useScratchDb('bounded');

const TENANT = 'volume';
const OWNER = 101;
const RECORDS = Number(process.env.BOUNDED_WRITES_RECORDS ?? 3_000);
/** As a sync gets them from Xledger: up to 10,000 records per page. */
const PAGE_SIZE = 10_000;
const STEP_TIMEOUT_MS = 15 * 60_000;

const supplier = (dbId: number, version: number): RecordToStore => ({
  dbId,
  entityDbId: OWNER,
  visibility: 'owner',
  fields: {
    code: `S${dbId}`,
    description: `Supplier ${dbId}, version ${version}`,
    email: `supplier${dbId}@example.com`,
    companyNumber: String(900_000_000 + dbId),
    modifiedAt: `2026-11-${String(10 + version).padStart(2, '0')}T08:00:00`,
    version,
  },
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** One pass as sync-stream makes it: the stored state once, then one upsert per page of records. */
async function pass(records: RecordToStore[], mode: 'full' | 'incremental'): Promise<UpsertFigures> {
  const collection = recordsCollection(db(), 'suppliers');
  const stored =
    mode === 'full' ? await StoredState.load(collection, TENANT) : StoredState.partial(collection, TENANT);
  const figures: UpsertFigures = { inserted: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < records.length; start += PAGE_SIZE) {
    const page = await upsertRecords(
      collection,
      TENANT,
      records.slice(start, start + PAGE_SIZE),
      stored,
      new Date(),
    );
    figures.inserted += page.inserted;
    figures.updated += page.updated;
    figures.unchanged += page.unchanged;
  }
  return figures;
}

/** dbId → version of every stored supplier of the tenant, and how many carry a wrong hash. */
async function storedVersions(): Promise<{ versions: Map<number, number>; wrongHashes: number }> {
  const versions = new Map<number, number>();
  let wrongHashes = 0;
  const docs = recordsCollection(db(), 'suppliers').find(
    { tenantId: TENANT },
    { projection: { dbId: 1, version: 1, contentHash: 1 } },
  );
  for await (const doc of docs) {
    const version = doc.version as number;
    versions.set(doc.dbId, version);
    if (doc.contentHash !== contentHash(supplier(doc.dbId, version))) wrongHashes += 1;
  }
  return { versions, wrongHashes };
}

describe(`bulk writes at volume (${RECORDS.toLocaleString('en')} records)`, () => {
  /** What Xledger holds now: dbId → version. */
  const truth = new Map(range(1, RECORDS).map((dbId) => [dbId, 1]));
  const expectStoredEqualsTruth = async () => {
    const { versions, wrongHashes } = await storedVersions();
    expect(versions.size).toBe(RECORDS);
    expect(wrongHashes).toBe(0);
    expect([...versions].filter(([dbId, version]) => truth.get(dbId) !== version)).toEqual([]);
  };

  it(
    'a first full pass inserts every record, page by page',
    async () => {
      const figures = await pass(
        range(1, RECORDS).map((dbId) => supplier(dbId, 1)),
        'full',
      );
      expect(figures).toEqual({ inserted: RECORDS, updated: 0, unchanged: 0 });
      await expectStoredEqualsTruth();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'a full pass with 1% changed updates exactly those',
    async () => {
      const changed = range(1, RECORDS).filter((dbId) => dbId % 100 === 0);
      for (const dbId of changed) truth.set(dbId, 2);
      const figures = await pass(
        range(1, RECORDS).map((dbId) => supplier(dbId, truth.get(dbId)!)),
        'full',
      );
      expect(figures).toEqual({ inserted: 0, updated: changed.length, unchanged: RECORDS - changed.length });
      await expectStoredEqualsTruth();
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'an incremental pass with 10% changed, all in one page, updates exactly those',
    async () => {
      // The first tenth changed, delivered with the next tenth (unchanged, as the overlap of an
      // incremental read brings them): one page (with 100,000 records: 10,000 updates).
      const changed = range(1, RECORDS / 10);
      const delivered = range(1, RECORDS / 5);
      for (const dbId of changed) truth.set(dbId, 3);
      const page = () => delivered.map((dbId) => supplier(dbId, truth.get(dbId)!));
      const figures = await pass(page(), 'incremental');
      expect(figures).toEqual({
        inserted: 0,
        updated: changed.length,
        unchanged: delivered.length - changed.length,
      });
      await expectStoredEqualsTruth();
      // The same page again (a retried attempt) writes nothing.
      expect(await pass(page(), 'incremental')).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: delivered.length,
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'markDeleted of 10% of the records marks exactly those',
    async () => {
      const collection = recordsCollection(db(), 'suppliers');
      const gone = range(1, RECORDS).filter((dbId) => dbId % 10 === 3);
      const now = new Date();
      const ids = gone.map((dbId) => recordId(TENANT, dbId));
      expect(await markDeleted(collection, TENANT, ids, now)).toBe(gone.length);
      const deleted = await collection
        .find({ tenantId: TENANT, deletedAt: { $ne: null } }, { projection: { dbId: 1, deletedAt: 1 } })
        .toArray();
      expect(deleted.map((doc) => doc.dbId).sort((a, b) => a - b)).toEqual(gone);
      expect(deleted.every((doc) => (doc.deletedAt as Date).getTime() === now.getTime())).toBe(true);
      expect(await collection.countDocuments({ tenantId: TENANT, deletedAt: null })).toBe(
        RECORDS - gone.length,
      );
      // Already deleted ones are not counted (nor touched) again; a live one among them is.
      const later = new Date(now.getTime() + 60_000);
      expect(await markDeleted(collection, TENANT, [...ids, recordId(TENANT, 4)], later)).toBe(1);
      expect(await collection.countDocuments({ tenantId: TENANT, deletedAt: now })).toBe(gone.length);
    },
    STEP_TIMEOUT_MS,
  );
});

describe('the project-manager link over 2,000 projects', () => {
  const TENANT_PM = 'managers';
  const PROJECTS = 2_000;
  const EMPLOYEES = 2_000;

  const emailOf = (dbId: number, version: number) =>
    dbId % 10 === 0 ? null : `employee${dbId}.v${version}@example.com`;
  const employee = (dbId: number, version = 1): RecordToStore => ({
    dbId,
    entityDbId: OWNER,
    visibility: 'owner',
    fields: { code: `E${dbId}`, description: `Employee ${dbId}`, email: emailOf(dbId, version) },
  });
  /** Every 20th project has no manager, the one after it an unknown employee, the rest a known one. */
  const managerOf = (project: number) =>
    project % 20 === 0 ? null : project % 20 === 1 ? 900_000 + project : ((project * 7) % EMPLOYEES) + 1;
  const project = (dbId: number): RecordToStore => ({
    dbId,
    entityDbId: OWNER,
    visibility: 'owner',
    fields: { code: `P${dbId}`, description: `Project ${dbId}`, projectManagerDbId: managerOf(dbId) },
  });

  const expected = (employeeVersion: (dbId: number) => number) =>
    range(1, PROJECTS).map((dbId) => {
      const manager = managerOf(dbId);
      const known = manager !== null && manager <= EMPLOYEES;
      const email = known ? emailOf(manager, employeeVersion(manager)) : null;
      const status =
        manager === null ? 'no_manager' : !known ? 'unknown_employee' : email ? 'resolved' : 'no_email';
      return { dbId, projectManagerEmail: email, projectManagerStatus: status };
    });
  const stored = () =>
    recordsCollection(db(), 'projects')
      .find(
        { tenantId: TENANT_PM },
        { projection: { _id: 0, dbId: 1, projectManagerEmail: 1, projectManagerStatus: 1 } },
      )
      .sort({ dbId: 1 })
      .toArray();
  const unresolved = (rows: ReturnType<typeof expected>) =>
    rows.filter(
      (row) => row.projectManagerStatus === 'unknown_employee' || row.projectManagerStatus === 'no_email',
    ).length;

  it(
    'resolves every manager, then rewrites only what an employee change touches',
    async () => {
      const employees = recordsCollection(db(), 'employees');
      const projects = recordsCollection(db(), 'projects');
      const now = new Date();
      await upsertRecords(
        employees,
        TENANT_PM,
        range(1, EMPLOYEES).map((dbId) => employee(dbId)),
        StoredState.partial(employees, TENANT_PM),
        now,
      );
      await upsertRecords(
        projects,
        TENANT_PM,
        range(1, PROJECTS).map(project),
        StoredState.partial(projects, TENANT_PM),
        now,
      );

      const first = expected(() => 1);
      expect(new Set(first.map((row) => row.projectManagerStatus))).toEqual(
        new Set(['resolved', 'no_email', 'unknown_employee', 'no_manager']),
      );
      expect(await runLink(db(), TENANT_PM, 'projectManagers')).toEqual({
        link: 'projectManagers',
        updated: PROJECTS,
        unresolved: unresolved(first),
      });
      expect(await stored()).toEqual(first);

      // Nothing changed: nothing written.
      expect(await runLink(db(), TENANT_PM, 'projectManagers')).toMatchObject({ updated: 0 });

      // 150 employees change their email: exactly the projects they manage are rewritten.
      const changed = new Set(range(1, 150));
      await upsertRecords(
        employees,
        TENANT_PM,
        [...changed].map((dbId) => employee(dbId, 2)),
        StoredState.partial(employees, TENANT_PM),
        new Date(),
      );
      const second = expected((dbId) => (changed.has(dbId) ? 2 : 1));
      const rewritten = second.filter(
        (row, index) => row.projectManagerEmail !== first[index]!.projectManagerEmail,
      ).length;
      expect(rewritten).toBeGreaterThan(100);
      expect(await runLink(db(), TENANT_PM, 'projectManagers')).toEqual({
        link: 'projectManagers',
        updated: rewritten,
        unresolved: unresolved(second),
      });
      expect(await stored()).toEqual(second);
    },
    STEP_TIMEOUT_MS,
  );
});
