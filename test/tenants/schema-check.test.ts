import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli';
import {
  SchemaMismatchError,
  UnknownTenantError,
  XledgerSyncError,
  type TenantCheckReport,
  type XledgerSyncClient,
} from '../../src/client';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { scheduleId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';
import { admin, cliEnv, connectApi, waitForRuns } from './support';

/**
 * The live schema check when a tenant is saved and on demand: upsertTenant refuses a tenant
 * whose needed operations do not fit Xledger's schema (unless told to accept it, which leaves a
 * warning in its status), proceeds with a note when Xledger will not introspect, and `tenant
 * check` runs the check with the stored token. Real simulator, Temporal, MongoDB and CLI.
 */

const TOKENS = Object.values(SEED_TOKENS);

let h: Harness;
let api: XledgerSyncClient;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  h = await startHarness({ seed: 8, suppliers: 60 });
  await h.startWorker();
  api = await connectApi(h);
  env = cliEnv(h);
  dir = await mkdtemp(join(tmpdir(), 'xledger-sync-schema-check-'));
});
afterEach(async () => {
  await admin(h, 'POST', '/admin/schema/reset');
});
afterAll(async () => {
  // Tenant workflow and schedule ids are global in the Temporal namespace: leave none behind
  // (their worker stops with this file).
  for (const tenantId of ['sc-north', 'sc-south', 'sc-east', 'sc-west']) {
    await api?.removeTenant(tenantId, { purge: true, force: true }).catch(() => undefined);
  }
  await api?.close();
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<CliResult> {
  return runCliCaptured(args, { env });
}

async function tenantFile(content: { tenantId: string }): Promise<string> {
  const path = join(dir, `${content.tenantId}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

const north = {
  tenantId: 'sc-north',
  xledger: { token: SEED_TOKENS.owner1 },
  entityOwnerDbId: SEED_ENTITIES.owner1,
};
const removeField = (type: string, field: string) =>
  admin(h, 'PUT', '/admin/schema/remove-field', { type, field });

const EMAIL_MISMATCH = 'suppliers.edges.node.email: Cannot query field "email" on type "Supplier".';

describe('upsertTenant runs the live schema check', () => {
  it('refuses a tenant whose needed operations do not fit, naming the operations and the field', async () => {
    await removeField('Supplier', 'email');
    const error = await api.upsertTenant(north).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect(error).toBeInstanceOf(XledgerSyncError);
    const mismatch = error as SchemaMismatchError;
    expect(mismatch.tenantId).toBe('sc-north');
    expect([...new Set(mismatch.mismatches.map((m) => m.operation))]).toEqual([
      'suppliersPage',
      'suppliersPageWithNewestDelta',
      'suppliersPageSince',
      'suppliersPageSinceWithDeltas',
    ]);
    expect(mismatch.mismatches[0]).toEqual({
      operation: 'suppliersPage',
      path: 'suppliers.edges.node.email',
      message: 'Cannot query field "email" on type "Supplier".',
    });
    expect(mismatch.message).toContain(`suppliersPage: ${EMAIL_MISMATCH}`);
    expect(mismatch.message).toContain('--accept-schema-mismatch');
    await expect(api.getTenant('sc-north')).rejects.toBeInstanceOf(UnknownTenantError);

    // The CLI: exit 1, one line naming the operation and the field; nothing saved.
    const result = await cli('tenant', 'upsert', '--file', await tenantFile(north));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^error: Tenant sc-north: 4 operation\(s\) the tenant needs do not fit Xledger's schema: suppliersPage: suppliers\.edges\.node\.email: /,
    );
    await expect(
      h.client.schedule.getHandle(scheduleId('sc-north', 'suppliers')).describe(),
    ).rejects.toThrow();
  });

  it('accepts it with --accept-schema-mismatch, and its status shows the warning', async () => {
    await removeField('Supplier', 'email');
    const result = await cli(
      'tenant',
      'upsert',
      '--file',
      await tenantFile(north),
      '--accept-schema-mismatch',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Tenant sc-north saved');
    expect(result.stdout).toMatch(
      /^Schema check: +WARNING: saved despite operations that do not fit Xledger's schema$/m,
    );
    expect(result.stdout).toContain(`  WARNING: accepted schema mismatch: suppliersPage: ${EMAIL_MISMATCH}`);

    const status = await cli('tenant', 'status', 'sc-north');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Schema check: +WARNING: saved despite operations that do not fit/m);
    expect(status.stdout).toContain(
      `  WARNING: accepted schema mismatch: suppliersPageSince: ${EMAIL_MISMATCH}`,
    );
    const stored = (await api.tenantStatus('sc-north')).schemaCheck;
    expect(stored).toMatchObject({ outcome: 'mismatch_accepted', note: null });
    expect(stored?.warnings).toHaveLength(4);
    // The settings themselves carry no check result, and no token.
    expect(await api.getTenant('sc-north')).not.toHaveProperty('schemaCheck');

    // `tenant check` finds the same, with the stored token: exit 1.
    const check = await cli('tenant', 'check', 'sc-north');
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^Xledger check of .* for tenant sc-north$/m);
    expect(check.stdout).toMatch(
      new RegExp(`^ {2}MISMATCH {2}suppliersPage +${EMAIL_MISMATCH.replace(/[.()]/g, '\\$&')}$`, 'm'),
    );

    // Once Xledger (here: the simulator) serves the field again, the same upsert verifies it.
    await admin(h, 'POST', '/admin/schema/reset');
    const again = await api.upsertTenant(north);
    expect(again.schemaCheck).toMatchObject({ outcome: 'verified', note: null, warnings: [] });
    const statusAfter = await cli('tenant', 'status', 'sc-north');
    expect(statusAfter.stdout).toMatch(
      /^Schema check: +verified: every operation the tenant needs fits Xledger's schema; checked .* ago\)$/m,
    );
    expect(statusAfter.stdout).not.toContain('WARNING');
  });

  it('counts only the operations the tenant needs: a fixed-assets mismatch stops only a tenant with fixed assets', async () => {
    await removeField('Asset', 'balance');
    const withoutAssets = await api.upsertTenant(north);
    expect(withoutAssets.schemaCheck.outcome).toBe('verified');

    const check = await cli('tenant', 'check', 'sc-north', '--json');
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout) as TenantCheckReport;
    expect(report).toMatchObject({ tenantId: 'sc-north', ok: true, problems: [] });
    expect(report.neededBy).toEqual([
      'suppliers',
      'accounts',
      'dimensions',
      'currencies',
      'vatCodes',
      'invoices',
    ]);
    expect(report.operations.find((o) => o.name === 'assetsPage')).toMatchObject({
      ok: false,
      usedBy: ['fixedAssets'],
      mismatches: [{ path: 'assets.edges.node.balance' }],
    });
    const text = await cli('tenant', 'check', 'sc-north');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^ {2}MISMATCH {2}assetsPage +assets\.edges\.node\.balance: .* \(not needed by this tenant\)$/m,
    );

    await expect(api.upsertTenant({ ...north, options: { fixedAssets: true } })).rejects.toThrow(
      /Tenant sc-north: 1 operation\(s\) the tenant needs do not fit Xledger's schema: assetsPage: assets\.edges\.node\.balance: /,
    );
    // North is unchanged: still without fixed assets.
    expect((await api.getTenant('sc-north')).options.fixedAssets).toBe(false);
  });

  it('leaves out the optional fields the schema lacks: the tenant is saved and syncs the rest; its status names them', async () => {
    await removeField('Currency', 'ownerDbId');
    await removeField('Asset', 'assetGroup');
    const west = {
      tenantId: 'sc-west',
      xledger: { token: SEED_TOKENS.owner1 },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      options: { fixedAssets: true },
    };
    const saved = await api.upsertTenant(west);
    expect(saved.schemaCheck).toMatchObject({ outcome: 'verified', warnings: [] });
    expect(saved.schemaCheck.omittedFields).toEqual([
      { stream: 'currencies', field: 'ownerDbId' },
      { stream: 'assets', field: 'assetGroup' },
    ]);
    // The first sync reads currencies and assets without the fields Xledger lacks.
    const [currencies] = await waitForRuns(h, 'sc-west', 'currencies', 1, 60_000);
    const [assets] = await waitForRuns(h, 'sc-west', 'fixedAssets', 1, 60_000);
    for (const run of [currencies!, assets!]) {
      expect(run.status).toBe('completed');
      expect(run.totals.kept).toBeGreaterThan(0);
    }
    // Without ownerDbId a currency is the Entity Owner's (A); an asset has no group.
    const stored = await h.store.db.collection('fixed_assets').find({ tenantId: 'sc-west' }).toArray();
    expect(stored.length).toBe(assets!.totals.kept);
    const status = await cli('tenant', 'status', 'sc-west');
    expect(status.stdout).toMatch(
      /^ {2}Left out \(optional, not in this Xledger's schema\): currencies\.ownerDbId, assets\.assetGroup$/m,
    );

    // A required field missing still refuses the tenant.
    await removeField('Currency', 'code');
    await expect(api.upsertTenant(west)).rejects.toThrow(/currenciesPage: currencies\.edges\.node\.code: /);
  });

  it('an optional field Xledger drops after the check is left out when a pass meets it, and the run completes', async () => {
    const west = {
      tenantId: 'sc-west',
      xledger: { token: SEED_TOKENS.owner1 },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    };
    expect((await api.upsertTenant(west)).schemaCheck.omittedFields).toEqual([]);
    await removeField('Currency', 'ownerDbId');
    const result = await cli('tenant', 'resync', 'sc-west', '--type', 'currencies', '--wait');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^currencies: completed/m);
    expect((await api.tenantStatus('sc-west')).schemaCheck?.omittedFields).toEqual([
      { stream: 'currencies', field: 'ownerDbId' },
    ]);
  });

  it('proceeds with a note "schema not verified" when Xledger will not introspect', async () => {
    await admin(h, 'PUT', '/admin/introspection', { enabled: false });
    const south = {
      tenantId: 'sc-south',
      xledger: { token: SEED_TOKENS.owner2 },
      entityOwnerDbId: SEED_ENTITIES.owner2,
    };
    const result = await cli('tenant', 'upsert', '--file', await tenantFile(south));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Schema check: +schema not verified: Xledger refused introspection: /m);
    const status = await api.tenantStatus('sc-south');
    expect(status.schemaCheck).toMatchObject({ outcome: 'not_verified', warnings: [] });
    expect(status.schemaCheck?.note).toMatch(
      /^schema not verified: Xledger refused introspection: .*introspection has been disabled/,
    );
    expect((await cli('tenant', 'status', 'sc-south')).stdout).toMatch(
      /^Schema check: +schema not verified: /m,
    );

    const check = await cli('tenant', 'check', 'sc-south');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^Schema: +could not verify \(not a failure\)/m);
    expect(check.stdout).toMatch(/^Owner: +105 \(OWNER2\) visible to the token/m);

    // An owner the token cannot see is refused as before, introspection or not.
    await expect(api.upsertTenant({ ...south, entityOwnerDbId: SEED_ENTITIES.owner1 })).rejects.toThrow(
      /entityOwnerDbId: the token cannot see entity 101 in Xledger/,
    );
  });

  it('saves a token lacking a scope with a warning naming the scope and the data type; tenant check exits 1', async () => {
    const east = {
      tenantId: 'sc-east',
      xledger: { token: SEED_TOKENS.owner1NoSupplierRead },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    };
    const saved = await api.upsertTenant(east);
    expect(saved.schemaCheck).toEqual({
      checkedAt: expect.any(String) as string,
      outcome: 'verified',
      note: null,
      warnings: ['the token lacks the scope SUPPLIER_READ for suppliers (suppliers)'],
      omittedFields: [],
      // The simulator offers `rateLimit { remaining cost }`: the tenant's requests read it.
      rateLimit: true,
      // Its Subscription type's fields: what push could register (none is, without push).
      subscriptions: [
        'projectsMutated',
        'employeesMutated',
        'suppliersMutated',
        'objectKindsMutated',
        'objectValuesMutated',
      ],
    });
    expect((await cli('tenant', 'status', 'sc-east')).stdout).toContain(
      '  WARNING: the token lacks the scope SUPPLIER_READ for suppliers (suppliers)',
    );
    const check = await cli('tenant', 'check', 'sc-east');
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^ {2}MISSING {3}SUPPLIER_READ for suppliers \(data types: suppliers\)$/m);
    expect(check.stdout).toContain('  - the token lacks the scope SUPPLIER_READ for suppliers (suppliers)');

    expect((await cli('tenant', 'check', 'nobody')).code).toBe(2);
    // No token is stored in clear text.
    const stored = JSON.stringify(await h.store.db.collection('tenants').find({}).toArray());
    for (const token of TOKENS) expect(stored).not.toContain(token);
  });
});
