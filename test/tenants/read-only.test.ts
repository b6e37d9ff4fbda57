/**
 * The client against the real servers as SEMINE configures it: explicit options, its own
 * database whatever the URI's path says, and a read-only mode without an encryption key that
 * reads everything and writes nothing (no indexes, every write method refused before a server
 * is asked).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ReadOnlyClientError,
  UnknownInvoiceError,
  XledgerSyncClient,
  type ClientOptions,
} from '../../src/client';
import { withDatabase } from '../../src/devstack/mongo-uri';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { demoInvoice } from '../support/invoices';
import { scheduleId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';
import { clientOptions } from './support';

let h: Harness;
let writer: XledgerSyncClient;
let reader: XledgerSyncClient;
const TENANT = 'read-only-acme';
const dropped: string[] = [];

function readOnlyOptions(): ClientOptions {
  const { tokenEncryptionKey: _key, ...options } = clientOptions(h);
  return { ...options, readOnly: true };
}

const collectionsOf = async (database: string) =>
  (await h.store.client.db(database).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);

beforeAll(async () => {
  h = await startHarness({ seed: 7, suppliers: 20 });
  writer = await XledgerSyncClient.connect(clientOptions(h));
  await writer.upsertTenant(
    { tenantId: TENANT, xledger: { token: SEED_TOKENS.root }, entityOwnerDbId: SEED_ENTITIES.owner1 },
    { firstSync: false },
  );
  reader = await XledgerSyncClient.connect(readOnlyOptions());
}, 120_000);

afterAll(async () => {
  await writer?.removeTenant(TENANT, { purge: true, force: true }).catch(() => undefined);
  await reader?.close();
  await writer?.close();
  for (const database of dropped) await h.store.client.db(database).dropDatabase();
  await h?.close();
});

describe('a read-only client', () => {
  it('reads: tenants, status, the change feed, events, invoices', async () => {
    expect(reader.readOnly).toBe(true);
    expect((await reader.listTenants()).map((t) => t.tenantId)).toContain(TENANT);
    expect((await reader.getTenant(TENANT)).entityOwnerDbId).toBe(SEED_ENTITIES.owner1);
    const status = await reader.tenantStatus(TENANT);
    expect(status.tenant.tenantId).toBe(TENANT);
    expect(status.credits).toBeNull(); // keyed by the token, which it cannot decrypt
    expect(await reader.changes(TENANT, 'suppliers', { after: 0 })).toMatchObject({
      changes: [],
      next: 0,
      hasMore: false,
    });
    expect((await reader.listEvents(TENANT)).tenantId).toBe(TENANT);
    await expect(reader.invoiceStatus(TENANT, 'INV-1')).rejects.toThrow(UnknownInvoiceError);
  });

  it('refuses every write before asking a server, and nothing changes', async () => {
    const writes: Array<[string, () => Promise<unknown>]> = [
      [
        'upsertTenant',
        () =>
          reader.upsertTenant({
            tenantId: 'read-only-other',
            xledger: { token: SEED_TOKENS.root },
            entityOwnerDbId: SEED_ENTITIES.owner1,
          }),
      ],
      ['pauseTenant', () => reader.pauseTenant(TENANT)],
      ['resumeTenant', () => reader.resumeTenant(TENANT)],
      ['forceResync', () => reader.forceResync(TENANT, { full: true, waitForRunsMs: 0 })],
      ['submitInvoice', () => reader.submitInvoice(TENANT, demoInvoice('INV-1', 'S1'))],
      ['redeliverEvent', () => reader.redeliverEvent(TENANT, 'evt_x')],
      ['skipEvent', () => reader.skipEvent(TENANT, 'evt_x')],
      ['removeTenant', () => reader.removeTenant(TENANT, { purge: true, force: true })],
    ];
    for (const [method, write] of writes) {
      const error = await write().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, method).toBeInstanceOf(ReadOnlyClientError);
      expect((error as ReadOnlyClientError).method).toBe(method);
    }
    expect((await reader.listTenants()).map((t) => t.tenantId)).toEqual(
      expect.not.arrayContaining(['read-only-other']),
    );
    expect((await writer.getTenant(TENANT)).tenantId).toBe(TENANT);
    const schedule = await h.client.schedule.getHandle(scheduleId(TENANT, 'suppliers')).describe();
    expect(schedule.state.paused).toBe(false);
    await expect(writer.invoiceStatus(TENANT, 'INV-1')).rejects.toThrow(UnknownInvoiceError);
  });

  // On MongoDB a writing client creates its indexes at connect; FerretDB v1 gets none of them
  // (store/db.ts), so there this shows only that reading left nothing behind.
  it('creates no indexes (nothing at all) in a database it connects to and reads', async () => {
    const fresh = `ro_${randomBytes(4).toString('hex')}`;
    dropped.push(fresh);
    const options = readOnlyOptions();
    const api = await XledgerSyncClient.connect({
      ...options,
      mongodb: { ...options.mongodb, database: fresh },
    });
    try {
      expect(await api.listTenants()).toEqual([]);
      await expect(api.tenantStatus(TENANT)).rejects.toThrow(/Unknown tenant/);
      await expect(api.changes(TENANT, 'suppliers')).rejects.toThrow(/Unknown tenant/);
    } finally {
      await api.close();
    }
    expect(await collectionsOf(fresh)).toEqual([]);
  });
});

describe('a writing client', () => {
  it("stores into the database it is given, never the one in the URI's path (SEMINE's own)", async () => {
    const suffix = randomBytes(4).toString('hex');
    const semine = `semine_${suffix}`;
    const ours = `ours_${suffix}`;
    dropped.push(semine, ours);
    const options = clientOptions(h);
    const uri = withDatabase(options.mongodb.uri, semine);
    const api = await XledgerSyncClient.connect({ ...options, mongodb: { uri, database: ours } });
    try {
      await api.upsertTenant(
        {
          tenantId: 'db-choice',
          xledger: { token: SEED_TOKENS.root },
          entityOwnerDbId: SEED_ENTITIES.owner1,
        },
        { firstSync: false },
      );
      expect(await collectionsOf(semine)).toEqual([]);
      expect(
        await h.store.client
          .db(ours)
          .collection('tenants')
          .countDocuments({ _id: 'db-choice' as never }),
      ).toBe(1);
    } finally {
      await api.removeTenant('db-choice', { purge: true, force: true }).catch(() => undefined);
      await api.close();
    }
  });
});
