import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliResult } from '../support/cli';
import type { TenantStatus } from '../../src/client';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { TenantSettings } from '../../src/domain/tenant';
import { scheduleId } from '../../src/temporal/ids';
import { startHarness, type Harness } from '../support/harness';
import { cliEnv, runsOf, waitFor, waitForRuns } from '../tenants/support';

/**
 * The `xledger-sync` CLI against the real servers: in-process through runCli for every
 * command, and once through the real bin shim in a child process.
 */

const execFileAsync = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/xledger-sync.js', import.meta.url));

let h: Harness;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  h = await startHarness({ seed: 5, suppliers: 100 });
  await h.startWorker();
  env = cliEnv(h);
  dir = await mkdtemp(join(tmpdir(), 'xledger-sync-cli-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<CliResult> {
  return cliWith(env, ...args);
}

/** The token never reaches the terminal, whatever the command (runCliCaptured checks). */
function cliWith(environment: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return runCliCaptured(args, { env: environment });
}

/** A failed command: the exit code and exactly one line on stderr, nothing on stdout. */
function expectFailure(result: CliResult, code: number, message: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr.trimEnd()).toMatch(message);
}

async function tenantFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

const north = {
  tenantId: 'north',
  xledger: { token: SEED_TOKENS.owner1 },
  entityOwnerDbId: SEED_ENTITIES.owner1,
  intervalMinutes: { suppliers: 1440, dimensions: 120 },
};
const south = {
  tenantId: 'south',
  xledger: { token: SEED_TOKENS.owner2 },
  entityOwnerDbId: SEED_ENTITIES.owner2,
  options: { fixedAssets: true },
};

describe('xledger-sync tenant', () => {
  it('upsert onboards a tenant from a JSON file and prints its schedules', async () => {
    // No first sync: the tests below count the runs of their own resyncs.
    const result = await cli(
      'tenant',
      'upsert',
      '--no-first-sync',
      '--file',
      await tenantFile('north.json', north),
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Tenant north saved (entity owner 101, ${h.sim.graphqlUrl}).`);
    expect(result.stdout).toMatch(/^DATA TYPE\s+EVERY$/m);
    expect(result.stdout).toMatch(/^suppliers\s+1d$/m);
    expect(result.stdout).toMatch(/^dimensions\s+2h$/m);
    expect(result.stdout).toMatch(/^accounts\s+1d$/m);
    expect(result.stdout).not.toMatch(/fixedAssets/);
    const schedule = await h.client.schedule.getHandle(scheduleId('north', 'suppliers')).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(1440 * 60_000);

    const json = await cli(
      'tenant',
      'upsert',
      '-f',
      await tenantFile('south.json', south),
      '--json',
      '--no-first-sync',
    );
    expect(json.code).toBe(0);
    const settings = JSON.parse(json.stdout) as TenantSettings;
    expect(settings).toMatchObject({
      tenantId: 'south',
      entityOwnerDbId: 105,
      options: { fixedAssets: true, projectManagers: false },
      xledger: { endpoint: h.sim.graphqlUrl },
    });
    expect(settings.xledger).not.toHaveProperty('token');
    await h.client.schedule.getHandle(scheduleId('south', 'fixedAssets')).describe();
  });

  it('list prints a table, and JSON with --json', async () => {
    const table = await cli('tenant', 'list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TENANT\s+STATE\s+OWNER\s+FIXED ASSETS\s+PROJECT MANAGERS\s+INTERVALS\s+FULL PASS\s+ENDPOINT$/,
    );
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/))).toEqual([
      ['north', 'never_run', '101', 'no', 'no', 'suppliers=1d dimensions=2h', '24h', h.sim.graphqlUrl],
      ['south', 'never_run', '105', 'yes', 'no', 'defaults', '24h', h.sim.graphqlUrl],
    ]);
    // Columns are aligned: numbers end where their header ends, text starts where it starts.
    const owner = lines[0]!.indexOf('OWNER');
    const endpoint = lines[0]!.indexOf('ENDPOINT');
    for (const line of lines.slice(1)) {
      expect(line.slice(owner, owner + 'OWNER'.length)).toMatch(/^ {2}10[15]$/);
      expect(line.slice(endpoint)).toBe(h.sim.graphqlUrl);
    }

    const json = await cli('tenant', 'list', '--json');
    expect(json.code).toBe(0);
    const tenants = JSON.parse(json.stdout) as TenantSettings[];
    expect(tenants.map((t) => [t.tenantId, t.entityOwnerDbId])).toEqual([
      ['north', 101],
      ['south', 105],
    ]);
  });

  it('resync requests a sync that status then shows with its figures', async () => {
    const result = await cli('tenant', 'resync', 'north', '--type', 'suppliers', '--full');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [requested, started, ...rest] = result.stdout.trimEnd().split('\n');
    expect(requested).toBe('Resync requested for tenant north: suppliers (full).');
    expect(rest).toEqual([]);
    const [run] = await waitForRuns(h, 'north', 'suppliers', 1);
    // It names the run that took the request.
    expect(started).toBe(`  suppliers: run ${run!.workflowId} (${run!.runId})`);
    expect(run!.trigger).toBe('resync');
    expect(run!.streams.map((s) => s.mode)).toEqual(['full']);

    // The run is stored before its workflow closes, and the schedule (a workflow of its own)
    // learns a moment later that its action ended: status is read once both have happened.
    await h.client.workflow.getHandle(run!.workflowId, run!.runId).result();
    const status = await waitFor('the schedule to see the run closed', async () => {
      const shown = await cli('tenant', 'status', 'north');
      return /^suppliers\s+ok\s/m.test(shown.stdout) ? shown : undefined;
    });
    expect(status.code).toBe(0);
    const text = status.stdout;
    expect(text).toMatch(/^Tenant: +north$/m);
    expect(text).toMatch(/^Entity owner: +101$/m);
    expect(text).toMatch(/^Posting: +transaction source AP, job level dbSubId 1, attach document no$/m);
    expect(text).toMatch(/^Paused: +no$/m);
    expect(text).toMatch(/^Resyncs: +0 waiting; last asked .* for suppliers \(full\)$/m);
    expect(text).toMatch(/^State: +never_run \(first sync not complete; onboarded .*Z\)$/m);
    expect(text).toMatch(
      /^DATA TYPE\s+STATE\s+EVERY\s+PAUSED\s+NEXT RUN\s+RUNNING\s+LAST SUCCESS\s+LAST RUN\s+STATUS\s+TRIGGER$/m,
    );
    expect(text).toMatch(
      /^suppliers\s+ok\s+1d\s+no\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(in .+\)\s+no\s+.+ ago\)\s+.+ ago\)\s+completed\s+resync$/m,
    );
    expect(text).toMatch(/^accounts\s+never_run\s+1d\s+no\s+.+\s+no\s+-\s+-\s+-\s+-$/m);
    expect(text).toMatch(new RegExp(`^ {2}last 24 h: +${run!.totals.requests} requests,`, 'm'));
    const figures = text
      .split('\n')
      .find((line) => line.startsWith('suppliers') && line.includes('full'))!
      .split(/\s+/);
    const t = run!.totals;
    expect(figures.slice(0, 9)).toEqual([
      'suppliers',
      'full',
      String(t.fetched),
      String(t.kept),
      String(t.inserted),
      String(t.updated),
      String(t.deleted),
      String(t.rejected),
      String(t.requests),
    ]);
    expect(t.inserted).toBeGreaterThan(0);
    expect(text).not.toContain('Last errors');

    const json = await cli('tenant', 'status', 'north', '--json');
    const parsed = JSON.parse(json.stdout) as TenantStatus;
    const suppliers = parsed.dataTypes.find((d) => d.dataType === 'suppliers')!;
    expect(suppliers).toMatchObject({
      intervalMinutes: 1440,
      paused: false,
      runningNow: false,
      lastError: null,
    });
    expect(suppliers.lastRun?.runId).toBe(run!.runId);
    expect(parsed.dataTypes.map((d) => d.dataType)).toEqual([
      'suppliers',
      'accounts',
      'dimensions',
      'currencies',
      'vatCodes',
      'invoices',
    ]);
    expect(parsed.workflow?.recent[0]).toMatchObject({ dataTypes: ['suppliers'], full: true });
  });

  it('resync takes several types (comma-separated, or the flag repeated) and reports JSON', async () => {
    const result = await cli(
      'tenant',
      'resync',
      '--type',
      'suppliers',
      'south',
      '--type',
      'vatCodes,currencies',
      '--json',
    );
    expect(result.code).toBe(0);
    const ticket = JSON.parse(result.stdout) as { resync: unknown; runs: Array<{ dataType: string }> };
    expect(ticket).toMatchObject({
      resync: { tenantId: 'south', dataTypes: ['suppliers', 'vatCodes', 'currencies'], full: false },
      tenantId: 'south',
      requestId: expect.any(String) as string,
      dataTypes: ['suppliers', 'currencies', 'vatCodes'], // the registry's order
      ignored: [],
      needsAttention: null,
    });
    expect(ticket.runs.map((r) => r.dataType).sort()).toEqual(['currencies', 'suppliers', 'vatCodes']);
    for (const type of ['suppliers', 'vatCodes', 'currencies']) await waitForRuns(h, 'south', type, 1);
    expect(await runsOf(h, 'south', 'accounts')).toEqual([]);
    // And nothing of it ran for north.
    expect(await runsOf(h, 'north', 'vatCodes')).toEqual([]);
  });

  it('pause and resume', async () => {
    const paused = await cli('tenant', 'pause', 'south');
    expect(paused).toEqual({ code: 0, stdout: 'Tenant south paused.\n', stderr: '' });
    const describe = () => h.client.schedule.getHandle(scheduleId('south', 'fixedAssets')).describe();
    expect((await describe()).state.paused).toBe(true);
    expect((await describe()).state.note).toBe('paused with the xledger-sync CLI');
    const status = await cli('tenant', 'status', 'south');
    expect(status.stdout).toMatch(/^Paused: +yes$/m);
    expect(status.stdout).toMatch(/^fixedAssets\s+paused\s+6h\s+yes\s+-\s+no/m);
    // north is not affected.
    expect((await cli('tenant', 'status', 'north')).stdout).toMatch(/^Paused: +no$/m);

    const resumed = await cli('tenant', 'resume', 'south', '--json');
    expect(JSON.parse(resumed.stdout)).toEqual({ tenantId: 'south', paused: false });
    expect((await describe()).state.paused).toBe(false);
  });

  it('errors: one line on stderr, exit 2 for invalid input and unknown tenants, 1 otherwise', async () => {
    expectFailure(
      await cli('tenant', 'upsert', '--file', join(dir, 'missing.json')),
      2,
      /^error: Invalid input: --file: cannot read .*missing\.json \(ENOENT\)$/,
    );
    // Broken JSON: where it broke, never the text around it (it may be the token).
    const broken = await tenantFile(
      'broken.json',
      `{"tenantId": "x", "xledger": {"token": "${SEED_TOKENS.root}" }`,
    );
    expectFailure(
      await cli('tenant', 'upsert', '--file', broken),
      2,
      /^error: Invalid input: --file: .*broken\.json is not valid JSON/,
    );
    expectFailure(
      await cli(
        'tenant',
        'upsert',
        '--file',
        await tenantFile('invalid.json', { tenantId: 'west', xledger: { token: SEED_TOKENS.owner1 } }),
      ),
      2,
      /^error: Invalid input for tenant west: entityOwnerDbId: /,
    );
    expectFailure(
      await cli(
        'tenant',
        'upsert',
        '--file',
        await tenantFile('refused.json', {
          ...north,
          tenantId: 'east',
          xledger: { token: 'xl-unknown-token-1' },
        }),
      ),
      1,
      /^error: Tenant east: Xledger refused the check of the token/,
    );
    expectFailure(await cli('tenant', 'status', 'nobody'), 2, /^error: Unknown tenant "nobody"$/);
    expectFailure(await cli('tenant', 'remove', 'nobody'), 2, /^error: Unknown tenant "nobody"$/);
    expectFailure(await cli('tenant', 'resync', 'Bad Id'), 2, /^error: Invalid input: tenantId: /);
    expectFailure(
      await cli('tenant', 'resync', 'north', '--type', 'suppliers,ledgers'),
      2,
      /^error: Invalid input for tenant north: --type: unknown data type "ledgers" \(known: suppliers, accounts, dimensions, currencies, vatCodes, projects, fixedAssets\)$/,
    );
    expectFailure(await cli('tenant', 'frobnicate'), 2, /^error: unknown command 'frobnicate'/);
    expectFailure(await cli('tenant', 'list', '--verbose'), 2, /^error: unknown option '--verbose'/);
    expectFailure(
      await cli('tenant', 'upsert'),
      2,
      /^error: required option '-f, --file <path>' not specified/,
    );
    const { TOKEN_ENCRYPTION_KEY: _key, ...noKey } = env;
    expectFailure(
      await cliWith(noKey, 'tenant', 'list'),
      1,
      /^error: Invalid configuration: TOKEN_ENCRYPTION_KEY is required/,
    );
    // Nothing was stored by the failed upserts.
    expect((await cli('tenant', 'list', '--json')).stdout).not.toMatch(/west|east|"x"/);
  });

  it('the bin shim runs the CLI in a child process', async () => {
    const { stdout, stderr } = await execFileAsync('node', [bin, 'tenant', 'list', '--json'], {
      env: { ...process.env, ...env },
    });
    expect(stderr).toBe('');
    expect((JSON.parse(stdout) as TenantSettings[]).map((t) => t.tenantId)).toEqual(['north', 'south']);

    const failed = await execFileAsync('node', [bin, 'tenant', 'status', 'nobody'], {
      env: { ...process.env, ...env },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2, stdout: '', stderr: 'error: Unknown tenant "nobody"\n' });
  });

  it('remove deletes the tenant, and --purge its synced data', async () => {
    const supplierCount = (tenantId: string) =>
      h.store.db.collection('suppliers').countDocuments({ tenantId });
    expect(await supplierCount('north')).toBeGreaterThan(0);
    expect(await supplierCount('south')).toBeGreaterThan(0);

    const removed = await cli('tenant', 'remove', 'north', '--purge');
    expect(removed).toEqual({
      code: 0,
      stdout: 'Tenant north removed and its synced data purged.\n',
      stderr: '',
    });
    expect(await supplierCount('north')).toBe(0);
    await expect(h.client.schedule.getHandle(scheduleId('north', 'suppliers')).describe()).rejects.toThrow();

    const json = await cli('tenant', 'remove', 'south', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ tenantId: 'south', removed: true, purged: false });
    expect(await supplierCount('south')).toBeGreaterThan(0);

    expect(await cli('tenant', 'list')).toEqual({ code: 0, stdout: 'No tenants.\n', stderr: '' });
    expect(JSON.parse((await cli('tenant', 'list', '--json')).stdout)).toEqual([]);
    await waitFor('the tenant workflows to end', async () => {
      const d = await h.client.workflow.getHandle('tenant:south').describe();
      return d.status.name === 'TERMINATED';
    });
  });
});
