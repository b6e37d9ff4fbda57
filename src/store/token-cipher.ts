import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { requireEncryptionKey, type Config } from '../config';

/**
 * Secrets at rest (Xledger tokens; any other secret a feature stores, e.g. webhook secrets):
 * AES-256-GCM with a key from the environment (TOKEN_ENCRYPTION_KEY). Each ciphertext is bound
 * to what it belongs to (`boundTo`, authenticated data: a tenant id for its token), so a
 * ciphertext copied to another tenant or field fails to decrypt.
 *
 * Stored form: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), where keyId is the first 8 bytes
 * of the key's SHA-256 (it names the key without revealing it). The earlier form
 * `v1.<iv>.<tag>.<ciphertext>` names no key and is still read.
 *
 * Key rotation: the cipher encrypts with the current key and decrypts with it or any previous key
 * (TOKEN_ENCRYPTION_KEY_PREVIOUS), so both are accepted while `xledger-sync keys rotate`
 * re-encrypts every stored secret under the current one (store/secret-rotation.ts).
 */
export class TokenCipher {
  private readonly currentId: string;
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly key: Buffer,
    previousKeys: readonly Buffer[] = [],
  ) {
    for (const k of [key, ...previousKeys]) {
      if (k.length !== 32) throw new Error('The token encryption key must be 32 bytes');
    }
    this.currentId = keyId(key);
    this.keys = new Map([...previousKeys, key].map((k) => [keyId(k), k]));
  }

  encrypt(secret: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [
      'v2',
      this.currentId,
      ...[iv, cipher.getAuthTag(), ciphertext].map((p) => p.toString('base64url')),
    ].join('.');
  }

  /** `what` names the secret in an error (e.g. "token of tenant acme"); never its content. */
  decrypt(stored: string, boundTo: string, what = `token of tenant ${boundTo}`): string {
    const parsed = parse(stored);
    if (!parsed) throw new Error(`The stored ${what} is not in a known format`);
    const candidates = parsed.keyId === undefined ? [...this.keys.values()] : [this.keys.get(parsed.keyId)];
    for (const key of candidates) {
      if (!key) continue;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv);
        decipher.setAAD(Buffer.from(boundTo));
        decipher.setAuthTag(parsed.tag);
        return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Another key, or a ciphertext that is not this one's.
      }
    }
    throw new Error(
      parsed.keyId !== undefined && !this.keys.has(parsed.keyId)
        ? `The stored ${what} is encrypted with a key that is not configured (key id ${parsed.keyId}; set it as TOKEN_ENCRYPTION_KEY_PREVIOUS)`
        : `The stored ${what} cannot be decrypted with the configured key`,
    );
  }

  /** True when the stored secret is already under the current key (nothing for a rotation to do). */
  isCurrent(stored: string): boolean {
    return parse(stored)?.keyId === this.currentId;
  }

  /** The current key's id, as stored in front of each ciphertext. */
  get currentKeyId(): string {
    return this.currentId;
  }
}

/** The cipher of the configured keys: TOKEN_ENCRYPTION_KEY, and TOKEN_ENCRYPTION_KEY_PREVIOUS for reading. */
/** What the tenant store needs of a cipher (a read-only client has none that works: it has no key). */
export type SecretCipher = Pick<TokenCipher, 'encrypt' | 'decrypt'>;

export function cipherFromConfig(config: Config): TokenCipher {
  return new TokenCipher(requireEncryptionKey(config), config.previousTokenEncryptionKeys);
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
}

function parse(stored: string) {
  const parts = stored.split('.');
  const [version] = parts;
  const [id, iv, tag, ciphertext] =
    version === 'v2' && parts.length === 5
      ? parts.slice(1)
      : version === 'v1' && parts.length === 4
        ? [undefined, ...parts.slice(1)]
        : [];
  if (!iv || !tag || !ciphertext) return undefined;
  return {
    keyId: id,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
}

/**
 * What a tenant's secret is bound to: the token keeps the tenant id alone (as stored before other
 * secrets existed); any other secret adds its purpose, so a webhook secret's ciphertext never
 * decrypts as a token, nor the other way round.
 */
export type SecretPurpose = 'token' | 'webhook';
export const tenantSecretBinding = (tenantId: string, purpose: SecretPurpose = 'token') =>
  purpose === 'token' ? tenantId : `${tenantId}\u0000${purpose}`;
