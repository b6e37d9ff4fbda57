#!/usr/bin/env node
// The `xledger-sync` command: runs src/cli.ts through tsx, so no build step is needed.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv.slice(2));
