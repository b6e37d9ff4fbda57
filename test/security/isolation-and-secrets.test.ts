/**
 * Two tenants on one worker never see each other's data, token, status or invoices — through
 * the store, the client API or the CLI — and no secret leaves where it belongs: after syncs,
 * postings and failures (a token Xledger refuses, injected faults), every workflow history on
 * this test's own Temporal server, every schedule, the worker's debug log, every error message
 * and every document in MongoDB are scanned for the tokens and the encryption key.
 */
import type { DataType } from '../../src/domain/data-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownInvoiceError, type XledgerSyncClient } from '../../src/client';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { recordsCollection } from '../../src/store/records';
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { runCliCaptured } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { demoInvoice } from '../support/invoices';
import { startOwnTemporal, type OwnTemporal } from '../support/own-servers';
import { addFault, clearFaults, expectDataTypeEqualsTruth, OWNERS, startSync } from '../support/sync';
import { cliEnv, connectApi, historyText, waitFor, waitForRuns } from '../tenants/support';

interface Tenant {
  tenantId: string;
  token: string;
  owner: number;
}
const A: Tenant = { tenantId: 'iso-a', token: SEED_TOKENS.owner1, owner: SEED_ENTITIES.owner1 };
const B: Tenant = { tenantId: 'iso-b', token: SEED_TOKENS.owner2, owner: SEED_ENTITIES.owner2 };
/** A token Xledger never issued: its tenant's runs fail, and the failure must not carry it. */
const BAD = {
  tenantId: 'iso-bad',
  token: 'xlsim-never-issued-token-7f3a9c0000000001',
  owner: SEED_ENTITIES.owner1,
};
const MASTER_DATA: DataType[] = ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions'];

let temporal: OwnTemporal;
let h: Harness;
let api: XledgerSyncClient;
let worker: ChildWorker;
let secrets: string[];

beforeAll(async () => {
  temporal = await startOwnTemporal('secrets');
  h = await startHarness({ seed: 21, suppliers: 40, importProcessingDelayMs: 200 }, temporal);
  const key = h.config.tokenEncryptionKey!;
  secrets = [
    A.token,
    B.token,
    BAD.token,
    key.toString('base64'),
    key.toString('base64url'),
    key.toString('hex'),
  ];
  // A worker process at debug level: everything it logs is scanned.
  worker = spawnWorker(h, { LOG_LEVEL: 'debug' });
  api = await connectApi(h);
}, 180_000);
afterAll(async () => {
  await api?.close();
  await worker?.kill('SIGKILL');
  await h?.close();
  await temporal?.close();
});

/** An owner-level supplier code of the tenant, once its suppliers are synced. */
async function supplierOf(tenantId: string, owner: number): Promise<string> {
  const doc = await recordsCollection(h.store.db, 'suppliers').findOne({
    tenantId,
    entityDbId: owner,
    visibility: 'owner',
    deletedAt: null,
  });
  return String(doc!.code);
}

const expectNoSecret = (where: string, text: string) => {
  for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
};

describe('two tenants on one worker, and the secrets of a run', () => {
  it('each tenant sees only its own data, token, status and invoices', { timeout: 300_000 }, async () => {
    for (const tenant of [A, B]) {
      await api.upsertTenant({
        tenantId: tenant.tenantId,
        xledger: { token: tenant.token },
        entityOwnerDbId: tenant.owner,
      });
      await api.forceResync(tenant.tenantId, { dataTypes: MASTER_DATA, full: true });
    }
    for (const tenant of [A, B]) {
      for (const dataType of MASTER_DATA) await waitForRuns(h, tenant.tenantId, dataType, 1, 120_000);
      await expectDataTypeEqualsTruth(h, tenant.tenantId, tenant.owner, 'suppliers');
    }
    const invoiceOf = async (tenant: Tenant, id: string) =>
      api.submitInvoice(
        tenant.tenantId,
        demoInvoice(id, await supplierOf(tenant.tenantId, tenant.owner), { entityDbId: tenant.owner }),
      );
    await invoiceOf(A, 'INV-A-1');
    await invoiceOf(B, 'INV-B-1');
    for (const [tenant, id] of [
      [A, 'INV-A-1'],
      [B, 'INV-B-1'],
    ] as const) {
      await waitFor(
        `${tenant.tenantId} ${id} posted`,
        async () => (await api.invoiceStatus(tenant.tenantId, id)).state === 'posted',
        { timeoutMs: 120_000 },
      );
    }

    // The store: every document of a tenant belongs to its own owner's tree.
    for (const [tenant, other] of [
      [A, B],
      [B, A],
    ] as const) {
      const tree = new Set([tenant.owner, ...(OWNERS[tenant.owner] ?? [])]);
      for (const { name } of await h.store.db.listCollections().toArray()) {
        const docs = await h.store.db.collection(name).find({ tenantId: tenant.tenantId }).toArray();
        for (const doc of docs) {
          for (const field of ['entityDbId', 'ownerDbId'] as const) {
            if (typeof doc[field] === 'number')
              expect(tree.has(doc[field]), `${name} ${String(doc._id)}`).toBe(true);
          }
          expect(JSON.stringify(doc)).not.toContain(other.tenantId);
        }
      }
      // Nothing of this tenant's tree is stored under the other tenant.
      expect(
        await recordsCollection(h.store.db, 'suppliers').countDocuments({
          tenantId: other.tenantId,
          entityDbId: { $in: [...tree] },
        }),
      ).toBe(0);
    }

    // The client API: status and invoices of one tenant only.
    const statusA = JSON.stringify(await api.tenantStatus(A.tenantId));
    expect(statusA).toContain(A.tenantId);
    expect(statusA).not.toContain(B.tenantId);
    expectNoSecret('tenantStatus', statusA);
    await expect(api.invoiceStatus(A.tenantId, 'INV-B-1')).rejects.toBeInstanceOf(UnknownInvoiceError);
    await expect(api.invoiceStatus(B.tenantId, 'INV-A-1')).rejects.toBeInstanceOf(UnknownInvoiceError);
    expectNoSecret('listTenants', JSON.stringify(await api.listTenants()));

    // The CLI: the same, and never a token on the terminal.
    const env = cliEnv(h);
    const status = await runCliCaptured(['tenant', 'status', A.tenantId, '--json'], { env }, secrets);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain(B.tenantId);
    const foreign = await runCliCaptured(['invoice', 'status', A.tenantId, 'INV-B-1'], { env }, secrets);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/Unknown invoice "INV-B-1" of tenant iso-a/);
    const list = await runCliCaptured(['tenant', 'list', '--json'], { env }, secrets);
    expect(list.code).toBe(0);

    // The token of one tenant cannot be read as another's: it is bound to its tenant id.
    await h.store.db
      .collection<{ _id: string; tokenCiphertext: string }>('tenants')
      .findOne({ _id: B.tenantId })
      .then(async (b) => {
        await h.store.db
          .collection<{ _id: string }>('tenants')
          .updateOne({ _id: A.tenantId }, { $set: { tokenCiphertext: b!.tokenCiphertext } });
      });
    await expect(h.tenants.token(A.tenantId)).rejects.toThrow(/cannot be decrypted/);
    await api.upsertTenant({ tenantId: A.tenantId, xledger: { token: A.token }, entityOwnerDbId: A.owner });
    expect(await h.tenants.token(A.tenantId)).toBe(A.token);
  });

  it(
    'no token and no encryption key in any history, schedule, log, error message or document',
    { timeout: 240_000 },
    async () => {
      // Failures to scan too: a token Xledger refuses, and faults on a syncing tenant.
      await h.saveTenant({
        tenantId: BAD.tenantId,
        xledger: { token: BAD.token },
        entityOwnerDbId: BAD.owner,
      });
      const refused = await startSync(h, BAD.tenantId, 'suppliers', 'full');
      const failure = await refused.result().then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failure).toBeDefined();
      const badStatus = await api.tenantStatus(BAD.tenantId);
      await addFault(h, { kind: 'httpError', status: 503, field: 'accounts', count: 2 });
      await addFault(h, { kind: 'malformed', field: 'suppliers', count: 1 });
      const faulty = await startSync(h, A.tenantId, 'accounts', 'full');
      await faulty.result();
      await (await startSync(h, A.tenantId, 'suppliers', 'full')).result();
      await clearFaults(h);

      const texts: Array<[string, string]> = [];
      let chain = '';
      for (let e: unknown = failure; e instanceof Error; e = (e as { cause?: unknown }).cause) {
        chain += `${e.message}\n${e.stack ?? ''}\n`;
      }
      texts.push(
        ['the refused run’s error chain', chain],
        ['the refused tenant’s status', JSON.stringify(badStatus)],
      );
      expect(chain).toMatch(/Xledger refused the token of tenant iso-bad/);

      let histories = 0;
      let events = 0;
      for await (const execution of h.client.workflow.list()) {
        const handle = h.client.workflow.getHandle(execution.workflowId, execution.runId);
        const history = await handle.fetchHistory();
        histories += 1;
        events += history.events?.length ?? 0;
        texts.push([`history of ${execution.workflowId}`, historyText(history)]);
        texts.push([`description of ${execution.workflowId}`, historyText((await handle.describe()).raw)]);
      }
      for await (const schedule of h.client.schedule.list()) {
        texts.push([
          `schedule ${schedule.scheduleId}`,
          historyText((await h.client.schedule.getHandle(schedule.scheduleId).describe()).raw),
        ]);
      }
      texts.push(['the worker’s debug log', worker.output()]);
      let documents = 0;
      for (const { name } of await h.store.db.listCollections().toArray()) {
        const docs = await h.store.db.collection(name).find({}).toArray();
        documents += docs.length;
        texts.push([`collection ${name}`, JSON.stringify(docs)]);
      }
      for (const [where, text] of texts) expectNoSecret(where, text);
      // The scan reads what it should: payloads decoded, tenant ids and Xledger's messages in them.
      expect(texts.some(([where, text]) => where.startsWith('history') && text.includes('iso-a'))).toBe(true);
      expect(texts.some(([where, text]) => where.startsWith('history') && text.includes('HTTP 503'))).toBe(
        true,
      );

      expect(histories).toBeGreaterThan(15);
      expect(worker.output().length).toBeGreaterThan(1_000);
      console.log(
        `[secrets] scanned ${histories} workflow histories (${events} events), ${texts.length} texts, ` +
          `${documents} documents, ${worker.output().length} bytes of worker log for ${secrets.length} secrets: none found`,
      );
    },
  );
});
