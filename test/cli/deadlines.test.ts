import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * A MongoDB or Temporal that accepts connections but never answers (a stuck server, a proxy
 * with nothing behind it) must not hang the CLI: each command ends with exit 1 and one line
 * naming the server that did not answer, within about MONGODB_TIMEOUT_MS / TEMPORAL_TIMEOUT_MS
 * (15 s by default). Real processes through the bin shim, so the test also proves that
 * nothing left open keeps the process alive.
 */

const bin = fileURLToPath(new URL('../../bin/xledger-sync.js', import.meta.url));
const COMMANDS = [
  ['tenant', 'pause', 'x'],
  ['tenant', 'status', 'x'],
  ['tenant', 'list'],
];

let silent: net.Server;
let silentPort: number;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  silent = net.createServer((socket) => {
    // Read everything, answer nothing.
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function runBin(args: string[], env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Never outlive the test, whatever happens.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    }),
  );
}

function expectNamedFailure(run: Run, message: RegExp) {
  // A CLI that hangs is killed by the guard and has no exit code: the deadline message below
  // proves it ended through its own deadline, so no wall-clock bound is asserted (load varies).
  expect(run.code, run.stderr).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(message);
}

const key = randomBytes(32).toString('base64');

describe('the CLI against a server that never answers', () => {
  it('MongoDB: exit 1 at its deadline, naming MongoDB and its address, never its credentials', async () => {
    const runs = await Promise.all(
      COMMANDS.map((args) =>
        runBin(args, {
          MONGODB_URI: `mongodb://sync-user:s3cret-pw@127.0.0.1:${silentPort}/xledger_sync?authSource=admin`,
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          TOKEN_ENCRYPTION_KEY: key,
          LOG_LEVEL: 'warn',
        }),
      ),
    );
    for (const run of runs) {
      expectNamedFailure(
        run,
        new RegExp(
          `^error: MongoDB at mongodb://127\\.0\\.0\\.1:${silentPort}/xledger_sync did not answer within 15 s$`,
        ),
      );
      expect(run.stderr).not.toMatch(/s3cret|sync-user/);
    }
    console.log(`CLI exit times, silent MongoDB: ${runs.map((r) => `${r.seconds.toFixed(1)} s`).join(', ')}`);
  });

  it('Temporal: exit 1 at its deadline, naming Temporal and its address', async () => {
    const runs = await Promise.all(
      COMMANDS.map((args) =>
        runBin(args, {
          MONGODB_URI: inject('mongoUri'),
          TEMPORAL_ADDRESS: `127.0.0.1:${silentPort}`,
          TOKEN_ENCRYPTION_KEY: key,
          LOG_LEVEL: 'warn',
        }),
      ),
    );
    for (const run of runs) {
      expectNamedFailure(
        run,
        new RegExp(`^error: Temporal at 127\\.0\\.0\\.1:${silentPort} did not answer within 15 s$`),
      );
    }
    console.log(
      `CLI exit times, silent Temporal: ${runs.map((r) => `${r.seconds.toFixed(1)} s`).join(', ')}`,
    );
  });

  it('bad arguments: exit 2 at once, naming the field, before MongoDB or Temporal is asked anything', async () => {
    // Both servers silent: a command that connected first would wait out a 15 s deadline and
    // exit 1 naming the server instead.
    const silentEnv = {
      MONGODB_URI: `mongodb://127.0.0.1:${silentPort}/xledger_sync`,
      TEMPORAL_ADDRESS: `127.0.0.1:${silentPort}`,
      TOKEN_ENCRYPTION_KEY: key,
      LOG_LEVEL: 'warn',
    };
    const cases: Array<[string[], RegExp]> = [
      [['tenant', 'status', 'ACME!'], /^error: Invalid input: tenantId: /],
      [
        ['tenant', 'list', '--state', 'faild'],
        /^error: Invalid input: state: must be states among never_run, /,
      ],
      [['events', 'list', 'acme', '--limit', '0'], /^error: Invalid input for tenant acme: limit: /],
      // `--type` takes one value per flag: the tenant after it stays the tenant.
      [
        ['tenant', 'resync', '--type', 'ledgers', 'acme'],
        /^error: Invalid input for tenant acme: --type: unknown data type "ledgers"/,
      ],
      [['invoice', 'status', 'Bad Id', 'INV-1'], /^error: Invalid input: tenantId: /],
    ];
    const runs = await Promise.all(cases.map(([args]) => runBin(args, silentEnv)));
    runs.forEach((run, i) => {
      expect(run.code, `${cases[i]![0].join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr.trimEnd()).toMatch(cases[i]![1]);
    });
  });
});
