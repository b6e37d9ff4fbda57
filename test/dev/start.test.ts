/**
 * `npm start` stopped like a terminal's Ctrl-C stops it: SIGINT to its whole process group (npm
 * and node; npm forwards a second copy). The worker drains once, then the client, the simulator
 * and the servers stop, and every process is gone: no error line, no IllegalStateError.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePorts } from '../../src/devstack/ports';
import { descendantsOf, isAlive } from '../support/processes';
import { waitFor } from '../tenants/support';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let dataDir: string | undefined;

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('Ctrl-C drains the worker, stops every server and leaves no process behind', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'xledger-sync-npm-start-'));
    const [temporal, ui, http, metrics, mongo, sim, simAdmin] = await getFreePorts(7);
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      // Its own process group, like a shell's foreground job: the test signals the group.
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}),
        DEVSTACK_DATA_DIR: dataDir,
        DEVSTACK_TEMPORAL_PORT: String(temporal),
        DEVSTACK_TEMPORAL_UI_PORT: String(ui),
        DEVSTACK_TEMPORAL_HTTP_PORT: String(http),
        DEVSTACK_TEMPORAL_METRICS_PORT: String(metrics),
        DEVSTACK_MONGO_PORT: String(mongo),
        SIMULATOR_PORT: String(sim),
        SIMULATOR_ADMIN_PORT: String(simAdmin),
        SIMULATOR_SUPPLIERS: '100',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const killGroup = () => {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    process.once('exit', killGroup);
    try {
      await waitFor('npm start to be up', () => output.includes('xledger-sync is running'), {
        timeoutMs: 120_000,
      });
      await waitFor('the demo resync to be dispatched', () => output.includes('"msg":"resync dispatched"'));
      const processes = descendantsOf(npm.pid!);
      // npm → node (no shell between) → Temporal, FerretDB, the watchdog, esbuild.
      expect(processes.length).toBeGreaterThanOrEqual(4);
      const before = output.length;

      const started = Date.now();
      process.kill(-npm.pid!, 'SIGINT');
      const code = await exited;
      const seconds = (Date.now() - started) / 1000;
      const stopping = output.slice(before);
      expect(code, output).toBe(0);
      expect(seconds).toBeLessThan(30);
      expect(stopping).toContain('"msg":"stopping: the worker drains, then the servers stop"');
      expect(stopping).toContain('"state":"DRAINED"');
      expect(stopping).toContain('"msg":"stopped"');
      expect(stopping).not.toMatch(/IllegalStateError|"level":[56]0|exited unexpectedly/);
      await waitFor('every process of npm start to be gone', () => processes.every((pid) => !isAlive(pid)), {
        timeoutMs: 10_000,
      });
      console.log(
        `npm start: exit ${code} ${seconds.toFixed(1)} s after Ctrl-C, ${processes.length} processes gone`,
      );
    } finally {
      killGroup();
      process.off('exit', killGroup);
    }
  });
});
