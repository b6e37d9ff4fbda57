import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { devstackLog } from './log';

/** A child process that died while nobody asked it to, or before it became ready. */
export class ProcessExitedError extends Error {
  override name = 'ProcessExitedError';
  constructor(
    readonly processName: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly lastLines: string[],
    readonly logFile: string | undefined,
    context = 'exited unexpectedly',
  ) {
    super(
      `${processName} ${context} (${signal ? `signal ${signal}` : `exit code ${code}`})` +
        (logFile ? `; full log: ${logFile}` : '') +
        `\n--- last ${lastLines.length} log lines of ${processName} ---\n${lastLines.join('\n')}`,
    );
  }
}

export class ReadinessTimeoutError extends Error {
  override name = 'ReadinessTimeoutError';
}

export interface ManagedProcessOptions {
  /** Short name used in logs and errors, e.g. "temporal". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here (the directory is created). */
  logFile?: string;
  /** How many recent output lines to keep in memory (default 200). */
  ringSize?: number;
  /** SIGTERM → SIGKILL grace in stop() (default 5000 ms). */
  stopGraceMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ReadyOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is being waited for, for the timeout message, e.g. "gRPC on 127.0.0.1:7233". */
  description: string;
}

/** All live children of this process, across every ManagedProcess. */
const live = new Set<ManagedProcess>();

/**
 * A spawned server with its output in a log file and a ring buffer, a readiness wait, a
 * graceful stop, and a guarantee it does not outlive this process (see `installReaper`).
 *
 * Events: `unexpected-exit` (ProcessExitedError) when it dies without stop() being called.
 * With no listener the error is logged, never thrown.
 */
export class ManagedProcess extends EventEmitter<{ 'unexpected-exit': [ProcessExitedError] }> {
  readonly name: string;
  readonly logFile: string | undefined;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly ring: string[] = [];
  private readonly ringSize: number;
  private readonly stopGraceMs: number;
  private partial = '';
  private stopping = false;
  private exitInfo: ExitInfo | undefined;
  private readonly logStream: fs.WriteStream | undefined;

  static start(opts: ManagedProcessOptions): ManagedProcess {
    return new ManagedProcess(opts);
  }

  private constructor(opts: ManagedProcessOptions) {
    super();
    installReaper();
    this.name = opts.name;
    this.logFile = opts.logFile;
    this.ringSize = opts.ringSize ?? 200;
    this.stopGraceMs = opts.stopGraceMs ?? 5000;
    if (opts.logFile) {
      fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
      this.logStream = fs.createWriteStream(opts.logFile, { flags: 'a' });
      this.logStream.write(`\n=== ${new Date().toISOString()} ${opts.command} ${opts.args.join(' ')}\n`);
    }
    // stdin 'ignore'; stdout/stderr are pipes to us: if we die, their next write gets EPIPE
    // (SIGPIPE kills a Go program writing to stdout/stderr) — the watchdog covers the rest.
    this.child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // In its own process group when the parent stops its children itself (see
      // stopChildrenInOrder): a terminal's Ctrl-C then reaches only the parent.
      detached: parentStopsChildren,
    });
    this.child.stdout!.on('data', (b: Buffer) => this.onOutput(b));
    this.child.stderr!.on('data', (b: Buffer) => this.onOutput(b));
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('error', (err) => {
        // ENOENT and friends: 'close' may not follow when the process never started.
        this.pushLine(`[devstack] failed to start ${opts.command}: ${err.message}`);
        if (this.child.pid === undefined) this.onExit({ code: null, signal: null }, resolve);
      });
      this.child.once('close', (code, signal) => this.onExit({ code, signal }, resolve));
    });
    if (this.child.pid !== undefined) {
      live.add(this);
      watchdogAdd(this.child.pid);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last `n` lines of output (default 30). */
  lastLines(n = 30): string[] {
    const lines = this.partial ? [...this.ring, this.partial] : this.ring;
    return lines.slice(-n);
  }

  private onOutput(b: Buffer) {
    this.logStream?.write(b);
    const text = this.partial + b.toString('utf8');
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.pushLine(line);
  }

  private pushLine(line: string) {
    this.ring.push(line);
    if (this.ring.length > this.ringSize) this.ring.splice(0, this.ring.length - this.ringSize);
  }

  private onExit(info: ExitInfo, resolve: (i: ExitInfo) => void) {
    if (this.exitInfo) return;
    this.exitInfo = info;
    live.delete(this);
    if (this.child.pid !== undefined) watchdogRemove(this.child.pid);
    if (this.partial) {
      this.pushLine(this.partial);
      this.partial = '';
    }
    this.logStream?.end(`=== exited: ${info.signal ?? info.code}\n`);
    resolve(info);
    if (!this.stopping) {
      const err = this.exitError();
      if (this.listenerCount('unexpected-exit') > 0) this.emit('unexpected-exit', err);
      else devstackLog.error({ err }, `${this.name} exited unexpectedly`);
    }
  }

  private exitError(context?: string): ProcessExitedError {
    const info = this.exitInfo ?? { code: null, signal: null };
    return new ProcessExitedError(
      this.name,
      info.code,
      info.signal,
      this.lastLines(30),
      this.logFile,
      context,
    );
  }

  /**
   * Polls `probe` until it returns true (a throw or false means "not yet"). Rejects with a
   * ProcessExitedError if the process dies first, or a ReadinessTimeoutError (with the last
   * log lines) after `timeoutMs`.
   */
  async waitUntilReady(probe: () => Promise<boolean>, opts: ReadyOptions): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    const interval = opts.intervalMs ?? 200;
    let lastError: unknown;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      if (exited || this.exitInfo) throw this.exitError(`exited before it was ready (${opts.description})`);
      try {
        if (await probe()) return;
      } catch (err) {
        lastError = err;
      }
      if (this.exitInfo) throw this.exitError(`exited before it was ready (${opts.description})`);
      if (Date.now() >= deadline) {
        const why = lastError instanceof Error ? ` Last probe error: ${lastError.message}.` : '';
        throw new ReadinessTimeoutError(
          `${this.name} was not ready within ${opts.timeoutMs} ms (${opts.description}).${why}` +
            (this.logFile ? ` Full log: ${this.logFile}` : '') +
            `\n--- last log lines of ${this.name} ---\n${this.lastLines(30).join('\n')}`,
        );
      }
      await Promise.race([new Promise((r) => setTimeout(r, interval)), this.exited]);
    }
  }

  /** SIGTERM, then SIGKILL after the grace period. Resolves once the process is gone. */
  async stop(graceMs = this.stopGraceMs): Promise<ExitInfo> {
    this.stopping = true;
    if (this.exitInfo) return this.exitInfo;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exitInfo) {
        devstackLog.warn(`${this.name} did not stop within ${graceMs} ms of SIGTERM; sending SIGKILL`);
        this.child.kill('SIGKILL');
      }
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous last resort used by the reaper. */
  killNow(signal: NodeJS.Signals = 'SIGKILL') {
    this.stopping = true;
    if (!this.exitInfo) this.child.kill(signal);
  }
}

/** Stops every live managed process (SIGTERM, then SIGKILL after the grace). */
export async function stopAllManagedProcesses(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(graceMs)));
}

let parentStopsChildren = false;

/**
 * For a program that stops its servers itself, in its own order (npm start drains its worker
 * before Temporal and MongoDB go away), call this before starting any. Children started from
 * then on get a process group of their own, so a terminal's Ctrl-C (SIGINT to the foreground
 * process group) reaches only the program, not the servers its worker still needs; and while
 * the program has its own SIGINT/SIGTERM/SIGHUP handlers, the reaper leaves those signals to
 * it. The other layers stay: children are killed when the program exits or throws, and by the
 * watchdog when it dies.
 */
export function stopChildrenInOrder(): void {
  parentStopsChildren = true;
}

// ---------------------------------------------------------------------------------------
// No orphans. Three layers:
// 1. 'exit' and 'uncaughtExceptionMonitor': SIGKILL every child synchronously.
// 2. SIGINT/SIGTERM/SIGHUP: stop children gracefully, then re-raise the signal if nobody else
//    handles it (so Ctrl-C still ends the program) — unless the program stops them itself
//    (stopChildrenInOrder) and handles the signal.
// 3. A tiny watchdog process that reads child pids from a pipe; when the pipe closes because
//    this process died, even by SIGKILL, it kills those pids.
// ---------------------------------------------------------------------------------------

let reaperInstalled = false;

function killAllNow() {
  for (const p of live) p.killNow('SIGKILL');
}

function installReaper() {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.on('exit', killAllNow);
  process.on('uncaughtExceptionMonitor', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      const others = process.listenerCount(signal) > 1;
      if (others && parentStopsChildren) return;
      void stopAllManagedProcesses(3000).finally(() => {
        if (!others) {
          process.removeListener(signal, handler);
          process.kill(process.pid, signal);
        }
      });
    };
    process.on(signal, handler);
  }
}

const WATCHDOG_SOURCE = `
const pids = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
const reap = () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch {} }
  setTimeout(() => {
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    process.exit(0);
  }, 3000);
};
process.on('SIGTERM', reap);
process.stdin.on('data', (d) => {
  buf += d;
  const lines = buf.split('\\n');
  buf = lines.pop();
  for (const l of lines) {
    const [op, n] = l.split(' ');
    const pid = Number(n);
    if (op === '+') pids.add(pid); else if (op === '-') pids.delete(pid);
  }
});
process.stdin.on('end', () => (pids.size ? reap() : process.exit(0)));
process.stdin.on('error', reap);
`;

let watchdog: ChildProcess | undefined;

function watchdogWrite(line: string) {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: false,
    });
    watchdog.on('error', () => (watchdog = undefined));
    watchdog.stdin!.on('error', () => {});
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  }
  watchdog.stdin!.write(line);
}

function watchdogAdd(pid: number) {
  watchdogWrite(`+ ${pid}\n`);
}

function watchdogRemove(pid: number) {
  watchdogWrite(`- ${pid}\n`);
}
