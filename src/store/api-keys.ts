import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from 'mongodb';
import { collections } from './collections';

/**
 * The HTTP API's keys (src/api). A key is `xs_<keyId>_<secret>`: the id is public (logs,
 * `keys list`), the secret 32 random bytes shown once at creation. Only the SHA-256 of the
 * secret is stored — a slow hash buys nothing for 256 random bits — under `_id` = the key id, so
 * a request's key is found by `_id` (the one filter FerretDB v1 answers from an index) and its
 * secret compared in constant time.
 */

export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  /** The key id (16 hex digits), also the `_id`. */
  id: string;
  name: string | null;
  scope: ApiKeyScope;
  /** The tenants it may touch; null: every tenant. */
  tenants: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
}

interface StoredApiKey extends Omit<ApiKey, 'id'> {
  _id: string;
  /** SHA-256 of the secret, hex. */
  secretHash: string;
}

const KEY_PATTERN = /^xs_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

const viewOf = ({ _id, secretHash: _hash, ...rest }: StoredApiKey): ApiKey => ({ id: _id, ...rest });

/** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(
  db: Db,
  input: { scope: ApiKeyScope; tenants: string[] | null; name: string | null },
): Promise<{ key: string; apiKey: ApiKey }> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const stored: StoredApiKey = {
    _id: id,
    name: input.name,
    scope: input.scope,
    tenants: input.tenants,
    createdAt: new Date(),
    revokedAt: null,
    secretHash: hashOf(secret),
  };
  await db.collection<StoredApiKey>(collections.apiKeys).insertOne(stored);
  return { key: `xs_${id}_${secret}`, apiKey: viewOf(stored) };
}

/** The key a request presented, if it is well-formed, known, unrevoked and its secret matches. */
export async function verifyApiKey(db: Db, presented: string): Promise<ApiKey | undefined> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const stored = await db.collection<StoredApiKey>(collections.apiKeys).findOne({ _id: id });
  if (!stored || stored.revokedAt) return undefined;
  const expected = Buffer.from(stored.secretHash, 'hex');
  const actual = Buffer.from(hashOf(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? viewOf(stored) : undefined;
}

export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  const stored = await db.collection<StoredApiKey>(collections.apiKeys).find({}).toArray();
  return stored.map(viewOf).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * Revokes a key (kept and marked, so `keys list` still shows it; a second revoke keeps the first
 * time); undefined when no key has that id.
 */
export async function revokeApiKey(db: Db, keyId: string): Promise<ApiKey | undefined> {
  const keys = db.collection<StoredApiKey>(collections.apiKeys);
  const stored = await keys.findOne({ _id: keyId });
  if (!stored) return undefined;
  if (stored.revokedAt) return viewOf(stored);
  const revokedAt = new Date();
  await keys.updateOne({ _id: keyId }, { $set: { revokedAt } });
  return viewOf({ ...stored, revokedAt });
}
