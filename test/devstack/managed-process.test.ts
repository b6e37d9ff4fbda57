import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ManagedProcess,
  ProcessExitedError,
  ReadinessTimeoutError,
} from '../../src/devstack/managed-process';

const node = process.execPath;

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A zombie still answers kill(0); it is dead all the same.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ManagedProcess', () => {
  it('reports a crashed child with its last log lines and keeps them in the log file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devstack-mp-'));
    const logFile = path.join(dir, 'crasher.log');
    const script = `
      for (let i = 1; i <= 40; i++) console.log('line ' + i);
      console.error('fatal: disk on fire');
      process.exit(1);`;
    const proc = ManagedProcess.start({ name: 'crasher', command: node, args: ['-e', script], logFile });
    const err = await new Promise<ProcessExitedError>((resolve) => proc.once('unexpected-exit', resolve));

    expect(err).toBeInstanceOf(ProcessExitedError);
    expect(err.code).toBe(1);
    expect(err.lastLines).toHaveLength(30);
    expect(err.lastLines.at(-1)).toBe('fatal: disk on fire');
    expect(err.lastLines).toContain('line 40');
    expect(err.lastLines).not.toContain('line 5');
    expect(err.message).toContain('crasher exited unexpectedly (exit code 1)');
    expect(err.message).toContain('fatal: disk on fire');
    expect(err.message).toContain(logFile);
    const log = await fs.readFile(logFile, 'utf8');
    expect(log).toContain('line 1\n');
    expect(log).toContain('fatal: disk on fire');
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('fails waitUntilReady at once when the process dies before it is ready', async () => {
    const proc = ManagedProcess.start({
      name: 'early-exit',
      command: node,
      args: ['-e', 'console.error("bad flag --nope"); process.exit(2)'],
    });
    proc.on('unexpected-exit', () => {});
    const started = Date.now();
    const err = await proc
      .waitUntilReady(async () => false, { timeoutMs: 30_000, description: 'never' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessExitedError);
    expect((err as ProcessExitedError).message).toContain('bad flag --nope');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out waitUntilReady with the last log lines', async () => {
    const proc = ManagedProcess.start({
      name: 'slow',
      command: node,
      args: ['-e', 'console.log("still warming up"); setInterval(() => {}, 1000)'],
    });
    await waitFor(() => proc.lastLines().includes('still warming up'), 10_000, 'output');
    const err = await proc
      .waitUntilReady(async () => false, { timeoutMs: 500, intervalMs: 50, description: 'port 1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessTimeoutError);
    expect((err as Error).message).toMatch(
      /slow was not ready within 500 ms \(port 1\)[\s\S]*still warming up/,
    );
    expect((await proc.stop()).signal).toBe('SIGTERM');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = ManagedProcess.start({
      name: 'stubborn',
      command: node,
      args: [
        '-e',
        'process.on("SIGTERM", () => console.log("ignoring TERM")); console.log("up"); setInterval(() => {}, 1000)',
      ],
    });
    await waitFor(() => proc.lastLines().includes('up'), 10_000, 'output');
    const exit = await proc.stop(300);
    expect(exit.signal).toBe('SIGKILL');
    expect(proc.lastLines()).toContain('ignoring TERM');
    expect(isGone(proc.pid!)).toBe(true);
  });

  it('leaves no orphan when its parent is killed with SIGKILL', async () => {
    const parentScript = fileURLToPath(new URL('../fixtures/devstack/orphan-parent.ts', import.meta.url));
    const parent = spawn(node, ['--import', 'tsx', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => /child-pid \d+/.test(out), 30_000, 'the parent to start its child');
    const childPid = Number(/child-pid (\d+)/.exec(out)![1]);
    expect(isGone(childPid)).toBe(false);

    parent.kill('SIGKILL');
    await waitFor(() => isGone(childPid), 10_000, `child ${childPid} to die after its parent was SIGKILLed`);
  });
});
