/**
 * Rotating TOKEN_ENCRYPTION_KEY as the runbook says: the new key becomes TOKEN_ENCRYPTION_KEY, the
 * old one TOKEN_ENCRYPTION_KEY_PREVIOUS (both accepted), `xledger-sync keys rotate` re-encrypts
 * every stored secret, and then a worker with the new key alone syncs every tenant. Tokens stored
 * in the earlier format (v1, no key id) are rotated too; no token or key is ever printed.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { collections } from '../../src/store/collections';
import { TenantStore } from '../../src/store/tenants';
import { keyId, TokenCipher } from '../../src/store/token-cipher';
import type { SyncRunSummary } from '../../src/domain/figures';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { runCliCaptured } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { startSync } from '../support/sync';
import { cliEnv } from '../tenants/support';

const TENANTS = {
  'rot-root': { token: SEED_TOKENS.root, owner: SEED_ENTITIES.owner1 },
  'rot-one': { token: SEED_TOKENS.owner1, owner: SEED_ENTITIES.owner1 },
  'rot-legacy': { token: SEED_TOKENS.owner2, owner: SEED_ENTITIES.owner2 },
} as const;

let h: Harness;
let oldKey: Buffer;
const newKey = randomBytes(32);
let worker: ChildWorker | undefined;

/** The stored form before key ids: v1.<iv>.<tag>.<ciphertext>, as the earlier code wrote it. */
function v1Ciphertext(key: Buffer, token: string, tenantId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tenantId));
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

const ciphertexts = async () =>
  Object.fromEntries(
    (
      await h.store.db
        .collection<{ _id: string; tokenCiphertext: string }>(collections.tenants)
        .find({})
        .toArray()
    ).map((doc) => [doc._id, doc.tokenCiphertext]),
  );

const rotate = (env: Record<string, string>, ...args: string[]) =>
  runCliCaptured(['keys', 'rotate', ...args], { env: { ...cliEnv(h), ...env } }, [
    oldKey.toString('base64'),
    newKey.toString('base64'),
  ]);

beforeAll(async () => {
  h = await startHarness({ seed: 6, suppliers: 30 });
  oldKey = h.config.tokenEncryptionKey!;
  for (const [tenantId, { token, owner }] of Object.entries(TENANTS)) {
    await h.saveTenant({ tenantId, xledger: { token }, entityOwnerDbId: owner });
  }
  await h.store.db
    .collection<{ _id: string }>(collections.tenants)
    .updateOne(
      { _id: 'rot-legacy' },
      { $set: { tokenCiphertext: v1Ciphertext(oldKey, TENANTS['rot-legacy'].token, 'rot-legacy') } },
    );
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await h?.close();
});

describe('key rotation', () => {
  it('refuses to touch secrets that no configured key decrypts, naming each', async () => {
    const before = await ciphertexts();
    const result = await rotate({ TOKEN_ENCRYPTION_KEY: newKey.toString('base64') });
    expect(result.code).toBe(1);
    for (const tenantId of Object.keys(TENANTS))
      expect(result.stdout).toContain(`token of tenant ${tenantId}`);
    expect(result.stdout).toContain('not decryptable with any configured key: 3');
    expect(await ciphertexts()).toEqual(before);
  });

  it('accepts both keys meanwhile, and a dry run changes nothing', async () => {
    const both = new TenantStore(h.store.db, new TokenCipher(newKey, [oldKey]), h.sim.graphqlUrl);
    for (const [tenantId, { token }] of Object.entries(TENANTS))
      expect(await both.token(tenantId)).toBe(token);
    const before = await ciphertexts();
    const env = {
      TOKEN_ENCRYPTION_KEY: newKey.toString('base64'),
      TOKEN_ENCRYPTION_KEY_PREVIOUS: oldKey.toString('base64'),
    };
    const result = await rotate(env, '--dry-run', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, checked: 3, reencrypted: 3, failed: [] });
    expect(await ciphertexts()).toEqual(before);
  });

  it('re-encrypts every stored secret under the new key, once', async () => {
    const env = {
      TOKEN_ENCRYPTION_KEY: newKey.toString('base64'),
      // A key that encrypted nothing may stay listed too.
      TOKEN_ENCRYPTION_KEY_PREVIOUS: `${randomBytes(32).toString('base64')},${oldKey.toString('base64')}`,
    };
    const first = await rotate(env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('re-encrypted: 3');
    const stored = await ciphertexts();
    for (const tenantId of Object.keys(TENANTS))
      expect(stored[tenantId]).toMatch(new RegExp(`^v2\\.${keyId(newKey)}\\.`));
    const newOnly = new TenantStore(h.store.db, new TokenCipher(newKey), h.sim.graphqlUrl);
    for (const [tenantId, { token }] of Object.entries(TENANTS))
      expect(await newOnly.token(tenantId)).toBe(token);
    const oldOnly = new TenantStore(h.store.db, new TokenCipher(oldKey), h.sim.graphqlUrl);
    await expect(oldOnly.token('rot-root')).rejects.toThrow(/key that is not configured/);

    const again = await rotate(env, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ checked: 3, reencrypted: 0, current: 3 });
    expect(await ciphertexts()).toEqual(stored);
  });

  it('every tenant keeps working: a worker with the new key alone syncs each', async () => {
    worker = spawnWorker(h, {
      TOKEN_ENCRYPTION_KEY: newKey.toString('base64'),
      XLEDGER_ENDPOINT: h.sim.graphqlUrl,
    });
    for (const tenantId of Object.keys(TENANTS)) {
      const summary = (await (await startSync(h, tenantId, 'suppliers', 'full')).result()) as SyncRunSummary;
      expect(summary.status, tenantId).toBe('completed');
      expect(summary.totals.kept, tenantId).toBeGreaterThan(0);
    }
  });
});
