/**
 * Hostile input at the service's front door, property-based (fast-check): tenant configs and
 * invoices with fields nulled, removed, mistyped, added, very long, in odd unicode, or numbers
 * beyond 53 bits. Each is accepted as valid, or refused with InvalidInputError naming the field
 * (and the tenant, when its id is well-formed) — never another error, never the token echoed.
 * These are the functions the client API and the CLI call before contacting any server.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, validateInvoiceSubmission, validateTenantConfig } from '../../src/client';
import { loadConfig } from '../../src/config';
import { invoiceSchema } from '../../src/invoices/invoice';
import { tenantIdSchema } from '../../src/domain/tenant';
import { demoInvoice } from '../support/invoices';

const config = loadConfig({ LOG_LEVEL: 'silent' });
const TOKEN = 'xl-token-abcdefghijklmnopqrstuvwxyz-0123456789';
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

/** Values an attacker or a broken client sends where something else belongs. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -0, 0.5, Number.MAX_VALUE, NaN, Infinity),
  fc.integer(),
  fc.double(),
  // Very long strings, and strings of any code point (lone surrogates, RTL marks, NUL, emoji).
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u202Eevil',
    'a\u0000b',
    '\uD800',
    'ℌ𝔢𝔩𝔩𝔬',
    '٣٤٥',
    'e\u0301',
    '\u200B',
    '9007199254740993',
    '',
  ),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 3 }),
);

type Path = ReadonlyArray<string | number>;

/** A copy of `value` with `path` set to `replacement` (undefined removes it). */
function mutate(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path as [string | number, ...Path];
  const next = mutate(copy[head], rest, replacement);
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** A copy of `value` with an extra key in the object at `path`. */
function withExtraKey(value: unknown, path: Path, key: string, extra: unknown): unknown {
  const target = path.reduce<unknown>((node, segment) => (node as Record<string, unknown>)?.[segment], value);
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return value;
  if (key in target) return value;
  return mutate(value, path, { ...(target as Record<string, unknown>), [key]: extra });
}

const extraKey = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key));

/**
 * The refusal names the changed field: the field itself, something inside it, or the object
 * that holds it (a union such as jobLevel fails as a whole).
 */
function expectNamed(refusal: InvalidInputError, path: Path) {
  const changed = path.join('.');
  const named = refusal.issues.some(
    ({ field }) => field.startsWith(changed) || (field !== '(input)' && changed.startsWith(`${field}.`)),
  );
  expect(named, `${changed} not named in: ${refusal.message.slice(0, 300)}`).toBe(true);
}

/** What every refusal must look like. */
function expectClearRefusal(error: unknown, tenantId: unknown, secrets: readonly string[]) {
  expect(error).toBeInstanceOf(InvalidInputError);
  const refusal = error as InvalidInputError;
  expect(refusal.issues.length).toBeGreaterThan(0);
  for (const issue of refusal.issues) {
    expect(issue.field.length).toBeGreaterThan(0);
    expect(issue.message.length).toBeGreaterThan(0);
  }
  if (tenantIdSchema.safeParse(tenantId).success) {
    expect(refusal.tenantId).toBe(tenantId);
    expect(refusal.message).toContain(`for tenant ${String(tenantId)}`);
  } else {
    expect(refusal.tenantId).toBeUndefined();
  }
  for (const secret of secrets) expect(refusal.message).not.toContain(secret);
  return refusal;
}

const validTenant = {
  tenantId: 'acme',
  xledger: { endpoint: 'https://demo.xledger.net/graphql', token: TOKEN },
  entityOwnerDbId: 101,
  options: { fixedAssets: true, projectManagers: false },
  intervalMinutes: { suppliers: 15, invoices: 5 },
  fullPassIntervalHours: 24,
  maxDeletionShare: 0.1,
  posting: { transactionSourceCode: 'AP', jobLevel: { dbSubId: 1 } },
};

const TENANT_PATHS: Path[] = [
  [],
  ['tenantId'],
  ['xledger'],
  ['xledger', 'endpoint'],
  ['xledger', 'token'],
  ['entityOwnerDbId'],
  ['options'],
  ['options', 'fixedAssets'],
  ['intervalMinutes'],
  ['intervalMinutes', 'suppliers'],
  ['fullPassIntervalHours'],
  ['maxDeletionShare'],
  ['posting'],
  ['posting', 'transactionSourceCode'],
  ['posting', 'jobLevel'],
  ['posting', 'jobLevel', 'dbSubId'],
];
const TENANT_OBJECTS: Path[] = [[], ['xledger'], ['options'], ['posting'], ['posting', 'jobLevel']];

/** One to three hostile changes to a valid tenant config. */
const hostileTenant = fc
  .array(
    fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        path: fc.constantFrom(...TENANT_PATHS),
        value: hostileValue,
      }),
      fc.record({
        kind: fc.constant('extra' as const),
        path: fc.constantFrom(...TENANT_OBJECTS),
        key: extraKey,
        value: fc.anything(),
      }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((changes) => ({
    changes,
    input: changes.reduce<unknown>(
      (config, change) =>
        change.kind === 'set'
          ? mutate(config, change.path, change.value)
          : withExtraKey(config, change.path, change.key, change.value),
      validTenant,
    ),
  }));

describe('tenant configs under hostile input', () => {
  it('are accepted as valid, or refused naming the field and the tenant; nothing else', () => {
    fc.assert(
      fc.property(hostileTenant, ({ input }) => {
        let accepted: ReturnType<typeof validateTenantConfig> | undefined;
        let error: unknown;
        try {
          accepted = validateTenantConfig(input, config);
        } catch (e) {
          error = e;
        }
        if (accepted) {
          // What is accepted is a whole valid tenant whose token may go to its endpoint.
          expect(() => validateTenantConfig(accepted, config)).not.toThrow();
          return;
        }
        expectClearRefusal(error, (input as { tenantId?: unknown } | null)?.tenantId, [TOKEN]);
      }),
      { numRuns: RUNS },
    );
  });

  it('a single hostile field is refused under that field’s name', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TENANT_PATHS.filter((path) => path.length > 0)),
        hostileValue,
        (path, value) => {
          const input = mutate(validTenant, path, value);
          try {
            validateTenantConfig(input, config);
          } catch (error) {
            const refusal = expectClearRefusal(error, (input as { tenantId?: unknown }).tenantId, [TOKEN]);
            expectNamed(refusal, path);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('an extra field is refused, naming it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TENANT_OBJECTS), extraKey, fc.anything(), (path, key, value) => {
        const input = withExtraKey(validTenant, path, key, value);
        if (input === validTenant) return;
        const refusal = expectClearRefusal(
          (() => {
            try {
              validateTenantConfig(input, config);
            } catch (error) {
              return error;
            }
            return undefined;
          })(),
          'acme',
          [TOKEN],
        );
        expect(refusal.issues.map((issue) => issue.message).join(' ')).toContain(key);
      }),
      { numRuns: RUNS },
    );
  });

  it('a misspelt field is refused, never silently replaced by a default', () => {
    const misspelt = {
      ...validTenant,
      xledger: { endpiont: 'https://demo.xledger.net/graphql', token: TOKEN },
    };
    expect(() => validateTenantConfig(misspelt, config)).toThrow(/xledger: Unrecognized key: "endpiont"/);
  });
});

const INVOICE_PATHS: Path[] = [
  [],
  ['invoiceId'],
  ['entityDbId'],
  ['supplierCode'],
  ['invoiceNumber'],
  ['invoiceDate'],
  ['dueDate'],
  ['postedDate'],
  ['currency'],
  ['totalAmount'],
  ['payableAccountCode'],
  ['lines'],
  ['lines', 0],
  ['lines', 0, 'accountCode'],
  ['lines', 0, 'amount'],
  ['lines', 1, 'vatCode'],
  ['lines', 1, 'dimensions'],
  ['lines', 1, 'dimensions', 'glObject1'],
  ['lines', 1, 'projectCode'],
  ['lines', 1, 'text'],
  ['yourReference'],
  ['attachment'],
];
const INVOICE_OBJECTS: Path[] = [[], ['lines', 0], ['lines', 1, 'dimensions']];

const validInvoice = demoInvoice('INV-1', 'S-1001', {
  lines: [
    { accountCode: '6300', amount: '1000.00', vatCode: '1' },
    { accountCode: '6800', amount: '250.00', vatCode: '1', dimensions: { glObject1: 'D10' } },
  ],
});

const hostileInvoice = fc
  .array(
    fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        path: fc.constantFrom(...INVOICE_PATHS),
        value: hostileValue,
      }),
      fc.record({
        kind: fc.constant('extra' as const),
        path: fc.constantFrom(...INVOICE_OBJECTS),
        key: extraKey,
        value: fc.anything(),
      }),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((changes) =>
    changes.reduce<unknown>(
      (invoice, change) =>
        change.kind === 'set'
          ? mutate(invoice, change.path, change.value)
          : withExtraKey(invoice, change.path, change.key, change.value),
      validInvoice,
    ),
  );

describe('invoices under hostile input', () => {
  it('are accepted as valid, or refused naming the field and the tenant; nothing else', () => {
    fc.assert(
      fc.property(
        hostileInvoice,
        fc.constantFrom('acme', 'Not A Tenant', '\u202Eacme'),
        (input, tenantId) => {
          let accepted: ReturnType<typeof validateInvoiceSubmission> | undefined;
          let error: unknown;
          try {
            accepted = validateInvoiceSubmission(tenantId, input);
          } catch (e) {
            error = e;
          }
          if (accepted) {
            expect(accepted.tenantId).toBe(tenantId);
            expect(invoiceSchema.safeParse(accepted.invoice).success).toBe(true);
            return;
          }
          expectClearRefusal(error, tenantId, []);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('totals are checked exactly, however large (sums past 2^53 cents)', () => {
    const cents = fc.bigInt({ min: 1n, max: 10n ** 15n - 1n });
    const asAmount = (value: bigint) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;
    fc.assert(
      fc.property(
        fc.array(cents, { minLength: 1, maxLength: 499 }),
        fc.constantFrom(0n, 1n, -1n),
        (lines, off) => {
          const total = lines.reduce((sum, line) => sum + line, 0n) + off;
          const input = {
            ...validInvoice,
            totalAmount: asAmount(total),
            lines: lines.map((line) => ({ accountCode: '6300', amount: asAmount(line) })),
          };
          const fits = total < 10n ** 15n;
          let refusal: InvalidInputError | undefined;
          try {
            validateInvoiceSubmission('acme', input);
          } catch (error) {
            refusal = expectClearRefusal(error, 'acme', []);
          }
          if (off === 0n && fits) expect(refusal).toBeUndefined();
          else expect(refusal?.issues.map((issue) => issue.field)).toContain('totalAmount');
        },
      ),
      { numRuns: 200 },
    );
  });
});
