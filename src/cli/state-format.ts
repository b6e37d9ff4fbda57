import type { TenantPush } from '../store/push-subscriptions';
import type { ResyncProgress, ResyncTicket, StreamProgress } from '../client/resync';
import type { AfterSave, TenantStateView } from '../client/tenant-state';
import type { TenantCost, Usage } from '../domain/cost';
import type { CreditPoolView } from '../store/credit-pool';
import type { Counts, SyncRunSummary } from '../domain/figures';
import type { RunFailure } from '../domain/data-type-state';

/**
 * Plain-text rendering of states, cost and resync progress for the `xledger-sync` CLI (the
 * rest of its rendering is in format.ts). Messages come from Xledger's answers and our own
 * words, never from a token.
 */

const iso = (value: string) => `${value.slice(0, 19).replace('T', ' ')}Z`;

/** `State:  …` and, for a tenant that needs attention, why and what to do. */
export function tenantStateLines(state: TenantStateView): string[] {
  const attention = state.needsAttention;
  if (attention) {
    return [
      `State:         NEEDS ATTENTION since ${iso(attention.since)} (${attention.reason}, found by ${attention.dataType}): ${oneLine(attention.message)}`,
      `               Its runs end at once, without an Xledger request. To recover: ${attention.advice}.`,
    ];
  }
  const first = state.readyAt
    ? `first sync complete ${iso(state.readyAt)}`
    : state.onboardedAt
      ? `first sync not complete; onboarded ${iso(state.onboardedAt)}`
      : 'first sync not complete';
  const recovered = state.lastRecovery
    ? `; recovered ${iso(state.lastRecovery.at)} (${state.lastRecovery.cause === 'token_replaced' ? 'new token' : 'resumed'})`
    : '';
  return [`State:         ${state.state} (${first}${recovered})`];
}

/** `Failures:` with each data type whose last runs failed. */
export function failureLines(
  dataTypes: Array<{ dataType: string; consecutiveFailures: number; lastFailure: RunFailure | null }>,
): string[] {
  const failing = dataTypes.filter((d) => d.consecutiveFailures > 0 && d.lastFailure);
  if (failing.length === 0) return [];
  return [
    'Failures (since the last completed run):',
    ...failing.map(
      (d) =>
        `  ${d.dataType}: ${d.consecutiveFailures} in a row, last ${iso(d.lastFailure!.at)} (${d.lastFailure!.kind}): ${oneLine(d.lastFailure!.message)}`,
    ),
  ];
}

const number = (value: number) => Math.round(value).toLocaleString('en-US');
const mb = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));
const usage = (u: Usage) => `${number(u.requests)} requests, ${mb(u.mbDown)} MB down, ${mb(u.mbUp)} MB up`;

/** The tenant's Xledger use and what it projects to, against the customer's shared allowance. */
export function costLines(cost: TenantCost): string[] {
  const share = Math.round(cost.projectedShareOfIncluded * 100);
  const left = cost.allowance.leftForOthers;
  return [
    `Xledger use (${cost.counts}):`,
    `  last 24 h:     ${usage(cost.last24h)}`,
    `  last 30 days:  ${usage(cost.last30d)}`,
    `  per month:     ${usage(cost.projectedMonth)} projected from ${cost.projectionBasisDays} day(s): ` +
      `${share}% of the ${number(cost.included.requests)} requests included` +
      ` (and ${number(cost.included.mbDown)} MB each way)${share > 100 ? ' — OVER: the rest is billed' : ''}`,
    `  allowance:     the customer's, shared by all its Xledger integrations: ${number(left.requests)} requests ` +
      `and ${mb(left.mbDown)} MB down left a month for the others; beyond it Xledger bills each request and MB (it does not refuse them)`,
  ];
}

/** The token's hourly credit pool: what Xledger last said is left, and a pause under way. */
export function creditLines(credits: CreditPoolView, now = Date.now()): string[] {
  const iso = (value: Date | string) => new Date(value).toISOString();
  const lines = ['Xledger credits (the hourly pool):'];
  lines.push(
    credits.seenAt && credits.remaining !== null
      ? `  left:          ${number(credits.remaining)} credits after the last request (it cost ${credits.cost ?? '?'}), at ${iso(credits.seenAt)}`
      : credits.seenAt
        ? `  left:          not limited (Xledger reported no pool), at ${iso(credits.seenAt)}`
        : '  left:          not reported (this Xledger has no rateLimit field, or no request read it yet)',
  );
  if (credits.pausedUntil) {
    const minutes = Math.max(1, Math.ceil((new Date(credits.pausedUntil).getTime() - now) / 60_000));
    lines.push(
      `  paused:        every worker waits with this token's requests until ${iso(credits.pausedUntil)} (about ${minutes} min; ${credits.pauseKind === 'rate_limited' ? 'Xledger asked to wait' : 'credits spent'}); runs resume by themselves`,
    );
  }
  return lines;
}

/** What `tenant upsert` adds for a new tenant (its first sync) or a recovered one. */
export function afterSaveLines(after: AfterSave & { tenantId: string }): string {
  const lines: string[] = [];
  if (after.firstSync) {
    lines.push(
      `First sync: a full sync of ${after.firstSync.dataTypes.join(', ')} has started; the tenant is ready when all have completed (xledger-sync tenant status ${after.tenantId}).`,
    );
  }
  if (after.recovered) {
    lines.push(
      `Recovered: the new token ends the tenant's needs-attention state; every data type is being resynced now.`,
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** What `tenant resync` prints: what was asked, and the runs that took it. */
export function ticketText(ticket: ResyncTicket, { allowMassDelete = false } = {}): string {
  const lines = [
    `Resync requested for tenant ${ticket.tenantId}: ${ticket.dataTypes.join(', ') || 'no enabled data type'} (${ticket.full ? 'full' : 'incremental'}${allowMassDelete ? ', mass deletions allowed' : ''}).`,
  ];
  if (ticket.ignored.length > 0) lines.push(`  not synced by this tenant: ${ticket.ignored.join(', ')}`);
  for (const run of ticket.runs) lines.push(runLine(run));
  if (ticket.needsAttention) {
    lines.push(
      `  The tenant needs attention (${ticket.needsAttention.reason}): the resync waits until a new token is stored or the tenant is resumed.`,
    );
  } else if (ticket.waiting.length > 0) {
    lines.push(`  waiting for a run already under way: ${ticket.waiting.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export const runLine = (run: { dataType: string; workflowId: string; runId: string }) =>
  `  ${run.dataType}: run ${run.workflowId} (${run.runId})`;

const countsText = (c: Counts) =>
  `${number(c.fetched)} fetched, ${number(c.kept)} kept, ${number(c.inserted)} inserted, ${number(c.updated)} updated, ${number(c.deleted)} deleted, ${number(c.rejected)} rejected; ${number(c.requests)} requests`;

/** One line of live progress: the pass under way and its records so far. */
export function progressLine(dataType: string, pass: StreamProgress): string {
  return `  ${dataType}/${pass.stream} (${pass.mode}): ${countsText(pass)} so far`;
}

/** How a resync ended: one line per data type with its figures, or its failure. */
export function resyncResultText(progress: ResyncProgress): string {
  const lines: string[] = [];
  for (const d of progress.dataTypes) {
    const summary: SyncRunSummary | null = d.summary;
    if (d.state === 'failed') {
      lines.push(`${d.dataType}: FAILED: ${oneLine(d.failure ?? 'unknown failure')}`);
    } else if (d.state === 'waiting') {
      lines.push(`${d.dataType}: not started`);
    } else if (summary) {
      const modes = [...new Set(summary.streams.map((s) => s.mode))].join('+') || '-';
      lines.push(
        `${d.dataType}: ${d.state} (${modes}, ${(summary.durationMs / 1000).toFixed(1)}s): ${countsText(summary.totals)}`,
      );
    } else {
      lines.push(`${d.dataType}: ${d.state}`);
    }
  }
  if (progress.needsAttention) {
    lines.push(
      `The tenant needs attention (${progress.needsAttention.reason}): ${oneLine(progress.needsAttention.message)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Push from Xledger in `tenant status`: each webhook's state, the pushed types, the polled ones and why. */
export function pushLines(push: TenantPush | null): string[] {
  if (!push) return [];
  const out = ['', `Push from Xledger (to ${push.url}):`];
  for (const s of push.subscriptions) {
    const id = s.webhookDbId === null ? 'not registered' : `webhook ${s.webhookDbId}`;
    const again = s.reregistrations > 0 ? `, registered again ${s.reregistrations}×` : '';
    out.push(
      `  ${s.field}: ${s.state ?? 'unknown'} (${id}${again}, checked ${s.checkedAt})${s.problem ? `: ${s.problem}` : ''}`,
    );
  }
  out.push(`  pushed (polled less often): ${push.pushedTypes.join(', ') || 'none'}`);
  for (const p of push.polled) out.push(`  polled: ${p.dataType}: ${p.reason}`);
  return out;
}
