/**
 * Tokens and scopes. Xledger tokens belong to the entity they were made in, reach all its
 * sub-entities, and carry read/write scopes per functional area (xledger-api.md, H). The
 * scope names and the error shapes are our assumption (A): Xledger does not publish them.
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

export type AuthorizationResult = { ok: true; secret: string } | { ok: false; message: string };

/** Reads `Authorization: token <TOKEN>`; the scheme word is `token`, and `Bearer` is refused (H). */
export function readAuthorization(header: string | undefined): AuthorizationResult {
  if (!header || header.trim() === '') {
    return {
      ok: false,
      message: 'Missing Authorization header; expected "Authorization: token <API token>"',
    };
  }
  const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
  if (!match) return { ok: false, message: 'Malformed Authorization header; expected "token <API token>"' };
  const [, scheme = '', secret = ''] = match;
  if (scheme.toLowerCase() !== 'token') {
    return {
      ok: false,
      message: `Unsupported authorization scheme "${scheme}"; expected "token <API token>"`,
    };
  }
  return { ok: true, secret };
}
