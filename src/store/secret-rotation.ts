import type { Db, Document } from 'mongodb';
import { collections } from './collections';
import { tenantSecretBinding, type TokenCipher } from './token-cipher';

/**
 * Every secret stored encrypted (with TokenCipher): where it is and what its ciphertext is bound
 * to. A feature that stores another kind of secret (e.g. webhook signing secrets) adds its line
 * here, so that a key rotation re-encrypts it too.
 */
export interface EncryptedField {
  collection: string;
  /** The field holding the ciphertext. */
  field: string;
  /** The authenticated data it was encrypted with, from its document. */
  boundTo(doc: Document): string;
  /** Names the secret in a report or an error, e.g. "token of tenant acme"; never its content. */
  describe(doc: Document): string;
}

export const encryptedFields: EncryptedField[] = [
  {
    collection: collections.tenants,
    field: 'tokenCiphertext',
    boundTo: (doc) => String(doc._id),
    describe: (doc) => `token of tenant ${String(doc._id)}`,
  },
  {
    collection: collections.tenants,
    field: 'webhookSecretCiphertext',
    boundTo: (doc) => tenantSecretBinding(String(doc._id), 'webhook'),
    describe: (doc) => `webhook secret of tenant ${String(doc._id)}`,
  },
  {
    collection: collections.tenants,
    field: 'webhookPreviousSecretCiphertext',
    boundTo: (doc) => tenantSecretBinding(String(doc._id), 'webhook'),
    describe: (doc) => `replaced webhook secret of tenant ${String(doc._id)}`,
  },
];

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
 * with any configured key (current or previous). Each write is conditional on the ciphertext it
 * read, so a secret saved meanwhile (already under the current key) is never overwritten. Safe to
 * run again: what is current is left alone. With `dryRun` it only counts.
 */
export async function reencryptSecrets(
  db: Db,
  cipher: TokenCipher,
  options: { dryRun?: boolean; fields?: readonly EncryptedField[] } = {},
): Promise<RotationReport> {
  const report: RotationReport = { checked: 0, reencrypted: 0, current: 0, changedMeanwhile: 0, failed: [] };
  for (const spec of options.fields ?? encryptedFields) {
    const collection = db.collection(spec.collection);
    for await (const doc of collection.find({ [spec.field]: { $exists: true } })) {
      const stored: unknown = doc[spec.field];
      if (typeof stored !== 'string') continue;
      report.checked += 1;
      if (cipher.isCurrent(stored)) {
        report.current += 1;
        continue;
      }
      let secret: string;
      try {
        secret = cipher.decrypt(stored, spec.boundTo(doc), spec.describe(doc));
      } catch (error) {
        report.failed.push({ secret: spec.describe(doc), error: (error as Error).message });
        continue;
      }
      if (options.dryRun) {
        report.reencrypted += 1;
        continue;
      }
      const result = await collection.updateOne(
        { _id: doc._id, [spec.field]: stored },
        { $set: { [spec.field]: cipher.encrypt(secret, spec.boundTo(doc)) } },
      );
      if (result.modifiedCount === 1) report.reencrypted += 1;
      else report.changedMeanwhile += 1;
    }
  }
  return report;
}
