import type { Db } from 'mongodb';
import type { EncryptedTenantField } from './tenant-record';
import { TenantStore } from './tenants';
import { tenantSecretBinding, type TokenCipher } from './token-cipher';

/**
 * Every secret stored encrypted (with TokenCipher) is a field of a tenant's record
 * (store/tenants.ts, `encryptedTenantFields`): what its ciphertext is bound to, and how it is
 * named in a report or an error (never by its content). A feature that stores another kind of
 * secret adds it there and here, so that a key rotation re-encrypts it too.
 */
const secrets: Record<EncryptedTenantField, { boundTo(tenantId: string): string; name: string }> = {
  tokenCiphertext: { boundTo: (tenantId) => tenantId, name: 'token' },
  webhookSecretCiphertext: {
    boundTo: (tenantId) => tenantSecretBinding(tenantId, 'webhook'),
    name: 'webhook secret',
  },
  webhookPreviousSecretCiphertext: {
    boundTo: (tenantId) => tenantSecretBinding(tenantId, 'webhook'),
    name: 'replaced webhook secret',
  },
};

export interface RotationReport {
  /** Secrets found. */
  checked: number;
  /** Re-encrypted under the current key now. */
  reencrypted: number;
  /** Already under the current key. */
  current: number;
  /** Changed by someone else while this ran (already under the current key: a save encrypts with it). */
  changedMeanwhile: number;
  /** Secrets that no configured key decrypts: what they are, and why. */
  failed: Array<{ secret: string; error: string }>;
}

/**
 * Re-encrypts every stored secret under the cipher's current key; the old ciphertexts are read
 * with any configured key (current or previous). Each tenant's re-encryption is a change of its
 * register (store/tenants.ts), decided again if an upsert changed the tenant first: a secret saved
 * meanwhile (already under the current key) is never overwritten. Safe to run again: what is
 * current is left alone. With `dryRun` it only counts.
 */
export async function reencryptSecrets(
  db: Db,
  cipher: TokenCipher,
  options: { dryRun?: boolean } = {},
): Promise<RotationReport> {
  const report: RotationReport = { checked: 0, reencrypted: 0, current: 0, changedMeanwhile: 0, failed: [] };
  // Decryption needs no endpoint: the store's default endpoint is never read here.
  const tenants = new TenantStore(db, cipher, '');
  for (const tenantId of await tenants.ids()) {
    // The register may ask more than once (an upsert changed the tenant first): the last answer
    // counts; a secret stale at the first ask and current at the last was saved meanwhile.
    const asks: Array<Array<{ field: EncryptedTenantField; outcome: string }>> = [];
    await tenants.reencrypt(tenantId, (stored) => {
      const outcomes: Array<{ field: EncryptedTenantField; outcome: string }> = [];
      const replaced: Partial<Record<EncryptedTenantField, string>> = {};
      for (const [field, ciphertext] of Object.entries(stored) as Array<[EncryptedTenantField, string]>) {
        const secret = secrets[field];
        if (cipher.isCurrent(ciphertext)) {
          outcomes.push({ field, outcome: 'current' });
          continue;
        }
        try {
          const plain = cipher.decrypt(
            ciphertext,
            secret.boundTo(tenantId),
            `${secret.name} of tenant ${tenantId}`,
          );
          outcomes.push({ field, outcome: 'stale' });
          if (!options.dryRun) replaced[field] = cipher.encrypt(plain, secret.boundTo(tenantId));
        } catch (error) {
          outcomes.push({ field, outcome: (error as Error).message });
        }
      }
      asks.push(outcomes);
      return replaced;
    });
    const staleAtFirst = new Set((asks[0] ?? []).filter((o) => o.outcome === 'stale').map((o) => o.field));
    for (const { field, outcome } of asks.at(-1) ?? []) {
      report.checked += 1;
      if (outcome === 'stale') report.reencrypted += 1;
      else if (outcome === 'current') report[staleAtFirst.has(field) ? 'changedMeanwhile' : 'current'] += 1;
      else report.failed.push({ secret: `${secrets[field].name} of tenant ${tenantId}`, error: outcome });
    }
  }
  return report;
}
