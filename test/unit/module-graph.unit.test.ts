/**
 * Issue 24's "done when": loading the configuration and running `xledger check` (which needs
 * neither Temporal nor MongoDB) load no workflow code. Workflows are named through
 * src/temporal/definitions.ts and started through src/temporal/starters.ts; only the worker
 * loads src/workflows/ (by path, into its workflow bundle).
 */
import { describe, expect, it } from 'vitest';
import { runtimeModuleGraph } from '../support/module-graph';

const workflowCode = (graph: Set<string>) => [...graph].filter((file) => file.startsWith('src/workflows/'));

describe('what an entry point loads', () => {
  it('loadConfig() loads no workflow code, and no store, Xledger client or Temporal code', () => {
    const graph = runtimeModuleGraph('src/config.ts');
    expect(graph.has('src/config.ts')).toBe(true);
    expect(workflowCode(graph)).toEqual([]);
    expect([...graph].filter((file) => /^src\/(store|xledger|temporal|activities)\//.test(file))).toEqual([]);
  });

  it('the CLI (xledger check among its commands) loads no workflow code', () => {
    const graph = runtimeModuleGraph('src/cli.ts');
    expect(graph.has('src/client/xledger-check.ts')).toBe(true);
    expect(workflowCode(graph)).toEqual([]);
  });

  it('the client API loads no workflow code', () => {
    expect(workflowCode(runtimeModuleGraph('src/index.ts'))).toEqual([]);
  });

  it('the worker loads workflow code only by path, into its bundle', () => {
    expect(workflowCode(runtimeModuleGraph('src/worker.ts'))).toEqual([]);
  });
});
