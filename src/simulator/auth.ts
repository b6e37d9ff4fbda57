/**
 * Tokens and scopes. Xledger tokens belong to the entity they were made in, reach all its
 * sub-entities, and carry read/write scopes per functional area (xledger-api.md, H). The
 * scope names and the missing-scope error are our assumption (A): Xledger does not publish them.
 * A refused token is answered as the real API does (TOKEN_REFUSED_MESSAGE).
 */

export const SCOPES = [
  'SUPPLIER_READ',
  'ACCOUNT_READ',
  'OBJECT_READ',
  'CURRENCY_READ',
  'EMPLOYEE_READ',
  'PROJECT_READ',
  'ASSET_READ',
  'ENTITY_READ',
  'GL_IMPORT_READ',
  'GL_IMPORT_WRITE',
  'AP_TRANSACTION_READ',
] as const;

export type Scope = (typeof SCOPES)[number];

export const READ_SCOPES: readonly Scope[] = SCOPES.filter((scope) => scope.endsWith('_READ'));

/** The scope each root field needs. Introspection (__schema, __type) needs none. */
export const ROOT_FIELD_SCOPES: Readonly<Record<string, Scope>> = {
  entities: 'ENTITY_READ',
  suppliers: 'SUPPLIER_READ',
  accounts: 'ACCOUNT_READ',
  objectKinds: 'OBJECT_READ',
  objectValues: 'OBJECT_READ',
  taxTableSetups: 'OBJECT_READ',
  currencies: 'CURRENCY_READ',
  exchangeRates: 'CURRENCY_READ',
  employees: 'EMPLOYEE_READ',
  employee_deltas: 'EMPLOYEE_READ',
  projects: 'PROJECT_READ',
  project_deltas: 'PROJECT_READ',
  assets: 'ASSET_READ',
  glImportItems: 'GL_IMPORT_READ',
  glImportItemErrors: 'GL_IMPORT_READ',
  apTransactions: 'AP_TRANSACTION_READ',
  addGLImportItems: 'GL_IMPORT_WRITE',
};

export interface ApiToken {
  /** A label for counters, faults and logs; the secret itself is never logged. */
  name: string;
  secret: string;
  entityDbId: number;
  scopes: ReadonlySet<Scope>;
}

/** Well-known, deterministic tokens present in every simulator (the same for every seed). */
export const SEED_TOKENS = {
  /** Root group entity, all scopes: sees both owners. */
  root: 'xlsim-root-0000000000000000000000000001',
  /** Owner 1, all scopes. */
  owner1: 'xlsim-owner1-00000000000000000000000001',
  /** Owner 2, all scopes. */
  owner2: 'xlsim-owner2-00000000000000000000000001',
  /** Owner 1's first client entity, all scopes: sees only that client. */
  owner1Client1: 'xlsim-o1c1-000000000000000000000000001',
  /** Owner 1, every read scope except SUPPLIER_READ, and no write scope. */
  owner1NoSupplierRead: 'xlsim-owner1-nosupplier-000000000001',
  /** Owner 1, every read scope, no GL_IMPORT_WRITE. */
  owner1ReadOnly: 'xlsim-owner1-readonly-00000000000001',
} as const;

export type SeedTokenName = keyof typeof SEED_TOKENS;

/**
 * The real API's answer to a token it does not accept: an `errors[]` entry with this message and
 * no `code` (M: grasp-labs' tests map it to an authentication error). (A) that a missing header,
 * another scheme and an unknown or revoked token all get it, and the HTTP status (unpublished):
 * 200, the GraphQL norm (graphql-server.ts).
 */
export const TOKEN_REFUSED_MESSAGE =
  'Bad format for API Token. Expected header: "Authorization: token <your-token>"';

/** `reason` is for the simulator's log only; the answer is always TOKEN_REFUSED_MESSAGE. */
export type AuthorizationResult = { ok: true; secret: string } | { ok: false; reason: string };

/** Reads `Authorization: token <TOKEN>`; the scheme word is `token`, and `Bearer` is refused (H). */
export function readAuthorization(header: string | undefined): AuthorizationResult {
  if (!header || header.trim() === '') return { ok: false, reason: 'no Authorization header' };
  const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
  if (!match) return { ok: false, reason: 'a malformed Authorization header' };
  const [, scheme = '', secret = ''] = match;
  if (scheme.toLowerCase() !== 'token') return { ok: false, reason: `the scheme "${scheme}"` };
  return { ok: true, secret };
}
