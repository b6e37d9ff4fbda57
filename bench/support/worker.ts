import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf, memoryOf, type ProcMemory } from './proc';
import type { BenchEnv } from './stack';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchWorker {
  pid: number;
  memory(): ProcMemory;
  cpuSeconds(): number;
  /** Everything it wrote (for an error message). */
  output(): string;
  /** SIGTERM, then waits for the drain (and the CPU profile, when one is taken). */
  stop(): Promise<void>;
}

export interface BenchWorkerOptions {
  /** Write a V8 CPU profile of the worker into this directory when it stops. */
  cpuProfileDir?: string;
  /** More configuration variables (e.g. WORKER_MAX_CONCURRENT_ACTIVITIES). */
  env?: Record<string, string>;
  /** Node/V8 flags for the worker process (e.g. --max-old-space-size=512). */
  nodeArgs?: string[];
}

/** Starts a worker process in the environment and waits until it polls its task queue. */
export async function startBenchWorker(
  env: BenchEnv,
  options: BenchWorkerOptions = {},
): Promise<BenchWorker> {
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
    ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    '--import',
    'tsx',
    'bench/support/worker-process.ts',
  ];
  const child: ChildProcess = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env.workerEnv,
      BENCH_WORKFLOW_BUNDLE: env.servers.workflowBundlePath,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // BENCH_WORKER_STDERR=1 shows what the worker writes (warnings, errors) while it runs.
      if (process.env.BENCH_WORKER_STDERR) process.stderr.write(chunk);
    });
    void exited.then((code) =>
      reject(new Error(`bench worker exited (${code}) before it was ready:\n${output}`)),
    );
  });
  await ready;
  const pid = child.pid!;
  return {
    pid,
    memory: () => memoryOf(pid),
    cpuSeconds: () => cpuSecondsOf(pid),
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
