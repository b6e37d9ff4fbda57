/**
 * `npm run build`: dist/ for production and for the package, run on plain node (no tsx).
 *
 *   dist/worker.js, dist/cli.js   the programs (node dist/worker.js; the `xledger-sync` command)
 *   dist/api.js                   the HTTP API (node dist/api.js; also `xledger-sync api`)
 *   dist/index.js, dist/types/     the client API that SEMINE's backend imports, with its types
 *   dist/chunks/                  code the entry points share
 *   dist/workflow-bundle.js       the workflows, bundled once here instead of at every worker start
 *   dist/schemas/events/<type>.json  a JSON Schema per webhook event type, generated from the zod
 *                                 schemas (src/domain/event-schemas.ts): `@semine/xledger-sync/schemas/*`
 *
 * The JavaScript is bundled by esbuild: the sources import without file extensions (TypeScript's
 * "Bundler" resolution), which Node's ESM loader does not resolve, so tsc's own output would not
 * run. Dependencies stay external (installed from package.json). The type declarations come from
 * tsc, with every relative specifier completed (found by parsing, whatever its form; the build
 * fails on one that does not resolve: scripts/declaration-specifiers.ts), so that a project
 * resolving like Node ("nodenext") reads them too.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'esbuild';
import { workflowTracingModules } from '../src/observability/tracing';
import { eventJsonSchemas } from '../src/domain/event-schemas';
import { completeDeclarationSpecifiers } from './declaration-specifiers';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist/`;
const run = promisify(execFile);

async function buildPrograms(): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: {
      worker: 'src/worker.ts',
      cli: 'src/cli.ts',
      api: 'src/api/main.ts',
      index: 'src/index.ts',
    },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

async function buildWorkflowBundle(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: `${root}src/workflows/index.ts`,
    workflowInterceptorModules: workflowTracingModules,
    logger: { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error },
  });
  await writeFile(`${dist}workflow-bundle.js`, code);
}

async function buildDeclarations(): Promise<void> {
  await run(`${root}node_modules/.bin/tsc`, ['-p', 'tsconfig.build.json'], { cwd: root });
  // tsc keeps the sources' extensionless specifiers; a project resolving like Node ("nodenext")
  // needs them to name files: './client' becomes './client.js' (or './client/index.js').
  await completeDeclarationSpecifiers(`${dist}types/`);
  const index = `${dist}types/index.d.ts`;
  await writeFile(index, `/// <reference types="node" />\n${await readFile(index, 'utf8')}`);
}

async function buildEventSchemas(): Promise<void> {
  await mkdir(`${dist}schemas/events`, { recursive: true });
  for (const [type, schema] of Object.entries(eventJsonSchemas())) {
    await writeFile(`${dist}schemas/events/${type}.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
}

const started = Date.now();
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await Promise.all([buildPrograms(), buildWorkflowBundle(), buildDeclarations(), buildEventSchemas()]);
console.log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
