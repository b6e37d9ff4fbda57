/**
 * The xledger-sync CLI run in-process as a terminal would see it: exit code and what it wrote.
 * Every call also checks that no demo token reached the terminal, whatever the command.
 */
import { expect } from 'vitest';
import { runCli, type CliOptions } from '../../src/cli';
import { SEED_TOKENS } from '../../src/simulator/index';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TOKENS = Object.values(SEED_TOKENS);

export async function runCliCaptured(
  args: string[],
  options: CliOptions,
  /** Further secrets that must never be printed (e.g. a token made by the test). */
  secrets: readonly string[] = [],
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    args,
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    options,
  );
  for (const token of [...TOKENS, ...secrets]) {
    expect(stdout).not.toContain(token);
    expect(stderr).not.toContain(token);
  }
  return { code, stdout, stderr };
}
