/**
 * A scratch project of a package's own, as a consumer has it: the packed tarball installed with
 * only its dependencies (from npm's cache, which the repository's install filled), type-checked
 * with every declaration checked (skipLibCheck: false) under each way a Node ESM project
 * resolves packages. test/build/package.test.ts (the main package) and
 * test/api/http-client-package.test.ts (the slim HTTP client) use it.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const run = promisify(execFile);

/** How the scratch project resolves the package: as Node does, and as a bundler does. */
export const CONSUMER_RESOLUTIONS = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
  bundler: { module: 'esnext', moduleResolution: 'bundler', noEmit: true },
} as const;

/** `npm pack` of the package in `dir` into `scratch`; the tarball's file name. */
export async function packInto(dir: string, scratch: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', scratch], {
    cwd: dir,
    timeout: 120_000,
  });
  return stdout.trim().split('\n').pop()!;
}

/** A fresh `"type": "module"` project in `scratch` with the tarball installed. */
export async function installTarball(scratch: string, tarball: string): Promise<void> {
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2),
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`],
    {
      cwd: scratch,
      timeout: 300_000,
    },
  );
}

/**
 * tsc over `files` under each resolution with `compilerOptions` added; what it printed per
 * resolution ('' when clean).
 */
export async function typeCheck(
  scratch: string,
  files: string[],
  compilerOptions: Record<string, unknown>,
): Promise<Record<string, string>> {
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  const printed: Record<string, string> = {};
  for (const [name, options] of Object.entries(CONSUMER_RESOLUTIONS)) {
    await writeFile(
      join(scratch, `tsconfig.${name}.json`),
      JSON.stringify({
        compilerOptions: {
          ...options,
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          ...compilerOptions,
        },
        files,
      }),
    );
    const checked = await run(tsc, ['-p', `tsconfig.${name}.json`], { cwd: scratch, timeout: 180_000 }).catch(
      (error: { stdout?: string }) => error,
    );
    printed[name] = 'stdout' in checked ? (checked.stdout ?? '') : '';
  }
  return printed;
}
