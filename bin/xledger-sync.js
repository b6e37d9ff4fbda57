#!/usr/bin/env node
// The `xledger-sync` command. In a checkout (src/ present, tsx installed) it runs src/cli.ts
// through tsx, so the command always runs the code beside it; an installed package or the image
// runs the compiled dist/cli.js on plain node (`npm run build`).
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

async function loadCli() {
  if (existsSync(new URL('../src/cli.ts', import.meta.url))) {
    const tsx = await import('tsx/esm/api').catch(() => undefined);
    if (tsx) {
      tsx.register();
      return import('../src/cli.ts');
    }
  }
  return import('../dist/cli.js');
}

const { main } = await loadCli();
await main(process.argv.slice(2));
