/**
 * The production build, as production and SEMINE's backend use it: `npm run build`, then the
 * compiled worker (`node dist/worker.js`, no tsx) runs a sync with the prebuilt workflow bundle,
 * and the packed package (`npm pack`) installs in a scratch project of its own, type-checks there
 * with every declaration checked (skipLibCheck: false) as Node and as a bundler resolve it (the
 * change feed's pages typed, not `any`), passes attw and publint, and upserts a tenant through
 * `import { XledgerSyncClient } from '@semine/xledger-sync'`. The build runs once, for the whole file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connectWithConfig } from '../../src/client/connect-with-config';
import { sendWebhook } from '../../src/events/webhook';
import type { StoredEvent } from '../../src/store/events';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import type { SyncRunSummary } from '../../src/domain/figures';
import { eventTypes } from '../../src/domain/event-catalogue';
import { eventJsonSchemas } from '../../src/domain/event-schemas';
import { spawnChild, workerEnv, type ChildWorker } from '../support/child-worker';
import { startHarness, type Harness } from '../support/harness';
import { startSync } from '../support/sync';
import { apiConfig, clientEnv, waitFor } from '../tenants/support';
import { installTarball, packInto, repoRoot, run, typeCheck } from '../support/scratch-project';

const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * The Temporal SDK's declarations import `ms` (3.0.0-canary.1), whose `exports` map names no
 * types: any project on the Temporal SDK that checks its libraries (skipLibCheck: false) must
 * point TypeScript at ms's own declaration file. Not ours to fix; README says so.
 */
const MS_TYPES_PATH = { ms: ['./node_modules/ms/dist/index.d.ts'] };

/**
 * A SEMINE-style webhook handler and change-feed reader. Each `@ts-expect-error` line must be an error, or the
 * directive itself is one: were a page, a change or a record typed `any` (an unresolved
 * declaration import makes them so), assigning it to a number would compile and tsc would fail.
 */
const SEMINE_FEED_READER = `import {
  DATA_TYPES,
  visibleToClientFilter,
  verifyWebhook,
  XledgerSyncClient,
  type DataType,
  type ResyncTicket,
  type SupplierRecord,
  type SyncCompleted,
  type TenantState,
  type WebhookEvent,
} from '@semine/xledger-sync';

/** A receiver's handler: the event verified and typed, narrowed by its type. */
export function onDelivery(body: Buffer, headers: Record<string, string | string[] | undefined>, secret: string): string {
  const event: WebhookEvent = verifyWebhook(body, headers, secret);
  // @ts-expect-error an event is no number
  const eventIsTyped: number = event;
  void eventIsTyped;
  switch (event.type) {
    case 'invoice.rejected':
      return event.data.reasons.join('; ');
    case 'sync.completed':
      return String(event.data.changes.through);
    default:
      return event.type;
  }
}

/** Explicit configuration: nothing ambient, and a misspelt option does not compile. */
export async function connect(key: string): Promise<XledgerSyncClient[]> {
  // @ts-expect-error connect takes explicit options
  const ambient = await XledgerSyncClient.connect();
  // @ts-expect-error mongodb.database, not databse
  await XledgerSyncClient.connect({ mongodb: { uri: 'mongodb://db:27017', databse: 'x' }, temporal: { address: 't:7233' } });
  const explicit = await XledgerSyncClient.connect({
    mongodb: { uri: 'mongodb://db:27017/semine', database: 'xledger_sync' },
    temporal: { address: 'temporal:7233', namespace: 'default', tls: false },
    tokenEncryptionKey: key,
  });
  const reader = await XledgerSyncClient.connect({
    mongodb: { uri: 'mongodb://db:27017' },
    temporal: { address: 'temporal:7233' },
    readOnly: true,
  });
  return [ambient, explicit, reader, await XledgerSyncClient.fromEnv(process.env)];
}

/** Inputs typed from the zod schemas: each typo below is a compile error. */
export async function typos(api: XledgerSyncClient, token: string): Promise<void> {
  // @ts-expect-error xledger.endpoint, not endpiont
  await api.upsertTenant({ tenantId: 'acme', xledger: { token, endpiont: 'https://x' }, entityOwnerDbId: 101 });
  // @ts-expect-error entityOwnerDbId is a number
  await api.upsertTenant({ tenantId: 'acme', xledger: { token }, entityOwnerDbId: '101' });
  // @ts-expect-error suppliers, not supplier
  await api.forceResync('acme', { dataTypes: ['supplier'] });
  // @ts-expect-error the ticket's request id is the client's own
  await api.forceResync('acme', { requestId: 'r-1' });
  // @ts-expect-error failed, not faild
  await api.listTenants({ state: ['faild'] });
  // @ts-expect-error suppliers, not supplier
  await api.changes('acme', 'supplier');
  // @ts-expect-error ownerDbId is a number
  await api.checkXledger({ endpoint: 'https://demo.xledger.net/graphql', token, ownerDbId: '101' });
  // @ts-expect-error an invoice needs its supplier, dates, amounts and lines
  await api.submitInvoice('acme', { invoiceId: 'INV-1' });
}

/** Change records typed per data type and JSON-safe. */
export async function suppliersOf(api: XledgerSyncClient): Promise<SupplierRecord[]> {
  const page = await api.changes('acme', 'suppliers');
  const records: SupplierRecord[] = [];
  for (const { record } of page.changes) {
    const modifiedAt: string | null = record.modifiedAt;
    const syncedAt: string = record.syncedAt;
    const code: string | null = record.code;
    // @ts-expect-error times are ISO strings, not Dates
    const asDate: Date = record.syncedAt;
    // @ts-expect-error no _id: ours alone
    const id: unknown = record._id;
    // @ts-expect-error no contentHash: ours alone
    const hash: unknown = record.contentHash;
    // @ts-expect-error a supplier has no such field
    const other: unknown = record.notAField;
    void [modifiedAt, syncedAt, code, asDate, id, hash, other];
    records.push(record);
  }
  const dimensions = await api.changes('acme', 'dimensions');
  for (const change of dimensions.changes) {
    // @ts-expect-error only object values have objectKindName: narrow by change.stream first
    void change.record.objectKindName;
    if (change.stream === 'objectValues') void change.record.objectKindName;
  }
  return records;
}

/** The helpers and types the README names are importable from the package itself. */
export const visible: DataType[] = [...DATA_TYPES];
export const filter = visibleToClientFilter('acme', 102);
export function states(state: TenantState, event: SyncCompleted, ticket: ResyncTicket): string {
  return [state, event.changes.through, ticket.requestId].join(' ');
}

export async function follow(api: XledgerSyncClient, cursor: number): Promise<number> {
  const page = await api.changes('acme', 'suppliers', { after: cursor, limit: 1000 });
  // @ts-expect-error a page is no number
  const pageIsTyped: number = page;
  let newest = cursor;
  for (const change of page.changes) {
    // @ts-expect-error a change is no number
    const changeIsTyped: number = change;
    // @ts-expect-error a record is no number
    const recordIsTyped: number = change.record;
    void [changeIsTyped, recordIsTyped];
    const seq: number = change.changeSeq;
    const deleted: boolean = change.deleted;
    if (!deleted) newest = Math.max(newest, seq);
  }
  // @ts-expect-error the cursor is a number, not a string
  const cursorIsNumber: string = page.next;
  void [pageIsTyped, cursorIsNumber, newest];
  const next: number = page.next;
  const more: boolean = page.hasMore;
  return more ? next : page.head;
}
`;

/** examples/: a webhook receiver and a change-feed consumer, as a SEMINE developer copies them. */
const EXAMPLES = ['webhook-receiver.ts', 'change-feed-consumer.ts'];

let h: Harness;
let scratch: string;
const children: ChildWorker[] = [];

beforeAll(async () => {
  const [harness] = await Promise.all([
    startHarness({ seed: 5, suppliers: 60 }),
    run('npm', ['run', '--silent', 'build'], { cwd: repoRoot, timeout: 300_000 }),
  ]);
  h = harness;
  scratch = await mkdtemp(join(tmpdir(), 'xledger-sync-scratch-'));
}, 360_000);

afterAll(async () => {
  for (const child of children) await child.kill('SIGKILL');
  const api = h && (await connectWithConfig(apiConfig(h)).catch(() => undefined));
  await api?.removeTenant('packaged', { purge: true, force: true }).catch(() => undefined);
  await api?.close();
  await h?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('leaves the programs, the client API with its declarations, and the workflow bundle', () => {
    for (const file of [
      'worker.js',
      'cli.js',
      'api.js',
      'index.js',
      'types/index.d.ts',
      'workflow-bundle.js',
    ]) {
      expect(existsSync(join(repoRoot, 'dist', file)), `dist/${file}`).toBe(true);
    }
  });

  it('xledger-sync --version prints the package version, from dist/ on plain node', async () => {
    const { stdout } = await run(process.execPath, ['dist/cli.js', '--version'], { cwd: repoRoot });
    expect(stdout.trim()).toBe(packageVersion);
  });

  it('the compiled worker runs a sync with the prebuilt workflow bundle', async () => {
    await h.saveTenant({
      tenantId: 'compiled',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    const worker = spawnChild(
      process.execPath,
      ['dist/worker.js'],
      workerEnv(h, { XLEDGER_ENDPOINT: h.sim.graphqlUrl, LOG_LEVEL: 'info' }),
    );
    children.push(worker);
    await waitFor('the compiled worker to start', () => worker.output().includes('"msg":"worker started"'), {
      timeoutMs: 60_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}; it said:\n${worker.output()}`);
    });
    expect(worker.output()).toContain('"workflows":"prebuilt bundle"');
    const handle = await startSync(h, 'compiled', 'suppliers', 'full');
    const summary = (await handle.result()) as SyncRunSummary;
    expect(summary.status).toBe('completed');
    expect(summary.totals.inserted).toBe(summary.totals.kept);
    expect(summary.totals.kept).toBeGreaterThan(0);
    expect(await worker.kill('SIGTERM'), worker.output()).toBe(0);
  });
});

describe('npm pack', () => {
  // Installs, two full type checks, attw and publint: minutes on a loaded machine, like the test below.
  it('installs in a scratch project that type-checks against it and upserts a tenant', async () => {
    const tarball = await packInto(repoRoot, scratch);
    expect(tarball).toBe(`semine-xledger-sync-${packageVersion}.tgz`);

    // Dependencies come from npm's cache (the repository's own install filled it).
    await installTarball(scratch, tarball);
    const installed = await readdir(join(scratch, 'node_modules', '@semine', 'xledger-sync'));
    expect(installed.sort()).toEqual(['CHANGELOG.md', 'README.md', 'bin', 'dist', 'package.json']);
    // The installed command runs the compiled CLI (no src/, no tsx there).
    const command = await run(join(scratch, 'node_modules', '.bin', 'xledger-sync'), ['--version'], {
      cwd: scratch,
      timeout: 60_000,
    });
    expect(command.stdout.trim()).toBe(packageVersion);
    // A JSON Schema per event type, reachable through the exports map ("./schemas/*") as a
    // consumer imports it, and the same as the source generates.
    const schemaFiles = await readdir(
      join(scratch, 'node_modules', '@semine', 'xledger-sync', 'dist', 'schemas', 'events'),
    );
    expect(schemaFiles.sort()).toEqual(eventTypes.map((type) => `${type}.json`).sort());
    const imported = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { default: s } = await import('@semine/xledger-sync/schemas/events/invoice.posted.json', { with: { type: 'json' } }); console.log(JSON.stringify(s));",
      ],
      { cwd: scratch, timeout: 60_000 },
    );
    expect(JSON.parse(imported.stdout)).toEqual(eventJsonSchemas()['invoice.posted']);

    // The tarball as registries and consumers see it: types resolve for every ESM resolution
    // (attw; CommonJS consumers are out: the package is ESM only), package.json fields point at
    // files that exist and are of the right format (publint, warnings included).
    const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
    const attw = await run(
      bin('attw'),
      [join(scratch, tarball), '--profile', 'esm-only', '--format', 'ascii'],
      {
        cwd: scratch,
        timeout: 120_000,
      },
    ).catch((error: { stdout?: string; code?: number }) => ({ failed: true, ...error }));
    expect('failed' in attw, `attw: ${attw.stdout ?? ''}`).toBe(false);
    const publint = await run(bin('publint'), ['run', join(scratch, tarball), '--strict'], {
      cwd: scratch,
      timeout: 120_000,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ failed: true, ...error }));
    expect('failed' in publint, `publint: ${publint.stdout ?? ''}${publint.stderr ?? ''}`).toBe(false);

    await writeFile(
      join(scratch, 'upsert.ts'),
      [
        "import { XledgerSyncClient, type TenantConfigInput, type UpsertedTenant } from '@semine/xledger-sync';",
        'const tenant: TenantConfigInput = JSON.parse(process.argv[2]!);',
        'const api = await XledgerSyncClient.fromEnv();',
        'try {',
        '  const saved: UpsertedTenant = await api.upsertTenant(tenant);',
        // Real types, not `any`: this line must be an error (else @ts-expect-error is one).
        '  // @ts-expect-error a tenant is no number',
        '  const notANumber: number = saved;',
        '  void notANumber;',
        '  console.log(JSON.stringify({ saved, listed: (await api.listTenants()).map((t) => t.tenantId) }));',
        '} finally {',
        '  await api.close();',
        '}',
      ].join('\n'),
    );
    await writeFile(join(scratch, 'follow.ts'), SEMINE_FEED_READER);
    // The examples/ SEMINE starts from, checked as a consumer's own code (and run below).
    for (const example of EXAMPLES)
      await copyFile(join(repoRoot, 'examples', example), join(scratch, example));
    // Both ways a Node ESM project resolves packages, each checking every declaration file
    // (skipLibCheck: false), ours and our dependencies' as installed from the tarball.
    const printed = await typeCheck(scratch, ['upsert.ts', 'follow.ts', ...EXAMPLES], {
      typeRoots: [join(repoRoot, 'node_modules', '@types')],
      types: ['node'],
      paths: MS_TYPES_PATH,
    });
    for (const [name, output] of Object.entries(printed)) {
      expect(output, `tsc in the scratch project (${name})`).toBe('');
    }

    const tenant = {
      tenantId: 'packaged',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    };
    const upserted = await run(process.execPath, ['out/upsert.js', JSON.stringify(tenant)], {
      cwd: scratch,
      env: { PATH: process.env.PATH ?? '', ...clientEnv(h) },
      timeout: 120_000,
    });
    const answer = JSON.parse(upserted.stdout) as { saved: { tenantId: string }; listed: string[] };
    expect(answer.saved.tenantId).toBe('packaged');
    expect(answer.listed).toContain('packaged');
    expect(upserted.stdout).not.toContain(SEED_TOKENS.root);
    expect((await h.tenants.get('packaged')).entityOwnerDbId).toBe(SEED_ENTITIES.owner1);
    // Pack, install, attw, publint and two full type checks: minutes on a shared machine.
  }, 300_000);

  it('runs the examples from the installed package: the receiver verifies and de-duplicates, the consumer keeps its cursor', async () => {
    // Compiled by the type check above (nodenext emits to out/).
    expect(
      existsSync(join(scratch, 'out', 'webhook-receiver.js')),
      'the test above installs and compiles',
    ).toBe(true);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = spawnChild(process.execPath, [join(scratch, 'out', 'webhook-receiver.js')], {
      PATH: process.env.PATH ?? '',
      WEBHOOK_SECRET: secret,
      PORT: '0',
    });
    children.push(receiver);
    const port = await waitFor('the example receiver to listen', () => {
      const line = receiver
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"listening"'));
      return line ? (JSON.parse(line) as { listening: number }).listening : undefined;
    });
    const event = {
      _id: 'examples:1',
      id: 'invoice.rejected:examples:INV-7',
      tenantId: 'examples',
      type: 'invoice.rejected' as const,
      seq: 1,
      occurredAt: new Date(),
      recordedAt: new Date(),
      data: { invoiceId: 'INV-7', reasons: ['unknown supplier S9'], rejectedAt: new Date().toISOString() },
      delivery: { state: 'pending' as const, attempts: 0, lastError: null, deliveredAt: null },
    } as unknown as StoredEvent;
    const url = `http://127.0.0.1:${port}/xledger-sync`;
    const send = (signingSecret: string) =>
      sendWebhook({ url, secret: signingSecret }, event, { timeoutMs: 10_000, insecureHosts: ['127.0.0.1'] });
    expect(await send(secret)).toMatchObject({ ok: true, status: 204 });
    expect(await send(secret)).toMatchObject({ ok: true, status: 204 }); // delivered again: handled once
    expect(await send(`whsec_${randomBytes(32).toString('base64')}`)).toMatchObject({ ok: false });
    await waitFor('the refusal logged', () => receiver.output().includes('"refused":400') || undefined);
    const handled = receiver
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"handled"'))
      .map((l) => JSON.parse(l) as { type: string; what: string });
    expect(handled).toEqual([
      expect.objectContaining({
        type: 'invoice.rejected',
        what: 'invoice INV-7 rejected: unknown supplier S9',
      }),
    ]);

    // The consumer: a tenant's first sync read whole, then nothing new, its cursor in a file.
    await h.saveTenant({
      tenantId: 'examples',
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    const worker = await h.startWorker();
    try {
      const summary = (await (
        await startSync(h, 'examples', 'suppliers', 'full')
      ).result()) as SyncRunSummary;
      expect(summary.totals.inserted).toBeGreaterThan(0);
      // Read-only, as the example says: no encryption key given (one would be refused if needed).
      const { XLEDGER_SYNC_TOKEN_ENCRYPTION_KEY: _key, ...readOnlyEnv } = clientEnv(h);
      const consumerEnv = { PATH: process.env.PATH ?? '', ...readOnlyEnv, XLEDGER_SYNC_READ_ONLY: 'true' };
      const consume = async () => {
        const { stdout } = await run(
          process.execPath,
          ['out/change-feed-consumer.js', 'examples', 'suppliers', 'cursor.json'],
          { cwd: scratch, env: consumerEnv, timeout: 120_000 },
        );
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as { upserts: number; cursor: number };
      };
      const first = await consume();
      expect(first.upserts).toBe(summary.totals.inserted);
      expect(JSON.parse(readFileSync(join(scratch, 'cursor.json'), 'utf8'))).toEqual({ after: first.cursor });
      const second = await consume();
      expect(second).toMatchObject({ upserts: 0, cursor: first.cursor });
    } finally {
      worker.shutdown();
    }
  }, 300_000);
});
