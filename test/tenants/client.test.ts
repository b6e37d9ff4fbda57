import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, type XledgerSyncClient } from '../../src/client';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { scheduleId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
let api: XledgerSyncClient;

beforeAll(async () => {
  h = await startHarness({ seed: 3, suppliers: 120 });
  await h.startWorker();
  api = await connectWithConfig({
    ...h.config,
    xledger: { ...h.config.xledger, defaultEndpoint: h.sim.graphqlUrl },
  });
});
afterAll(async () => {
  // Tenant workflow and schedule ids are global in the Temporal namespace, and this file's
  // worker stops with it: leave nothing behind for another file's tenant of the same id.
  await api?.removeTenant('api-north', { purge: true, force: true }).catch(() => undefined);
  await api?.close();
  await h?.close();
});

describe('tenants', () => {
  it('onboards a tenant with one schedule per enabled data type', async () => {
    await api.upsertTenant({
      tenantId: 'api-north',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    const description = await h.client.schedule.getHandle(scheduleId('api-north', 'suppliers')).describe();
    expect(description.spec.intervals?.[0]?.every).toBe(30 * 60_000);
    await expect(
      h.client.schedule.getHandle(scheduleId('api-north', 'fixedAssets')).describe(),
    ).rejects.toThrow();
    const status = await api.tenantStatus('api-north');
    expect(status.dataTypes.map((d) => d.dataType)).toEqual([
      'suppliers',
      'accounts',
      'dimensions',
      'currencies',
      'vatCodes',
      'invoices',
    ]);
  });

  it('refuses an owner the token cannot see, naming the field', async () => {
    const attempt = api.upsertTenant({
      tenantId: 'api-south',
      xledger: { token: SEED_TOKENS.owner1 },
      entityOwnerDbId: SEED_ENTITIES.owner2,
    });
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(/entityOwnerDbId/);
  });

  it('a resync signal runs the sync', async () => {
    await api.forceResync('api-north', { dataTypes: ['suppliers'], full: true });
    for (let i = 0; i < 60; i++) {
      const status = await api.tenantStatus('api-north');
      const suppliers = status.dataTypes.find((d) => d.dataType === 'suppliers');
      if (suppliers?.lastRun) {
        expect(suppliers.lastRun.trigger).toBe('resync');
        expect(suppliers.lastRun.streams[0]?.mode).toBe('full');
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('no run recorded');
  });
});
