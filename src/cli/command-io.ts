import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import { InvalidInputError, type XledgerSyncClient } from '../client';
import type { Config } from '../config';

/** What a command group's actions work with (src/cli.ts builds it once per run). */
export interface CommandIo {
  /** Connects the client API for one action, and closes it after. */
  withClient: <T>(action: (client: XledgerSyncClient) => Promise<T>) => Promise<T>;
  /** The configuration, from the environment the CLI was given. */
  config: () => Config;
  /** That environment itself (e.g. USER, for who skipped an event). */
  env: NodeJS.ProcessEnv;
  /** Read by `--file -` and `--token -`. */
  stdin: AsyncIterable<string | Buffer>;
  out: (text: string) => unknown;
  json: (value: unknown) => unknown;
  /** A command that ran and reported a problem (the checks) makes the CLI exit 1. */
  fail: () => void;
}

export const jsonOption = () => new Option('--json', 'machine-readable JSON on stdout');

export async function readAll(stream: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: string[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  return chunks.join('');
}

export async function readJsonFile(path: string, stdin: AsyncIterable<string | Buffer>): Promise<unknown> {
  let text: string;
  try {
    if (path === '-') {
      text = await readAll(stdin);
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(undefined, [
      { field: '--file', message: `cannot read ${path}${code ? ` (${code})` : ''}` },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8's message quotes the text around the mistake, which may be the token: keep only where.
    const where = /(position \d+|line \d+ column \d+)/.exec((error as Error).message)?.[1];
    throw new InvalidInputError(undefined, [
      { field: '--file', message: `${path} is not valid JSON${where ? ` (at ${where})` : ''}` },
    ]);
  }
}
