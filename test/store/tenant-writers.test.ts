/**
 * A tenant has several writers: an operator's upsert, a key rotation, a worker recording a
 * refused optional field or a schema re-check. On the test run's real FerretDB, where every
 * update is read, change, write back, each of these races an upsert 200 times; none may undo
 * another's change. Before the tenant became a register (store/tenants.ts) a rotation undid an
 * upsert's new token and settings in 10 of these 200 races, and a worker's schema finding in 82.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reencryptSecrets } from '../../src/store/secret-rotation';
import { TenantStore } from '../../src/store/tenants';
import { TokenCipher } from '../../src/store/token-cipher';
import { tenantConfigSchema } from '../../src/domain/tenant';
import { useScratchDb } from '../support/scratch-store';

const db = useScratchDb('tenant-writers');
const ENDPOINT = 'https://www.xledger.net/graphql';
const OLD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const NEW_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const config = (tenantId: string, token: string, owner: number, webhook?: string) =>
  tenantConfigSchema.parse({
    tenantId,
    xledger: { token },
    entityOwnerDbId: owner,
    ...(webhook ? { webhook: { url: 'https://hooks.semine.example/x', secret: webhook } } : {}),
  });

describe('tenant writers', () => {
  it('200 races of an upsert with a key rotation, a refused field and a re-check: no change undone', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new TenantStore(db(), new TokenCipher(oldKey), ENDPOINT);
    const rotating = new TokenCipher(newKey, [oldKey]);
    const after = new TenantStore(db(), rotating, ENDPOINT);
    const RACES = 200;
    const failures: string[] = [];
    const reports = { reencrypted: 0, changedMeanwhile: 0 };
    const upsertAndWorkers = (id: string) =>
      Promise.all([
        after.save(config(id, 'new-token-0123456789', 2, NEW_SECRET)),
        after.addOmittedField(id, { stream: 'currencies', field: 'ownerDbId' }),
        after.recordRecheck(id, {
          omittedFields: [{ stream: 'currencies', field: 'ownerDbId' }],
          rateLimit: true,
        }),
      ]);
    const check = async (id: string) => {
      const token = await after.token(id);
      const settings = await after.get(id);
      const webhook = await after.webhook(id);
      const schema = await after.schemaCheck(id);
      if (token !== 'new-token-0123456789') failures.push(`${id}: token ${token}`);
      if (settings.entityOwnerDbId !== 2) failures.push(`${id}: owner ${settings.entityOwnerDbId}`);
      if (webhook?.secret !== NEW_SECRET) failures.push(`${id}: webhook secret lost`);
      if (!schema?.omittedFields?.some((f) => f.field === 'ownerDbId') || schema.rateLimit !== true)
        failures.push(`${id}: schema check ${JSON.stringify(schema)}`);
    };
    // Ten tenants at a time: each stored under the old key, then upserted with a new token while
    // workers write to it and an operator's `keys rotate` runs over them all.
    for (let r = 0; r < RACES; r += 10) {
      const ids = Array.from({ length: 10 }, (_, k) => `race-${r + k}`);
      for (const id of ids) await before.save(config(id, 'old-token-0123456789', 1, OLD_SECRET));
      const [, report] = await Promise.all([
        Promise.all(ids.map(upsertAndWorkers)),
        reencryptSecrets(db(), rotating),
      ]);
      reports.reencrypted += report.reencrypted;
      reports.changedMeanwhile += report.changedMeanwhile;
      if (report.failed.length > 0) failures.push(`rotation failed: ${JSON.stringify(report.failed)}`);
      for (const id of ids) await check(id);
      for (const id of ids) await after.remove(id);
    }
    expect(failures).toEqual([]);
    // The rotation raced the upserts: it re-encrypted old secrets, and met new ones saved meanwhile.
    expect(reports.reencrypted).toBeGreaterThan(0);
  }, 240_000);

  it('a worker writing after a removal does not bring the tenant back', async () => {
    const store = new TenantStore(db(), new TokenCipher(randomBytes(32)), ENDPOINT);
    await store.save(config('gone', 'gone-token-0123456789', 1));
    await Promise.all([
      store.remove('gone'),
      store.addOmittedField('gone', { stream: 'currencies', field: 'ownerDbId' }),
      store.recordRecheck('gone', null),
    ]);
    await store.recordRecheck('gone', null);
    await expect(store.get('gone')).rejects.toThrow('Unknown tenant "gone"');
    expect((await store.list()).map((t) => t.tenantId)).not.toContain('gone');
  });

  it('a tenant stored before registers existed is read, changed and rotated from its document', async () => {
    const key = randomBytes(32);
    const cipher = new TokenCipher(key);
    const legacy = new TenantStore(db(), cipher, ENDPOINT);
    // As the earlier code stored it: the record in the tenants collection alone.
    await db()
      .collection('tenants')
      .insertOne({
        _id: 'legacy',
        ...legacy.settingsOf(config('legacy', 'legacy-token-0123456789', 7)),
        tokenCiphertext: cipher.encrypt('legacy-token', 'legacy'),
        createdAt: new Date(0),
        updatedAt: new Date(0),
      } as never);
    expect((await legacy.get('legacy')).entityOwnerDbId).toBe(7);
    await legacy.addOmittedField('legacy', { stream: 'currencies', field: 'ownerDbId' });
    expect(await legacy.token('legacy')).toBe('legacy-token');
    expect((await legacy.get('legacy')).entityOwnerDbId).toBe(7);
    expect(await legacy.omittedFields('legacy')).toEqual([{ stream: 'currencies', field: 'ownerDbId' }]);
  });
});
