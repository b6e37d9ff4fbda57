/**
 * The slim client (clients/http, `@semine/xledger-sync-http`) as SEMINE's backend installs it:
 * packed, installed in a scratch project of its own with only its own dependencies (openapi-fetch
 * and its helpers: no Temporal, MongoDB or OpenTelemetry), and a consumer's code type-checked
 * against it with every declaration checked, as Node and as a bundler resolve it. The routes,
 * their inputs and their answers are typed (a wrong path, a missing parameter or an answer used
 * as a number fail tsc), and the consumer then runs against a stand-in HTTP server.
 */
import { createServer } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTarball, packInto, repoRoot, run, typeCheck } from '../support/scratch-project';

const CONSUMER = `import { createXledgerSyncClient, type Problem } from '@semine/xledger-sync-http';

// Checked without @types/node (the package needs none): the one Node global used, declared.
declare const process: { argv: string[] };

const api = createXledgerSyncClient({ baseUrl: process.argv[2]!, apiKey: process.argv[3]! });

export async function main(): Promise<void> {
  const { data, error } = await api.GET('/v1/tenants/{tenantId}', { params: { path: { tenantId: 'acme' } } });
  if (error) {
    const problem: Problem = error;
    console.log(JSON.stringify({ problem: problem.status }));
    return;
  }
  // @ts-expect-error an answer is no number
  const statusIsTyped: number = data;
  const paused: boolean = data.paused;
  void statusIsTyped;
  const listed = await api.GET('/v1/tenants', { params: { query: { state: 'failed' } } });
  const ids: string[] = listed.data?.tenants.map((tenant) => tenant.tenantId) ?? [];
  // @ts-expect-error no such route
  await api.GET('/v1/nothing');
  // @ts-expect-error the tenant id is required
  await api.GET('/v1/tenants/{tenantId}', { params: { path: {} } });
  // @ts-expect-error entityOwnerDbId is a number
  await api.PUT('/v1/tenants/{tenantId}', { params: { path: { tenantId: 'acme' } }, body: { xledger: { token: 't' }, entityOwnerDbId: '1' } });
  console.log(JSON.stringify({ paused, ids }));
}

await main();
`;

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'xledger-sync-http-scratch-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('@semine/xledger-sync-http', () => {
  it('installs with only its own dependencies, type-checks a consumer and runs it', async () => {
    const tarball = await packInto(join(repoRoot, 'clients', 'http'), scratch);
    expect(tarball).toMatch(/^semine-xledger-sync-http-\d+\.\d+\.\d+\.tgz$/);
    await installTarball(scratch, tarball);
    const installed = (await readdir(join(scratch, 'node_modules'))).filter((name) => !name.startsWith('.'));
    expect(installed.sort()).toEqual(['@semine', 'openapi-fetch', 'openapi-typescript-helpers']);
    expect((await readdir(join(scratch, 'node_modules', '@semine', 'xledger-sync-http'))).sort()).toEqual([
      'README.md',
      'index.d.ts',
      'index.js',
      'openapi.d.ts',
      'openapi.json',
      'package.json',
    ]);

    await writeFile(join(scratch, 'consumer.ts'), CONSUMER);
    // The DOM library's fetch types: no @types/node, nothing but the package and TypeScript.
    const printed = await typeCheck(scratch, ['consumer.ts'], { lib: ['es2022', 'dom'], types: [] });
    expect(printed).toEqual({ nodenext: '', bundler: '' });

    // The compiled consumer against a stand-in server: the key goes as a bearer token.
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization}`);
      response.writeHead(404, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'about:blank', title: 'Unknown tenant', status: 404 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const { stdout } = await run(
        process.execPath,
        ['out/consumer.js', `http://127.0.0.1:${port}`, 'xs_0123456789abcdef_k'],
        {
          cwd: scratch,
          timeout: 60_000,
        },
      );
      expect(JSON.parse(stdout.trim())).toEqual({ problem: 404 });
      expect(seen).toEqual(['GET /v1/tenants/acme Bearer xs_0123456789abcdef_k']);
    } finally {
      server.close();
    }
  }, 300_000);
});
