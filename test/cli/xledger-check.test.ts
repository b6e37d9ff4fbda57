import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli';
import { SEED_ENTITIES, SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import type { SchemaCheckReport } from '../../src/catalogue/schema-check';
import { admin } from '../simulator/helpers';
import { listOperations } from '../../src/catalogue/operations';

/**
 * `xledger-sync xledger check`: the live schema check of an endpoint and token, before any
 * tenant exists, against the real simulator — in-process through runCli, and once through the
 * bin shim in a child process with neither Temporal nor MongoDB configured (it needs neither).
 */

const execFileAsync = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/xledger-sync.js', import.meta.url));
const OPERATIONS = listOperations().map((operation) => operation.name);
const UNKNOWN_TOKEN = 'xlsim-unknown-check-token-0001';
const TOKENS = [...Object.values(SEED_TOKENS), UNKNOWN_TOKEN];
const ENV = { LOG_LEVEL: 'warn', ALLOW_INSECURE_LOOPBACK: 'true' };

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 6, suppliers: 50 });
});
afterEach(async () => {
  await admin(sim, 'POST', '/admin/schema/reset');
  sim.counters.reset();
});
afterAll(async () => {
  await sim.close();
});

function check(args: string[], stdin?: string): Promise<CliResult> {
  return runCliCaptured(
    ['xledger', 'check', ...args],
    { env: ENV, ...(stdin !== undefined ? { stdin: Readable.from([stdin]) } : {}) },
    [UNKNOWN_TOKEN],
  );
}

const withToken = (token: string, ...rest: string[]) => [
  '--endpoint',
  sim.graphqlUrl,
  '--token',
  token,
  ...rest,
];

/** Requests the simulator answered, all tokens together (refused ones and unknown tokens too). */
const requestsSeen = () => Object.values(sim.counters.all()).reduce((sum, usage) => sum + usage.requests, 0);

describe('xledger-sync xledger check', () => {
  it('passes against the simulator: every operation fits, the owner is visible, no scope missing', async () => {
    const result = await check(withToken(SEED_TOKENS.owner1, '--owner', String(SEED_ENTITIES.owner1)));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Xledger check of ${sim.graphqlUrl}`);
    expect(result.stdout).toMatch(
      new RegExp(
        `^Schema: +introspected \\(\\d+ types\\); ${OPERATIONS.length} operations checked, 0 do not fit$`,
        'm',
      ),
    );
    // One line per operation, each ok.
    expect(lines.filter((line) => /^ {2}(ok|MISMATCH) /.test(line))).toEqual(
      OPERATIONS.map((name) => `  ok        ${name}`),
    );
    expect(result.stdout).toMatch(/^Owner: +101 \(OWNER1\) visible to the token; clients 102, 103, 104/m);
    expect(result.stdout).toMatch(/^Scopes: +16 query fields readable; no scope missing$/m);
    expect(result.stdout).toMatch(/^Requests: +2 \(\d+ kB received\)$/m);
    expect(result.stdout).toMatch(/^Result: +ok$/m);
    // What the check says it cost is what the simulator saw: introspection and one probe.
    expect(sim.counters.get('owner1')?.requests).toBe(2);
    expect(Object.keys(sim.counters.get('owner1')!.byField).sort()).toEqual(
      expect.arrayContaining(['__schema', 'entities', 'suppliers', 'glImportItems']),
    );

    // Without an owner: the schema only, one request.
    const json = await check([...withToken(SEED_TOKENS.owner1), '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as SchemaCheckReport;
    expect(report).toMatchObject({ ok: true, problems: [], owner: null, scopes: null, neededBy: null });
    expect(report.schema.verified).toBe(true);
    expect(report.operations.map((o) => [o.name, o.ok])).toEqual(OPERATIONS.map((name) => [name, true]));
    expect(report.usage.requests).toBe(1);
  });

  it('against a schema variant without Supplier.email: exit 1, naming each operation and the field', async () => {
    await admin(sim, 'PUT', '/admin/schema/remove-field', { type: 'Supplier', field: 'email' });
    const result = await check(withToken(SEED_TOKENS.owner1));
    expect(result.code).toBe(1);
    const supplierPages = [
      'suppliersPage',
      'suppliersPageWithNewestDelta',
      'suppliersPageSince',
      'suppliersPageSinceWithDeltas',
    ];
    for (const name of supplierPages) {
      expect(result.stdout).toMatch(
        new RegExp(
          `^ {2}MISMATCH {2}${name} +suppliers\\.edges\\.node\\.email: Cannot query field "email" on type "Supplier"\\.$`,
          'm',
        ),
      );
      expect(result.stdout).toContain(
        `  - operation ${name} does not fit the schema: suppliers.edges.node.email: Cannot query field "email" on type "Supplier".`,
      );
    }
    // Every other operation still fits.
    const ok = result.stdout.split('\n').filter((line) => line.startsWith('  ok        '));
    expect(ok).toHaveLength(OPERATIONS.length - supplierPages.length);
    expect(result.stdout).toMatch(/^Result: +4 problem\(s\)$/m);

    const json = JSON.parse(
      (await check([...withToken(SEED_TOKENS.owner1), '--json'])).stdout,
    ) as SchemaCheckReport;
    expect(json.ok).toBe(false);
    expect(json.operations.find((o) => o.name === 'suppliersPage')).toEqual({
      name: 'suppliersPage',
      usedBy: ['suppliers'],
      ok: false,
      mismatches: [
        { path: 'suppliers.edges.node.email', message: 'Cannot query field "email" on type "Supplier".' },
      ],
    });
  });

  it('with introspection refused: "could not verify", exit 0', async () => {
    await admin(sim, 'PUT', '/admin/introspection', { enabled: false });
    const result = await check(withToken(SEED_TOKENS.owner1));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^Schema: +could not verify \(not a failure\): Xledger refused introspection: .*introspection has been disabled/m,
    );
    expect(result.stdout).not.toMatch(/^ {2}ok /m);
    expect(result.stdout).toMatch(/^Result: +ok \(schema not verified/m);

    // The owner and the scopes are still checked: they need no introspection.
    const json = await check([...withToken(SEED_TOKENS.owner1, '--owner', '101'), '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as SchemaCheckReport;
    expect(report.schema).toMatchObject({ verified: false });
    expect(report.operations).toEqual([]);
    expect(report.owner).toMatchObject({ dbId: 101, visible: true });
    expect(report.scopes?.missing).toEqual([]);
  });

  it('bad input: exit 2 naming the field, before any request', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--endpoint', 'not a url', '--token', SEED_TOKENS.owner1],
        /^error: Invalid input: --endpoint: must be an http\(s\) URL$/,
      ],
      [
        ['--endpoint', 'ftp://example.com/graphql', '--token', SEED_TOKENS.owner1],
        /--endpoint: must be an http\(s\) URL/,
      ],
      [withToken('short'), /^error: Invalid input: --token: must be an Xledger API token$/],
      [withToken('has a space in it'), /^error: Invalid input: --token: must not contain spaces$/],
      [
        withToken(SEED_TOKENS.owner1, '--owner', '0'),
        /^error: Invalid input: --owner: must be a positive integer$/,
      ],
      [
        withToken(SEED_TOKENS.owner1, '--owner', 'acme'),
        /^error: Invalid input: --owner: must be a positive integer$/,
      ],
      [withToken(SEED_TOKENS.owner1, '--owner', '1.5'), /--owner: must be a positive integer/],
      [['--token', SEED_TOKENS.owner1], /^error: required option '--endpoint <url>' not specified$/],
    ];
    for (const [args, message] of cases) {
      const result = await check(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.trimEnd()).toMatch(message);
    }
    expect(requestsSeen()).toBe(0);
  });

  it('--owner the token cannot see: exit 1 saying so', async () => {
    const result = await check(withToken(SEED_TOKENS.owner1, '--owner', String(SEED_ENTITIES.owner2)));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^Owner: +NOT VISIBLE: the token cannot see entity 105 \(4 entities seen\)$/m,
    );
    expect(result.stdout).toContain('  - the token cannot see entity 105 (it sees 4 entities)');
  });

  it('a token lacking a scope: the scope and the data type named, exit 1', async () => {
    const result = await check(withToken(SEED_TOKENS.owner1NoSupplierRead, '--owner', '101'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Scopes: +15 query fields readable; 1 refused for a missing scope$/m);
    expect(result.stdout).toMatch(/^ {2}MISSING {3}SUPPLIER_READ for suppliers \(data types: suppliers\)$/m);
    expect(result.stdout).toContain('  - the token lacks the scope SUPPLIER_READ for suppliers (suppliers)');
    // The schema itself fits; only the scope is a problem.
    expect(result.stdout).toMatch(/0 do not fit$/m);
    expect(result.stdout).toMatch(/^Result: +1 problem\(s\)$/m);
    // Introspection, the probe, and the probe again without the refused field (graphql-js
    // stops at the first failing non-null root field).
    expect(result.stdout).toMatch(/^Requests: +3 /m);

    // A token of the client entity sees no owner 101, and a token made with few scopes lacks many.
    await admin(sim, 'POST', '/admin/tokens', {
      name: 'few-scopes',
      entityDbId: 101,
      scopes: ['ENTITY_READ', 'SUPPLIER_READ'],
      token: 'xlsim-few-scopes-000000000000000000001',
    });
    TOKENS.push('xlsim-few-scopes-000000000000000000001');
    const few = await check([
      ...withToken('xlsim-few-scopes-000000000000000000001', '--owner', '101'),
      '--json',
    ]);
    expect(few.code).toBe(1);
    const report = JSON.parse(few.stdout) as SchemaCheckReport;
    const missing = Object.fromEntries(report.scopes!.missing.map((m) => [m.field, [m.scope, m.usedBy]]));
    expect(missing).toMatchObject({
      accounts: ['ACCOUNT_READ', ['accounts']],
      objectValues: ['OBJECT_READ', ['dimensions', 'vatCodes']],
      assets: ['ASSET_READ', ['fixedAssets']],
      employees: ['EMPLOYEE_READ', ['projects']],
      glImportItems: ['GL_IMPORT_READ', ['invoices']],
    });
    expect(report.scopes!.readable.sort()).toEqual(['entities', 'supplier_deltas', 'suppliers']);
    expect(report.owner).toMatchObject({ visible: true });
  });

  it('a token Xledger refuses: exit 1, one line naming the token', async () => {
    // The real refusal (round three): an errors[] entry with the message and no code, HTTP 200 —
    // not a refused introspection ("could not verify", exit 0).
    for (const args of [withToken(UNKNOWN_TOKEN), withToken(UNKNOWN_TOKEN, '--owner', '101')]) {
      const result = await check(args);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: The Xledger check failed: Xledger refused the token: Bad format for API Token. Expected header: "Authorization: token <your-token>"\n',
      });
    }
  });

  it('--token - reads the token from stdin', async () => {
    const result = await check(
      ['--endpoint', sim.graphqlUrl, '--token', '-', '--json'],
      `${SEED_TOKENS.owner1}\n`,
    );
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as SchemaCheckReport).ok).toBe(true);
  });

  it('the bin shim runs it in a child process without Temporal or MongoDB', async () => {
    const { stdout, stderr } = await execFileAsync(
      'node',
      [bin, 'xledger', 'check', ...withToken(SEED_TOKENS.owner1, '--owner', '101'), '--json'],
      // Nothing points at a Temporal or MongoDB server, and no encryption key is set.
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ALLOW_INSECURE_LOOPBACK: 'true' } },
    );
    expect(stderr).toBe('');
    expect(stdout).not.toContain(SEED_TOKENS.owner1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, owner: { visible: true } });

    await admin(sim, 'PUT', '/admin/schema/remove-field', { type: 'Supplier', field: 'email' });
    const failed = await execFileAsync('node', [bin, 'xledger', 'check', ...withToken(SEED_TOKENS.owner1)], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ALLOW_INSECURE_LOOPBACK: 'true' },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: '' });
    expect((failed as { stdout: string }).stdout).toMatch(/MISMATCH {2}suppliersPage /);
    expect((failed as { stdout: string }).stdout).not.toContain(SEED_TOKENS.owner1);
  });
});
