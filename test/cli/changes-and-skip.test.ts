import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventIds } from '../../src/domain/event-catalogue';
import { publishEvent } from '../../src/events/publish';
import { webhookIdOf } from '../../src/events/webhook-id';
import { SEED_ENTITIES, SEED_TOKENS } from '../../src/simulator/index';
import { runCliCaptured, type CliResult } from '../support/cli';
import { startHarness, type Harness } from '../support/harness';
import { runSync } from '../support/sync';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { cliEnv, waitFor } from '../tenants/support';

/**
 * `xledger-sync changes` (the change feed, page by page with the cursor) and `xledger-sync
 * events skip` (a refused event stops holding the later ones) on the run's real servers.
 */
let h: Harness;
let receiver: WebhookReceiver;
let env: NodeJS.ProcessEnv;
const suffix = randomBytes(3).toString('hex');
const SUPPLIERS = 23;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ seed: 9, suppliers: SUPPLIERS });
  await h.startWorker();
  env = { ...cliEnv(h), WEBHOOK_INSECURE_HOSTS: '127.0.0.1', USER: 'ops-test' };
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const cli = (...args: string[]): Promise<CliResult> => runCliCaptured(args, { env });

interface Page {
  changes: Array<{ changeSeq: number; record: { dbId: number } }>;
  next: number;
  hasMore: boolean;
  head: number;
}

describe('xledger-sync changes', () => {
  it('pages the change feed with the cursor: every changed record once, in order, then up to date', async () => {
    const tenantId = `feed-${suffix}`;
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
    });
    await runSync(h, tenantId, 'suppliers', 'full');
    const pages: Page[] = [];
    let after = 0;
    for (let i = 0; i < 50; i++) {
      const result = await cli(
        'changes',
        tenantId,
        '--type',
        'suppliers',
        '--after',
        String(after),
        '--limit',
        '3',
        '--json',
      );
      expect(result.code).toBe(0);
      const page = JSON.parse(result.stdout) as Page;
      pages.push(page);
      if (!page.hasMore) break;
      expect(page.next).toBeGreaterThan(after);
      after = page.next;
    }
    const seqs = pages.flatMap((p) => p.changes.map((c) => c.changeSeq));
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.slice(0, -1).every((p) => p.changes.length === 3)).toBe(true);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const ids = pages.flatMap((p) => p.changes.map((c) => c.record.dbId));
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await h.store.db.collection('suppliers').countDocuments({ tenantId });
    expect(ids).toHaveLength(stored);
    expect(stored).toBeGreaterThan(0);
    // From the last cursor: nothing new, and the table says where to read on from.
    const last = pages.at(-1)!;
    const text = await cli('changes', tenantId, '--type', 'suppliers', '--after', String(last.next));
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`0 change(s) after ${last.next}`);
    expect(text.stdout).toContain(`next: ${last.next}`);
    const first = await cli('changes', tenantId, '-t', 'suppliers', '--limit', '2');
    expect(first.stdout).toMatch(/changeSeq +stream +dbId +change/);
    expect(first.stdout).toContain(`--after ${pages[0]!.changes[1]!.changeSeq}`);
  });

  it('refuses bad arguments with exit 2 before connecting', async () => {
    const offline = { ...env, MONGODB_URI: 'mongodb://127.0.0.1:1/', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    for (const args of [
      ['changes', 'acme', '--type', 'supplier'],
      ['changes', 'acme'],
      ['changes', 'acme', '--type', 'suppliers', '--limit', '0'],
      ['changes', 'acme', '--type', 'suppliers', '--after', '-1'],
      ['changes', 'ACME!', '--type', 'suppliers'],
    ]) {
      const result = await runCliCaptured(args, { env: offline });
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 2]);
    }
  });
});

describe('xledger-sync events skip', () => {
  it('skips an event the receiver keeps refusing: recorded with who, and the later events go', async () => {
    const tenantId = `skip-${suffix}`;
    const path = `/hooks/${tenantId}`;
    await h.saveTenant({
      tenantId,
      xledger: { token: SEED_TOKENS.root },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      webhook: { url: receiver.url(path), secret: `whsec_${randomBytes(32).toString('base64')}` },
    });
    const stuck = webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-1'));
    receiver.behave(path, { refuseIds: [stuck], failStatus: 422, failHeaders: { 'retry-after': '3600' } });
    for (const n of [1, 2]) {
      const invoiceId = `INV-${n}`;
      await publishEvent(
        { db: h.store.db, temporal: h.client, taskQueue: h.taskQueue },
        {
          id: eventIds.invoiceRejected(tenantId, invoiceId),
          tenantId,
          type: 'invoice.rejected',
          data: { invoiceId, reasons: ['refused'], rejectedAt: new Date().toISOString() },
          occurredAt: new Date(),
        },
      );
    }
    await waitFor('the refused attempt', () => receiver.requests(path).length >= 1 || undefined);
    expect(receiver.delivered(path)).toEqual([]);

    const result = await cli('events', 'skip', tenantId, stuck, '--reason', 'payload refused');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Event ${stuck} (seq 1) of tenant ${tenantId} is skipped (payload refused)`,
    );
    await waitFor('INV-2 delivered', () => receiver.delivered(path).length >= 1 || undefined, {
      timeoutMs: 60_000,
    });
    expect(receiver.delivered(path).map((p) => p.id)).toEqual([
      webhookIdOf(eventIds.invoiceRejected(tenantId, 'INV-2')),
    ]);
    const list = await cli('events', 'list', tenantId, '--json');
    const events = (
      JSON.parse(list.stdout) as { events: Array<{ delivery: { state: string; lastError: string | null } }> }
    ).events;
    expect(events[0]!.delivery).toMatchObject({
      state: 'skipped',
      lastError: expect.stringMatching(/^skipped by ops-test \(xledger-sync CLI\) at .*: payload refused$/),
    });
    // Again: already skipped, by whom.
    const again = await cli('events', 'skip', tenantId, stuck);
    expect(again.stdout).toContain('was already skipped by ops-test (xledger-sync CLI)');
    // An unknown event: exit 2.
    expect((await cli('events', 'skip', tenantId, 'evt_unknown')).code).toBe(2);
  });
});
