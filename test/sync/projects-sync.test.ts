import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { loadCheckpoint } from '../../src/store/checkpoints';
import { recordsCollection } from '../../src/store/records';
import { startHarness, type Harness } from '../support/harness';
import {
  admin,
  counters,
  DATA_TYPE_TRUTH,
  expectStreamEqualsTruth,
  fieldRequests,
  resetCounters,
  runSync,
  streamFigures,
  truth,
} from '../support/sync';

const TENANT = 'pm';
let h: Harness;

const projectDoc = (dbId: number) =>
  recordsCollection(h.store.db, 'projects').findOne({ tenantId: TENANT, dbId });

beforeAll(async () => {
  h = await startHarness({ seed: 5, suppliers: 160 });
  await h.saveTenant({
    tenantId: TENANT,
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    options: { fixedAssets: false, projectManagers: true },
  });
  await h.saveTenant({
    tenantId: 'no-pm',
    xledger: { token: SEED_TOKENS.root },
    entityOwnerDbId: SEED_ENTITIES.owner1,
    options: { fixedAssets: false, projectManagers: false },
  });
  await h.startWorker();
});
afterAll(() => h?.close());

describe('projects and their managers', () => {
  it('resolves managers to emails and flags the unresolvable ones', async () => {
    const run = await runSync(h, TENANT, 'projects', 'full');
    expect(run.status).toBe('completed');
    const employees = await truth(h, SEED_ENTITIES.owner1, 'employees');
    const emailOf = new Map(employees.map((e) => [e.dbId, e.email as string | null]));
    const projects = await truth(h, SEED_ENTITIES.owner1, 'projects');
    const expected = projects.map((p) => {
      const manager = (p.projectManager as { dbId: number } | null)?.dbId ?? null;
      const status =
        manager === null
          ? 'no_manager'
          : !emailOf.has(manager)
            ? 'unknown_employee'
            : emailOf.get(manager)
              ? 'resolved'
              : 'no_email';
      return {
        dbId: p.dbId,
        projectManagerStatus: status,
        projectManagerEmail: status === 'resolved' ? emailOf.get(manager!) : null,
      };
    });
    const stored = await recordsCollection(h.store.db, 'projects')
      .find(
        { tenantId: TENANT },
        { projection: { _id: 0, dbId: 1, projectManagerStatus: 1, projectManagerEmail: 1 } },
      )
      .sort({ dbId: 1 })
      .toArray();
    expect(stored).toEqual(expected.sort((a, b) => a.dbId - b.dbId));
    const statuses = new Set(expected.map((e) => e.projectManagerStatus));
    for (const status of ['resolved', 'no_email', 'unknown_employee', 'no_manager'])
      expect(statuses).toContain(status);
    const unresolved = expected.filter(
      (e) => e.projectManagerStatus === 'no_email' || e.projectManagerStatus === 'unknown_employee',
    ).length;
    expect(run.link).toMatchObject({ link: 'projectManagers', unresolved });
    await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, DATA_TYPE_TRUTH.projects![1]!);
  });

  it('is skipped for a tenant without project-manager sync', async () => {
    await resetCounters(h);
    const run = await runSync(h, 'no-pm', 'projects');
    expect(run.status).toBe('skipped');
    expect(run.reason).toMatch(/not enabled/);
    expect(run.streams).toEqual([]);
    expect((await counters(h, 'root')).requests).toBe(0);
    expect(await recordsCollection(h.store.db, 'projects').countDocuments({ tenantId: 'no-pm' })).toBe(0);
  });
});

describe('deltas: deletions of employees and projects without a full pass', () => {
  it('a full pass establishes the delta cursor, in the same request as the first page', async () => {
    await resetCounters(h);
    const run = await runSync(h, TENANT, 'projects', 'full');
    expect(run.totals.requests).toBe(1);
    const c = await counters(h, 'root');
    // One request for both streams, naming their four root fields.
    expect(c.requests).toBe(1);
    expect(fieldRequests(c, 'employees')).toBe(1);
    expect(fieldRequests(c, 'projects')).toBe(1);
    expect(fieldRequests(c, 'employee_deltas')).toBe(1);
    expect(fieldRequests(c, 'project_deltas')).toBe(1);
    expect((await loadCheckpoint(h.store.db, TENANT, 'projects')).deltaCursor).toMatch(/^\d+$/);
    expect((await loadCheckpoint(h.store.db, TENANT, 'employees')).deltaCursor).toMatch(/^\d+$/);
  });

  it('an incremental pass marks deleted what the deltas report, once Xledger confirms it', async () => {
    const projects = await truth(h, SEED_ENTITIES.owner1, 'projects');
    const gone = projects.find((p) => p.visibility === 'client')!;
    const resolved = await recordsCollection(h.store.db, 'projects').findOne({
      tenantId: TENANT,
      projectManagerStatus: 'resolved',
      dbId: { $ne: gone.dbId },
    });
    const managerDbId = resolved!.projectManagerDbId as number;
    const foreignProject = (await truth(h, SEED_ENTITIES.owner2, 'projects'))[0]!;
    await admin(h, 'DELETE', `/admin/records/projects/${gone.dbId}`);
    await admin(h, 'DELETE', `/admin/records/projects/${foreignProject.dbId}`);
    await admin(h, 'DELETE', `/admin/records/employees/${managerDbId}`);
    const cursorBefore = (await loadCheckpoint(h.store.db, TENANT, 'projects')).deltaCursor;

    await resetCounters(h);
    const run = await runSync(h, TENANT, 'projects', 'incremental');
    const projectsFigures = streamFigures(run, 'projects');
    const employeesFigures = streamFigures(run, 'employees');
    expect(projectsFigures.mode).toBe('incremental');
    expect(projectsFigures.deleted).toBe(1); // the other owner's deletion is not ours
    expect(employeesFigures.deleted).toBe(1);
    // One request for both streams' pages and deltas; then each stream that deletes looks its
    // record up by id and reads the entity tree again before marking it deleted.
    expect(run.totals.requests).toBe(5);
    const c = await counters(h, 'root');
    expect(c.requests).toBe(5);
    expect(fieldRequests(c, 'entities')).toBe(2);
    expect((await projectDoc(gone.dbId))?.deletedAt).toBeInstanceOf(Date);
    // The project whose manager left is now flagged.
    expect(await projectDoc(resolved!.dbId)).toMatchObject({
      projectManagerStatus: 'unknown_employee',
      projectManagerEmail: null,
    });
    expect(run.link?.updated).toBeGreaterThanOrEqual(1);
    const cursorAfter = (await loadCheckpoint(h.store.db, TENANT, 'projects')).deltaCursor;
    expect(Number(cursorAfter)).toBeGreaterThan(Number(cursorBefore));
    for (const spec of DATA_TYPE_TRUTH.projects!)
      await expectStreamEqualsTruth(h, TENANT, SEED_ENTITIES.owner1, spec);

    // Nothing new: the deltas after the saved cursor are empty, nothing is written.
    const again = await runSync(h, TENANT, 'projects', 'incremental');
    expect(again.totals.deleted + again.totals.inserted + again.totals.updated).toBe(0);
    expect(again.totals.requests).toBe(1);
  });
});
