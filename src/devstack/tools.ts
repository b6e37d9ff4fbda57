import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { devstackLog } from './log';

const execFileAsync = promisify(execFile);

/** The pinned versions of the local servers. Bump here; the cache dir follows the version. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const FERRETDB_VERSION = 'v1.24.2';
/**
 * Our build of it (the cache dir follows): v1.24.2 with its `_id` look-ups using its `_id`
 * index (see ferretdbTool). Bump the suffix when the build changes.
 */
export const FERRETDB_BUILD = `${FERRETDB_VERSION}-id-index`;

export class ToolNotFoundError extends Error {
  override name = 'ToolNotFoundError';
}

export interface ToolLookupOptions {
  /** Environment to read PATH, XDG_CACHE_HOME, HOME and MONGODB_URI from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where to look for `go` when it is not on PATH. */
  goFallbacks?: string[];
}

const DEFAULT_GO_FALLBACKS = ['/usr/local/go/bin/go'];

/** `${XDG_CACHE_HOME:-~/.cache}/xledger-sync/tools`: per user, shared by all checkouts. */
export function toolsCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'xledger-sync', 'tools');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable called `cmd` on the PATH of `env`, like `which`. */
export async function findOnPath(
  cmd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function findGo(opts: ToolLookupOptions): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const onPath = await findOnPath('go', env);
  if (onPath) return onPath;
  const fallbacks = [
    ...(env.GOROOT ? [path.join(env.GOROOT, 'bin', 'go')] : []),
    ...(opts.goFallbacks ?? DEFAULT_GO_FALLBACKS),
  ];
  for (const candidate of fallbacks) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

/** Runs `bin --version`; a binary that cannot even print its version is treated as broken. */
async function works(bin: string): Promise<boolean> {
  try {
    await execFileAsync(bin, ['--version'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

interface GoTool {
  name: string;
  version: string;
  /** Builds the binary into `outDir/<name>` with the given go; cwd is a scratch dir outside any module. */
  build(go: string, outDir: string, scratch: string, logFile: string, env: NodeJS.ProcessEnv): Promise<void>;
}

function runLogged(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string) {
  return new Promise<string>((resolve, reject) => {
    void fs.appendFile(logFile, `$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      void fs.appendFile(logFile, out + err);
      if (code === 0) resolve(out);
      else {
        const tail = err.trim().split('\n').slice(-20).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${tail}`));
      }
    });
  });
}

const temporalTool: GoTool = {
  name: 'temporal',
  version: TEMPORAL_CLI_VERSION,
  async build(go, outDir, scratch, logFile, env) {
    await runLogged(
      go,
      ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
      scratch,
      { ...env, GOBIN: outDir, GOFLAGS: '-buildvcs=false' },
      logFile,
    );
  },
};

/**
 * FerretDB's `go install …@v1.24.2` builds a binary that panics at start-up ("Invalid
 * build/version/version.txt"): the release's version file is generated and not part of the
 * module. So: download the module, copy it, write version.txt, build from the copy.
 *
 * One line of the copy is corrected before the build. The SQLite backend creates its `_id`
 * index on `_ferretdb_sqlite_json->"_id"` but filters by `_id` on the same path spelled
 * `->'$._id'`; SQLite matches index expressions by their text, so no `_id` look-up, update or
 * delete ever used the index: each scanned the collection (340 ms per updated document at
 * 100,000 documents; 1.5 ms with the index). The corrected constant spells the path as the
 * index does: the same value, so results are unchanged.
 */
const FERRETDB_ID_COLUMN = {
  file: path.join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: 'IDColumn = DefaultColumn + `->"_id"`',
};

const ferretdbTool: GoTool = {
  name: 'ferretdb',
  version: FERRETDB_BUILD,
  async build(go, outDir, scratch, logFile, env) {
    const goEnv = { ...env, GOFLAGS: '-buildvcs=false' };
    const json = await runLogged(
      go,
      ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`],
      scratch,
      goEnv,
      logFile,
    );
    const dir = (JSON.parse(json) as { Dir?: string }).Dir;
    if (!dir) throw new Error(`go mod download gave no Dir for FerretDB ${FERRETDB_VERSION}`);
    const src = path.join(scratch, 'ferretdb-src');
    await fs.cp(dir, src, { recursive: true });
    await runLogged('chmod', ['-R', 'u+w', src], scratch, env, logFile);
    await fs.writeFile(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const idColumnFile = path.join(src, FERRETDB_ID_COLUMN.file);
    const source = await fs.readFile(idColumnFile, 'utf8');
    if (!source.includes(FERRETDB_ID_COLUMN.from)) {
      throw new Error(
        `FerretDB ${FERRETDB_VERSION}: ${FERRETDB_ID_COLUMN.file} no longer has the expected _id path`,
      );
    }
    await fs.writeFile(idColumnFile, source.replace(FERRETDB_ID_COLUMN.from, FERRETDB_ID_COLUMN.to));
    await runLogged(
      go,
      ['build', '-trimpath', '-o', path.join(outDir, 'ferretdb'), './cmd/ferretdb'],
      src,
      goEnv,
      logFile,
    );
  },
};

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes `<lockFile>` with O_EXCL. If another live process holds it, waits for it to go away
 * (that process is building the same tool); a lock left by a dead process is broken.
 */
async function withLock<T>(lockFile: string, what: string, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(await fs.readFile(lockFile, 'utf8').catch(() => ''), 10);
      if (Number.isFinite(holder) && holder > 0 && !pidAlive(holder)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (!announced) {
        devstackLog.info(`waiting for another process (pid ${holder || '?'}) that is ${what}…`);
        announced = true;
      }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

const verified = new Map<string, Promise<string>>();

/** The cached build of `tool`, building it once with Go if needed. */
function cachedOrBuilt(tool: GoTool, opts: ToolLookupOptions, noGoMessage: string): Promise<string> {
  const env = opts.env ?? process.env;
  const dir = path.join(toolsCacheRoot(env), `${tool.name}-${tool.version}`);
  const bin = path.join(dir, tool.name);
  const memo = verified.get(bin);
  if (memo) return memo;
  const result = (async () => {
    if ((await isExecutable(bin)) && (await works(bin))) return bin;
    const go = await findGo(opts);
    if (!go) throw new ToolNotFoundError(noGoMessage);
    await fs.mkdir(dir, { recursive: true });
    return withLock(`${dir}.lock`, `building ${tool.name} ${tool.version}`, async () => {
      if ((await isExecutable(bin)) && (await works(bin))) return bin; // built while we waited
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `xledger-sync-build-${tool.name}-`));
      const outDir = path.join(dir, `.build-${process.pid}`);
      const logFile = path.join(dir, 'build.log');
      await fs.rm(outDir, { recursive: true, force: true });
      await fs.mkdir(outDir, { recursive: true });
      await fs.writeFile(logFile, '');
      devstackLog.info(
        `building ${tool.name === 'temporal' ? 'temporal CLI' : tool.name} ${tool.version} once into ${dir} (a few minutes)… build log: ${logFile}`,
      );
      const started = Date.now();
      try {
        await tool.build(go, outDir, scratch, logFile, env);
        const built = path.join(outDir, tool.name);
        if (!(await works(built))) throw new Error(`the freshly built ${built} does not run; see ${logFile}`);
        await fs.rename(built, bin); // atomic: a half-built binary never sits at `bin`
      } finally {
        await fs.rm(outDir, { recursive: true, force: true });
        await fs.rm(scratch, { recursive: true, force: true });
      }
      devstackLog.info(`built ${bin} in ${Math.round((Date.now() - started) / 1000)} s`);
      return bin;
    });
  })();
  verified.set(bin, result);
  result.catch(() => verified.delete(bin));
  return result;
}

/** The `temporal` CLI: on PATH, else the cached build, else built with Go. */
export async function resolveTemporalCli(opts: ToolLookupOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const onPath = await findOnPath('temporal', env);
  if (onPath) return onPath;
  return cachedOrBuilt(
    temporalTool,
    opts,
    'The Temporal dev server needs the `temporal` CLI, and it is neither on PATH nor cached in ' +
      `${toolsCacheRoot(env)}, and Go is not installed to build it. Install the Temporal CLI ` +
      '(https://docs.temporal.io/cli#install) or Go (https://go.dev/dl/), or use `docker compose up`.',
  );
}

export type MongoSource =
  { kind: 'external'; uri: string } | { kind: 'mongod'; bin: string } | { kind: 'ferretdb'; bin: string };

/** A MongoDB-wire server: MONGODB_URI (start nothing), else `mongod` on PATH, else FerretDB. */
export async function resolveMongoServer(opts: ToolLookupOptions = {}): Promise<MongoSource> {
  const env = opts.env ?? process.env;
  if (env.MONGODB_URI) return { kind: 'external', uri: env.MONGODB_URI };
  const mongod = await findOnPath('mongod', env);
  if (mongod) return { kind: 'mongod', bin: mongod };
  const bin = await cachedOrBuilt(
    ferretdbTool,
    opts,
    'A MongoDB-wire server is needed: MONGODB_URI is not set, `mongod` is not on PATH, no FerretDB ' +
      `build is cached in ${toolsCacheRoot(env)}, and Go is not installed to build one. Set ` +
      'MONGODB_URI, install MongoDB (mongod) or Go (https://go.dev/dl/), or use `docker compose up`.',
  );
  return { kind: 'ferretdb', bin };
}
