import { ApplicationFailure, Context } from '@temporalio/activity';
import { announceInvoiceOutcome } from '../outcome-event';
import { tenantXledger, type ActivityDeps } from '../../activities/deps';
import { postingSettingsOf } from '../../domain/tenant';
import type { XledgerClient } from '../../xledger/client';
import { addImportLines, findEarlierPosting } from '../../xledger/gl-import';
import { type InvoiceRef, voucherLines } from '../invoice';
import { readDocument } from '../invoice-document';
import { getOutboxInvoice, updateOutbox, type OutboxInvoice } from '../outbox';
import { claimPosting, releasePosting, renewPosting } from '../posting-leases';
import { invoiceSettings } from '../posting-settings';
import { sendUnderLease } from '../send-under-lease';
import { listSends, markSend, type InvoiceSend } from '../sends';
import { settleVerdict } from '../settle-window';
import { Progress, STEP_BUDGET_MS } from './keep-alive';
import {
  invoiceFailure,
  postingBusy,
  postingHeld,
  refusedWhole,
  settlePosted,
  unsettled,
} from './posting-outcomes';
import { attentionHolding } from '../../store/tenant-state';
import { stepAsideWhenCrowded } from './step-aside';

/**
 * Posts the invoice's voucher to Xledger exactly once (README, "Invoices to Xledger, exactly
 * once"). Under the posting lease, the attempt reads the invoice's recorded sends:
 * - none: nothing was ever sent (every send is recorded before it leaves): it sends;
 * - one whose answer came back: the voucher is in Xledger;
 * - one whose answer was lost (`unknown`): Xledger is asked for the voucher by its lines'
 *   extIdentifiers — as staging lines or as the posted payable, since no public source says a
 *   processed line stays readable. Found: nothing more is sent (its lines went in one request).
 *   Not found: the create may still be running in Xledger, so the invoice is `unsettled` and
 *   nothing is sent until the settle window has passed and two spaced look-ups agree
 *   (settle-window.ts).
 * A send is recorded, then fenced by the lease, then sent (send-under-lease.ts).
 */
export function createPostInvoice(deps: ActivityDeps) {
  return async function postInvoice(
    ref: InvoiceRef,
  ): Promise<{ lineDbIds: number[]; foundExisting: number; posted: boolean }> {
    const stored = await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId);
    if (!stored) throw new Error(`Invoice ${ref.invoiceId} of tenant ${ref.tenantId} is not in the outbox`);
    if (alreadyInXledger(stored)) {
      await announceInvoiceOutcome(deps, ref.tenantId, ref.invoiceId); // if an earlier attempt died before it
      return { lineDbIds: stored.xledger.lineDbIds, foundExisting: 0, posted: stored.state !== 'accepted' };
    }
    // Before the tenant's token is used at all: a duplicated invoice holds every new create.
    const held = await attentionHolding(deps.db, ref.tenantId, 'posting');
    if (held) throw await postingHeld(deps, ref, held);
    const settings = invoiceSettings(deps);
    const { tenant, client } = await tenantXledger(deps, ref.tenantId);
    stepAsideWhenCrowded(client, ref);
    const info = Context.current().info;
    const holder = `${info.workflowExecution?.runId ?? info.activityId}:${info.attempt}`;
    const lease = await claimPosting(deps.db, ref.tenantId, ref.invoiceId, holder, settings.leaseMs);
    if (!lease) throw await postingBusy(deps, ref);
    // Progress heartbeats renew the lease while this attempt makes progress; a step stalled past
    // its budget stops both, so Temporal retries and the lease lapses for the next attempt.
    // Everything after the claim is inside try/finally: the beats stop and the lease is released.
    const progress = new Progress(STEP_BUDGET_MS, () => renewPosting(deps.db, lease, settings.leaseMs));
    const requestBudget = settings.requestTimeoutMs + 30_000;
    try {
      progress.at('reading-sends');
      const sends = await listSends(deps.db, ref.tenantId, ref.invoiceId);
      // Read again under the lease: an attempt that stalled before its claim (a zombie) must
      // see what the attempts that ran meanwhile did.
      const current = (await getOutboxInvoice(deps.db, ref.tenantId, ref.invoiceId)) ?? stored;
      if (alreadyInXledger(current)) {
        return {
          lineDbIds: current.xledger.lineDbIds,
          foundExisting: 0,
          posted: current.state !== 'accepted',
        };
      }
      const answered = sends.find((send) => send.outcome === 'answered' || send.outcome === 'landed');
      if (answered && answered.lineDbIds.length > 0) {
        // Its sender died between Xledger's answer and the outbox write.
        await accepted(ref, answered.lineDbIds);
        return { lineDbIds: answered.lineDbIds, foundExisting: answered.lineDbIds.length, posted: false };
      }
      const open = sends.filter((send) => send.outcome === 'unknown' || send.outcome === 'landed');
      // Before sends were recorded, an invoice past `pending` may have been sent: look it up.
      const mayHaveSent = open.length > 0 || (sends.length === 0 && current.state !== 'pending');
      await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, { state: 'posting' });
      const posting = postingSettingsOf(tenant);
      const lines = voucherLines(ref.tenantId, stored.invoice, posting);
      const keys = lines.map((line) => line.clientId);
      let sending = false;
      try {
        if (mayHaveSent) {
          progress.at('looking-up', 2 * requestBudget);
          const earlier = await lookUpEarlierPosting(client, keys);
          if (earlier.posted) {
            progress.at('checking-for-copies', requestBudget);
            const lineDbIds = earlier.lines.length > 0 ? inVoucherOrder(keys, earlier.lines) : [];
            await noteLanded(open, lineDbIds);
            const settlement = await settlePosted(deps, client, ref, keys, earlier.posted, lineDbIds);
            return { lineDbIds: settlement.xledger.lineDbIds, foundExisting: keys.length, posted: true };
          }
          if (earlier.lines.length > 0) {
            const lineDbIds = inVoucherOrder(keys, earlier.lines);
            if (lineDbIds.includes(-1)) {
              deps.logger.warn(
                {
                  tenantId: ref.tenantId,
                  invoiceId: ref.invoiceId,
                  found: earlier.lines.length,
                  lines: keys.length,
                },
                'only part of the voucher was found in Xledger; nothing more is sent',
              );
            }
            await noteLanded(open, lineDbIds);
            await accepted(ref, lineDbIds);
            return { lineDbIds, foundExisting: earlier.lines.length, posted: false };
          }
          const unknown = open.filter((send) => send.outcome === 'unknown');
          if (unknown.length > 0) {
            const lookedUpAt = new Date();
            const verdict = settleVerdict(unknown, lookedUpAt, settings);
            const latest = unknown[unknown.length - 1]!;
            if (verdict.kind === 'wait') {
              if (verdict.recordLookup) {
                await markSend(deps.db, latest, { emptyLookups: [...latest.emptyLookups, lookedUpAt] });
              }
              throw await unsettled(deps, ref, verdict.reason, verdict.retryInMs);
            }
            for (const send of unknown) {
              await markSend(deps.db, send, {
                outcome: 'not_landed',
                note: `not found by two look-ups after the settle window (the last at ${lookedUpAt.toISOString()})`,
              });
            }
          }
        }
        // The document's bytes are read here, by `_id`: never in workflow history.
        const document = stored.invoice.document;
        const file =
          posting.attachDocument && document
            ? await readDocument(deps.db, ref.tenantId, ref.invoiceId, document)
            : undefined;
        progress.at('sending', requestBudget);
        const result = await sendUnderLease(
          deps.db,
          lease,
          { n: sends.length + 1, lineKeys: keys },
          (leavesBy) => addImportLines(client, lines, file, leavesBy),
          // A create waits for the gate at most one request timeout before it leaves or is dropped.
          { departureMs: settings.requestTimeoutMs, refusedWhole, onSending: () => (sending = true) },
        );
        if (!result.sent) throw await postingBusy(deps, ref);
        progress.at('recording-answer');
        await markSend(deps.db, result.send, { outcome: 'answered', lineDbIds: result.answer });
        await accepted(ref, result.answer);
        return { lineDbIds: result.answer, foundExisting: 0, posted: false };
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        throw await invoiceFailure(deps, ref, error, sending ? 'create' : 'read');
      }
    } finally {
      progress.stop();
      await releasePosting(deps.db, lease);
    }
  };

  async function accepted(ref: InvoiceRef, lineDbIds: number[]): Promise<void> {
    await updateOutbox(deps.db, ref.tenantId, ref.invoiceId, {
      state: 'accepted',
      lastError: null,
      acceptedAt: new Date(),
      xledger: { lineDbIds, transactionDbId: null },
    });
  }

  /** The unknown sends' voucher was found in Xledger: one of them landed. */
  async function noteLanded(open: InvoiceSend[], lineDbIds: number[]): Promise<void> {
    const latest = open[open.length - 1];
    if (latest?.outcome === 'unknown') await markSend(deps.db, latest, { outcome: 'landed', lineDbIds });
  }
}

/** The outbox already knows the voucher is in Xledger (sent, posted or rejected): nothing to do. */
function alreadyInXledger(stored: OutboxInvoice): boolean {
  return (
    stored.state === 'posted' ||
    stored.state === 'rejected' ||
    stored.state === 'needs_attention' ||
    stored.xledger.lineDbIds.length > 0 ||
    stored.xledger.transactionDbId !== null
  );
}

/**
 * The look-up before a create, when an earlier attempt may have sent the voucher. When nothing
 * is found, look once more in a new request: a voucher processed between the look-up's two
 * reads (the staging line gone, the payable not yet read) is found then as the payable.
 */
async function lookUpEarlierPosting(client: XledgerClient, keys: string[]) {
  const first = await findEarlierPosting(client, keys);
  if (first.posted || first.lines.length > 0) return first;
  return findEarlierPosting(client, keys);
}

/** The found staging lines' dbIds in the voucher's line order (-1 where a line was not found). */
function inVoucherOrder(
  keys: string[],
  found: Array<{ dbId: number; extIdentifier: string | null }>,
): number[] {
  const byKey = new Map(found.map((line) => [line.extIdentifier, line.dbId]));
  return keys.map((key) => byKey.get(key) ?? -1);
}
