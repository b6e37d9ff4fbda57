/**
 * A tenant's removal against writers that read it before the removal and write after it, in
 * every interleaving, step by step (no timing): the removal is stopped before each of its writes
 * in turn, and a writer that read the tenant before the removal makes its insert there.
 *
 * Before removal wrote a tombstone (store/tenants.ts) it deleted the register's versions and head
 * while such a writer inserted the next version: that version was left alone, without its head,
 * so a writer that had written the version below it looped forever looking for the latest (a CI
 * run of tenant-writers.test.ts timed out), and a tenant saved again under the same id met the
 * removed tenant's record when its register reached that number.
 */
import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { VersionedRegister } from '../../src/store/versioned';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('tenant-removal');
const ENDPOINT = 'https://www.xledger.net/graphql';
const cipher = new TokenCipher(randomBytes(32));
const config = (tenantId: string, token: string, owner: number) =>
  tenantConfigSchema.parse({ tenantId, xledger: { token }, entityOwnerDbId: owner });
const field = (name: string) => ({ stream: 'currencies', field: name });
/** Far longer than any step here takes: a writer still going then is looping. */
const BOUND_MS = 15_000;

const WRITES = new Set([
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'bulkWrite',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
]);

/**
 * The database as one writer sees it: its `at`-th write (from 0) to any of the named collections
 * waits until `release()`; `reached` settles when it starts waiting.
 */
function pausedAt(target: Db, names: string[], at: number) {
  let seen = 0;
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const collection = (inner: Collection) =>
    new Proxy(inner, {
      get(c, prop, receiver) {
        const value: unknown = Reflect.get(c, prop, receiver);
        if (typeof value !== 'function') return value;
        if (typeof prop !== 'string' || !WRITES.has(prop)) return value.bind(c);
        return async (...args: unknown[]) => {
          if (seen++ === at) {
            reach();
            await released;
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(c, args);
        };
      },
    });
  const paused = new Proxy(target, {
    get(d, prop, receiver) {
      if (prop === 'collection') {
        return (name: string, ...rest: unknown[]) => {
          const inner = (d.collection as (...a: unknown[]) => Collection)(name, ...rest);
          return names.includes(name) ? collection(inner) : inner;
        };
      }
      const value: unknown = Reflect.get(d, prop, receiver);
      return typeof value === 'function' ? value.bind(d) : value;
    },
  }) as Db;
  return { db: paused, reached, release };
}

/** `promise`, or a failure naming `what` once BOUND_MS have passed (vitest's timeout would name nothing). */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${BOUND_MS} ms: it loops`)),
      BOUND_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const storeOn = (on: Db) => new TenantStore(on, cipher, ENDPOINT);

/** Whether the tenant reads as removed everywhere readers look. */
async function isGone(store: TenantStore, tenantId: string): Promise<boolean> {
  const gone = await store.get(tenantId).then(
    () => false,
    (error: unknown) => error instanceof Error && error.message === `Unknown tenant "${tenantId}"`,
  );
  const listed = (await store.list()).some((t) => t.tenantId === tenantId);
  return gone && !listed;
}

/**
 * Whether, before the racer, a worker writes version 2 and stops before copying it to the view
 * (it finishes last, after the removal), and whether it writes before the racer reads (the racer
 * then proposes version 3) or after (the racer proposes version 2, already taken).
 */
type Earlier = 'none' | 'before the racer reads' | 'after the racer read';

/**
 * One interleaving. The tenant is saved (version 1); the earlier worker, if any, writes; the
 * racer reads the latest version and stops before inserting the next. The removal runs and
 * stops before its `step`-th write; there the racer makes its insert and finishes; then the
 * removal finishes, then the earlier worker. Returns whether the removal reached that step
 * (false: it has fewer writes) and what went wrong.
 */
async function interleave(
  tenantId: string,
  step: number,
  { earlier, racer }: { earlier: Earlier; racer: 'worker' | 'save' },
): Promise<{ reachedStep: boolean; failures: string[] }> {
  const store = storeOn(db());
  const failures: string[] = [];
  await store.save(config(tenantId, 'old-token-0123456789', 1));

  const first = pausedAt(db(), ['tenants'], 0);
  let earlierWrite: Promise<void> | undefined;
  const writeEarlier = async () => {
    earlierWrite = storeOn(first.db).addOmittedField(tenantId, field('earlier'));
    await within('the earlier worker reaching its view copy', first.reached);
  };
  if (earlier === 'before the racer reads') await writeEarlier();

  const racing = pausedAt(db(), ['tenant_versions'], 0);
  const racerStore = storeOn(racing.db);
  const racerWrite =
    racer === 'save'
      ? racerStore.save(config(tenantId, 'racing-token-0123456789', 5)).then(() => undefined)
      : racerStore.recordRecheck(tenantId, { omittedFields: [field('racer')], rateLimit: true });
  await within('the racer reaching its insert', racing.reached);
  if (earlier === 'after the racer read') await writeEarlier();

  const removing = pausedAt(db(), ['tenants', 'tenant_versions'], step);
  const removal = storeOn(removing.db).remove(tenantId);
  const reachedStep = await within(
    'the removal reaching its step',
    Promise.race([removing.reached.then(() => true), removal.then(() => false)]),
  );

  racing.release();
  await within('the racer', racerWrite);
  removing.release();
  await within('the removal', removal);
  first.release();
  if (earlierWrite) await within('the earlier worker after the removal', earlierWrite);

  // A worker after all that: it leaves a removed tenant removed, or changes the tenant that is.
  await within('a worker after the removal', store.addOmittedField(tenantId, field('after')));
  const gone = await isGone(store, tenantId);
  if (!gone) {
    // Only a save whose insert came after the removal's may leave a tenant, and one that starts
    // from nothing: the racing save's settings, none of the removed tenant's findings.
    const settings = await store.get(tenantId);
    const omitted = (await store.omittedFields(tenantId)).map((f) => f.field);
    if (racer !== 'save') failures.push(`a ${racer} brought the tenant back: ${JSON.stringify(settings)}`);
    if (settings.entityOwnerDbId !== 5 || (await store.token(tenantId)) !== 'racing-token-0123456789')
      failures.push(`the tenant left is not the racing save's: ${JSON.stringify(settings)}`);
    if (omitted.join() !== 'after')
      failures.push(`the tenant left holds the findings [${omitted.join()}], not [after]`);
  } else {
    // Readers see it removed: so must the register, and none of its versions keeps the data.
    const latest = await new VersionedRegister<unknown>(db(), 'tenant_versions', tenantId, tenantId).latest();
    if (latest && latest.value !== null)
      failures.push(`the view is gone but the register holds the tenant (version ${latest.n})`);
    const held = await db()
      .collection('tenant_versions')
      .find({ tenantId, value: { $exists: true } })
      .toArray();
    const withData = held.filter((doc) => doc.value !== null).map((doc) => String(doc._id));
    if (withData.length > 0) failures.push(`the removed tenant's versions keep its data: ${withData.join()}`);
  }

  // Saved again under the same id, the tenant starts from its save and never meets the removed
  // tenant's versions, however many changes follow.
  await within('saving again', store.save(config(tenantId, 'new-token-0123456789', 9)));
  for (let i = 0; i < 5; i++) {
    await within(`change ${i} of the saved-again tenant`, store.addOmittedField(tenantId, field(`new-${i}`)));
  }
  const settings = await store.get(tenantId);
  const token = await store.token(tenantId);
  const omitted = (await store.omittedFields(tenantId)).map((f) => f.field);
  if (settings.entityOwnerDbId !== 9 || token !== 'new-token-0123456789')
    failures.push(
      `saved again, it reads as the removed tenant: owner ${settings.entityOwnerDbId}, token ${token}`,
    );
  const stale = omitted.filter((f) => !f.startsWith('new-') && f !== 'after');
  if (stale.length > 0)
    failures.push(`saved again, it carries the removed tenant's findings: ${stale.join()}`);
  if (!omitted.join().endsWith('new-0,new-1,new-2,new-3,new-4'))
    failures.push(`saved again, changes were lost: ${omitted.join()}`);
  return { reachedStep, failures: failures.map((f) => `${tenantId} (step ${step}): ${f}`) };
}

describe('tenant removal against writers that read before it', () => {
  for (const earlier of ['none', 'before the racer reads', 'after the racer read'] as const) {
    for (const racer of ['worker', 'save'] as const) {
      const who = `a racing ${racer}${earlier === 'none' ? '' : `, a worker writing ${earlier}`}`;
      it(`${who}: the removal is final, every writer returns, a tenant saved again starts afresh`, async () => {
        const failures: string[] = [];
        let steps = 0;
        for (let step = 0; ; step++) {
          const id = `${racer}-${earlier.split(' ')[0]}-${step}`;
          const { reachedStep, failures: found } = await interleave(id, step, { earlier, racer });
          failures.push(...found);
          if (!reachedStep) break;
          steps++;
          if (step > 100) throw new Error('the removal wrote more than 100 times');
        }
        expect(failures).toEqual([]);
        expect(steps).toBeGreaterThan(1);
      });
    }
  }
});
