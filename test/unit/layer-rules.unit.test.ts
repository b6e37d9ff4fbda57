/**
 * The layers are rules the build enforces (eslint.config.js, run by `npm run lint`): an import
 * that runs upward or across fails the lint. Linted here as if the file sat in src/.
 */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/module-graph';

const eslint = new ESLint({ cwd: repoRoot });

async function ruleErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules', () => {
  it('fail an import from the domain up into the store', async () => {
    const errors = await ruleErrors(
      'src/domain/probe.ts',
      "import { collections } from '../store/collections';\nexport const probe = collections;\n",
    );
    expect(errors).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*domain\/ imports only zod/),
    ]);
  });

  it('fail an import of the store from the Xledger client, and of workflow code from an activity', async () => {
    expect(
      await ruleErrors(
        'src/xledger/probe.ts',
        "import { loadCheckpoint } from '../store/checkpoints';\nexport const probe = loadCheckpoint;\n",
      ),
    ).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: /)]);
    expect(
      await ruleErrors(
        'src/activities/probe.ts',
        "import { tenantWorkflow } from '../workflows/tenant';\nexport const probe = tenantWorkflow;\n",
      ),
    ).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*Only the worker loads workflow code/),
    ]);
  });

  it("let workflows take activities' types, never their code", async () => {
    expect(
      await ruleErrors(
        'src/workflows/probe.ts',
        "import type { Activities } from '../activities';\nexport type Probe = Activities;\n",
      ),
    ).toEqual([]);
    expect(
      await ruleErrors(
        'src/workflows/probe.ts',
        "import { createActivities } from '../activities';\nexport const probe = createActivities;\n",
      ),
    ).toEqual([expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: /)]);
    // no-cycle walks the activities' whole import graph (Temporal's client included): seconds
    // on a loaded machine, beyond the default 5 s.
  }, 30_000);

  it('keep the HTTP API a top layer: built on the client, imported by nothing below nor by the client', async () => {
    expect(
      await ruleErrors(
        'src/sync/probe.ts',
        "import { buildApiServer } from '../api/server';\nexport const probe = buildApiServer;\n",
      ),
    ).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*Nothing below the entry points/)]);
    expect(
      await ruleErrors(
        'src/client/probe.ts',
        "import { buildApiServer } from '../api/server';\nexport const probe = buildApiServer;\n",
      ),
    ).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*Only the CLI .* starts the HTTP API/),
    ]);
    expect(
      await ruleErrors(
        'src/api/probe.ts',
        "import { runCli } from '../cli';\nexport const probe = runCli;\n",
      ),
    ).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*The HTTP API is a top layer/)]);
    expect(
      await ruleErrors(
        'src/api/probe.ts',
        "import { XledgerSyncClient } from '../client';\nexport const probe = XledgerSyncClient;\n",
      ),
    ).toEqual([]);
  });

  it('pass the sources as they are', async () => {
    const results = await eslint.lintFiles(['src/domain', 'src/temporal', 'src/workflows']);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.ruleId} ${m.message}`))).toEqual(
      [],
    );
  });
});
