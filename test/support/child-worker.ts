/**
 * A worker as its own OS process (`node --import tsx src/worker.ts`), configured like the
 * harness's in-process workers, so that a test can SIGKILL it mid-activity.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Harness } from './harness';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildWorker {
  process: ChildProcess;
  /** Everything it wrote, for a failure message. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The environment that configures a worker process like the harness's in-process workers. */
export function workerEnv(h: Harness, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TEMPORAL_ADDRESS: h.config.temporal.address,
    TEMPORAL_NAMESPACE: h.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    MONGODB_URI: h.config.mongo.uri,
    MONGODB_DB: h.config.mongo.dbName,
    TOKEN_ENCRYPTION_KEY: h.config.tokenEncryptionKey!.toString('base64'),
    ALLOW_INSECURE_LOOPBACK: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** A worker process: `node --import tsx src/worker.ts`. */
export function spawnWorker(h: Harness, env: Record<string, string> = {}): ChildWorker {
  return spawnChild(process.execPath, ['--import', 'tsx', 'src/worker.ts'], workerEnv(h, env));
}

/**
 * A child process in the repository with its output collected; it never outlives the test run
 * (a test that times out may never reach its own kill).
 */
export function spawnChild(command: string, args: string[], env: NodeJS.ProcessEnv): ChildWorker {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    process: child,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
