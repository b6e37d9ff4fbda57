import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Xledger tokens (and tenants' webhook secrets) at rest: AES-256-GCM with a key from the
 * environment. The stored form is `v1.<iv>.<tag>.<ciphertext>` (base64url), so a key rotation
 * can add v2 beside it. What a secret is for (`purpose`, default the token) is authenticated
 * with the tenant id: a webhook secret's ciphertext never decrypts as a token, nor vice versa.
 */
export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The token encryption key must be 32 bytes');
  }

  encrypt(token: string, tenantId: string, purpose: SecretPurpose = 'token'): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The tenant id is authenticated data: a ciphertext copied to another tenant fails to decrypt.
    cipher.setAAD(additionalData(tenantId, purpose));
    const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(stored: string, tenantId: string, purpose: SecretPurpose = 'token'): string {
    const what = purpose === 'token' ? 'token' : 'webhook secret';
    const [version, iv, tag, ciphertext] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || !ciphertext) {
      throw new Error(`The stored ${what} of tenant ${tenantId} is not in a known format`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(additionalData(tenantId, purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(`The stored ${what} of tenant ${tenantId} cannot be decrypted with the configured key`);
    }
  }
}

export type SecretPurpose = 'token' | 'webhook';

/** The token keeps the tenant id alone (as stored before webhook secrets existed). */
const additionalData = (tenantId: string, purpose: SecretPurpose) =>
  Buffer.from(purpose === 'token' ? tenantId : `${tenantId}\u0000${purpose}`);
