import type { InvoiceStatus, TenantStatus } from '../client';
import type { TenantSchemaCheck } from '../store/tenant-record';
import { postingSettingsOf, type TenantSettings } from '../domain/tenant';
import { isNeeded, mismatchText, type SchemaCheckReport } from '../catalogue/schema-check';
import { intervalMinutesFor } from '../temporal/schedules';
import { dataTypes } from '../datatypes/registry';
import type { TenantStateView } from '../client/tenant-state';
import { costLines, creditLines, failureLines, pushLines, tenantStateLines } from './state-format';

/**
 * Plain-text rendering for the `xledger-sync` CLI: aligned columns, no colours, no
 * dependencies. Settings never include the token, so nothing here can print it.
 */

/** Left-aligned columns separated by two spaces; numbers are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const isNumber = (cell: string) => /^-?\d[\d.,]*$/.test(cell);
  // A column of numbers (a '-' for "none" allowed) is right-aligned.
  const numeric = header.map(
    (_, i) =>
      rows.some((row) => isNumber(row[i] ?? '')) &&
      rows.every((row) => isNumber(row[i] ?? '') || row[i] === '-'),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function minutes(value: number): string {
  if (value % (24 * 60) === 0) return `${value / (24 * 60)}d`;
  if (value % 60 === 0) return `${value / 60}h`;
  return `${value}m`;
}

function duration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds}s`;
  const m = Math.round(seconds / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h}h` : `${Math.round(h / 24)}d`;
}

/** `2025-06-01 12:30:00Z (in 4m)`: UTC, to the second, with a relative hint. */
export function when(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  const text = `${time.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  const delta = time.getTime() - now;
  return `${text} (${delta >= 0 ? `in ${duration(delta)}` : `${duration(delta)} ago`})`;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function overrides(tenant: TenantSettings): string {
  const entries = Object.entries(tenant.intervalMinutes).filter(([, v]) => typeof v === 'number');
  return entries.length === 0 ? 'defaults' : entries.map(([type, v]) => `${type}=${minutes(v!)}`).join(' ');
}

export function tenantsTable(tenants: Array<TenantSettings & { state: TenantStateView }>): string {
  if (tenants.length === 0) return 'No tenants.\n';
  return table(
    ['TENANT', 'STATE', 'OWNER', 'FIXED ASSETS', 'PROJECT MANAGERS', 'INTERVALS', 'FULL PASS', 'ENDPOINT'],
    tenants.map((t) => [
      t.tenantId,
      stateSummary(t.state),
      String(t.entityOwnerDbId),
      yesNo(t.options.fixedAssets),
      yesNo(t.options.projectManagers),
      overrides(t),
      `${t.fullPassIntervalHours}h`,
      t.xledger.endpoint,
    ]),
  );
}

/** `failed (suppliers)`: the tenant's state and the data types in it. */
function stateSummary(state: TenantStateView): string {
  const types = Object.entries(state.dataTypes)
    .filter(([, s]) => s === state.state)
    .map(([type]) => type);
  return state.state === 'ok' ||
    state.state === 'needs_attention' ||
    types.length === Object.keys(state.dataTypes).length
    ? state.state
    : `${state.state} (${types.join(', ')})`;
}

/**
 * What `tenant upsert` prints: the stored settings, the interval of each enabled type, and
 * what the live schema check found.
 */
export function tenantSummary(tenant: TenantSettings & { schemaCheck?: TenantSchemaCheck }): string {
  const enabled = dataTypes.filter((type) => type.enabledFor(tenant.options));
  return (
    `Tenant ${tenant.tenantId} saved (entity owner ${tenant.entityOwnerDbId}, ${tenant.xledger.endpoint}).\n` +
    table(
      ['DATA TYPE', 'EVERY'],
      enabled.map((type) => [type.name, minutes(intervalMinutesFor(tenant, type.name))]),
    ) +
    (tenant.schemaCheck ? schemaCheckLines(tenant.schemaCheck).join('\n') + '\n' : '')
  );
}

/** The stored schema check, for upsert and status: `Schema check:  …` and its warnings. */
function schemaCheckLines(check: TenantSchemaCheck, now?: number): string[] {
  const outcome =
    check.outcome === 'verified'
      ? "verified: every operation the tenant needs fits Xledger's schema"
      : check.outcome === 'not_verified'
        ? (check.note ?? 'schema not verified')
        : "WARNING: saved despite operations that do not fit Xledger's schema";
  return [
    `Schema check:  ${outcome}${now === undefined ? '' : `; checked ${when(check.checkedAt, now)}`}` +
      (now !== undefined && check.recheckedAt
        ? `, again by a full pass ${when(check.recheckedAt, now)}`
        : ''),
    ...(check.omittedFields?.length
      ? [
          `  Left out (optional, not in this Xledger's schema): ${check.omittedFields.map((o) => `${o.stream}.${o.field}`).join(', ')}`,
        ]
      : []),
    ...(check.rateLimit
      ? [
          '  Credits: this Xledger reports its credit pool (rateLimit): requests read it and pause before it is empty',
        ]
      : []),
    ...check.warnings.map((warning) => `  WARNING: ${warning}`),
  ];
}

/**
 * The live schema check's report: the schema, one line per operation (ok, or its mismatches),
 * the owner and the scopes (with --owner), the requests it cost, and the verdict. An operation
 * a tenant does not need is marked so; it does not decide the verdict.
 */
export function checkText(report: SchemaCheckReport & { tenantId?: string }): string {
  const out: string[] = [];
  out.push(`Xledger check of ${report.endpoint}${report.tenantId ? ` for tenant ${report.tenantId}` : ''}`);
  if (report.schema.verified) {
    const failing = report.operations.filter((operation) => !operation.ok).length;
    out.push(
      `Schema:        introspected (${report.schema.types} types); ${report.operations.length} operations checked, ${failing} do not fit`,
    );
    const width = Math.max(...report.operations.map((operation) => operation.name.length));
    for (const operation of report.operations) {
      const unneeded = isNeeded(operation.usedBy, report.neededBy) ? '' : ' (not needed by this tenant)';
      out.push(
        operation.ok
          ? `  ok        ${operation.name}${unneeded}`
          : `  MISMATCH  ${operation.name.padEnd(width)}  ${mismatchText(operation.mismatches)}${unneeded}`,
      );
    }
  } else {
    out.push(`Schema:        could not verify (not a failure): ${report.schema.reason}`);
  }
  if (report.owner) {
    const owner = report.owner;
    const name = owner.entity?.code ? ` (${owner.entity.code})` : '';
    out.push(
      owner.visible === true
        ? `Owner:         ${owner.dbId}${name} visible to the token; clients ${owner.clientDbIds.join(', ') || 'none'} (${owner.entitiesSeen} entities seen)`
        : owner.visible === false
          ? `Owner:         NOT VISIBLE: the token cannot see entity ${owner.dbId} (${owner.entitiesSeen} entities seen)`
          : `Owner:         NOT CHECKED: ${owner.error}`,
    );
  }
  if (report.scopes) {
    const { readable, missing, unprobed } = report.scopes;
    out.push(
      `Scopes:        ${readable.length} query fields readable; ${missing.length === 0 ? 'no scope missing' : `${missing.length} refused for a missing scope`}`,
    );
    for (const entry of missing) {
      const unneeded = isNeeded(entry.usedBy, report.neededBy) ? '' : ' (not needed by this tenant)';
      out.push(
        `  MISSING   ${entry.scope ?? '(scope unnamed)'} for ${entry.field} (data types: ${entry.usedBy.join(', ')})${unneeded}`,
      );
    }
    for (const entry of unprobed) out.push(`  not probed ${entry.field}: ${entry.reason}`);
  }
  const kb = Math.round(report.usage.bytesReceived / 1024);
  out.push(`Requests:      ${report.usage.requests} (${kb} kB received)`);
  if (report.ok) {
    out.push(
      `Result:        ok${report.schema.verified ? '' : ' (schema not verified: Xledger would not introspect)'}`,
    );
  } else {
    out.push(`Result:        ${report.problems.length} problem(s)`);
    for (const problem of report.problems) out.push(`  - ${problem}`);
  }
  return out.join('\n') + '\n';
}

export function statusText(status: TenantStatus, now = Date.now()): string {
  const { tenant } = status;
  const out: string[] = [];
  out.push(`Tenant:        ${tenant.tenantId}`);
  out.push(`Entity owner:  ${tenant.entityOwnerDbId}`);
  out.push(`Endpoint:      ${tenant.xledger.endpoint}`);
  out.push(
    `Options:       fixed assets ${yesNo(tenant.options.fixedAssets)}, project managers ${yesNo(tenant.options.projectManagers)}, full pass every ${tenant.fullPassIntervalHours}h`,
  );
  const posting = postingSettingsOf(tenant);
  const jobLevel =
    'dbId' in posting.jobLevel ? `dbId ${posting.jobLevel.dbId}` : `dbSubId ${posting.jobLevel.dbSubId}`;
  out.push(
    `Posting:       transaction source ${posting.transactionSourceCode}, job level ${jobLevel}, attach document ${yesNo(posting.attachDocument)}`,
  );
  out.push(...tenantStateLines(status.state));
  out.push(`Paused:        ${yesNo(status.paused)}`);
  if (status.workflow) {
    const last = status.workflow.recent[0];
    out.push(
      `Resyncs:       ${status.workflow.pending.length} waiting` +
        (last
          ? `; last asked ${when(last.requestedAt, now)} for ${last.dataTypes.length > 0 ? last.dataTypes.join(', ') : 'all types'}${last.full ? ' (full)' : ''}`
          : ''),
    );
  } else {
    out.push('Resyncs:       tenant workflow not running');
  }
  if (status.schemaCheck) out.push(...schemaCheckLines(status.schemaCheck, now));
  const invoiceStates = Object.entries(status.invoices).filter(([, count]) => count > 0);
  out.push(
    `Invoices:      ${invoiceStates.length === 0 ? 'none submitted' : invoiceStates.map(([state, count]) => `${count} ${state}`).join(', ')}`,
  );
  out.push('');
  out.push(
    table(
      [
        'DATA TYPE',
        'STATE',
        'EVERY',
        'PAUSED',
        'NEXT RUN',
        'RUNNING',
        'LAST SUCCESS',
        'LAST RUN',
        'STATUS',
        'TRIGGER',
      ],
      status.dataTypes.map((d) => [
        d.dataType,
        d.state ?? '-',
        minutes(d.intervalMinutes),
        yesNo(d.paused),
        d.paused ? '-' : when(d.nextRunAt, now),
        yesNo(d.runningNow),
        when(d.lastSuccessAt, now),
        when(d.lastRun?.finishedAt, now),
        d.lastError ? 'failed' : d.heldDeletions.length > 0 ? 'needs_review' : (d.lastRun?.status ?? '-'),
        d.lastRun?.trigger ?? '-',
      ]),
    ).trimEnd(),
  );
  out.push('');
  const figures = status.dataTypes.filter((d) => d.lastRun);
  if (figures.length > 0) {
    out.push('Last run figures:');
    out.push(
      table(
        [
          'DATA TYPE',
          'MODE',
          'FETCHED',
          'KEPT',
          'INSERTED',
          'UPDATED',
          'DELETED',
          'REJECTED',
          'REQUESTS',
          'DURATION',
        ],
        figures.map((d) => {
          const run = d.lastRun!;
          const modes = [...new Set(run.streams.map((s) => s.mode))];
          return [
            d.dataType,
            modes.length > 0 ? modes.join('+') : '-',
            String(run.totals.fetched),
            String(run.totals.kept),
            String(run.totals.inserted),
            String(run.totals.updated),
            String(run.totals.deleted),
            String(run.totals.rejected),
            String(run.totals.requests),
            `${(run.durationMs / 1000).toFixed(1)}s`,
          ];
        }),
      ).trimEnd(),
    );
  } else {
    out.push('No runs recorded yet.');
  }
  const held = status.dataTypes.filter((d) => d.heldDeletions.length > 0);
  if (held.length > 0) {
    out.push('');
    out.push(
      'Held deletions (a pass would mark an unusual share of records deleted, or the token no longer sees some entities; nothing was deleted):',
    );
    for (const d of held) {
      for (const h of d.heldDeletions) {
        const share = h.live > 0 ? Math.round((100 * h.wouldDelete) / h.live) : 0;
        const entities =
          h.reason === 'entity_tree_shrank'
            ? `; the token no longer sees entities ${(h.missingEntities ?? []).join(', ')}`
            : '';
        out.push(
          `  ${d.dataType}/${h.stream}: ${h.wouldDelete} of ${h.live} live records (${share}%, allowed ${Math.round(100 * h.maxShare)}%${entities}), found ${when(h.detectedAt, now)}`,
        );
      }
      out.push(
        `  Confirm: xledger-sync tenant resync ${status.tenant.tenantId} --type ${d.dataType} --full --allow-mass-delete`,
      );
    }
  }
  const failures = failureLines(status.dataTypes);
  if (failures.length > 0) out.push('', ...failures);
  out.push('', ...costLines(status.cost));
  if (status.credits) out.push(...creditLines(status.credits, now));
  out.push(...pushLines(status.push));
  // A failure recorded above is not repeated (this one comes from Temporal: runs from before
  // failures were recorded, or ended from outside).
  const errors = status.dataTypes.filter((d) => d.lastError && d.consecutiveFailures === 0);
  if (errors.length > 0) {
    out.push('');
    out.push('Last errors:');
    for (const d of errors) out.push(`  ${d.dataType}: ${d.lastError!.replace(/\s+/g, ' ')}`);
  }
  return out.join('\n') + '\n';
}

export function invoiceText(status: InvoiceStatus): string {
  const lines = [
    `Invoice:    ${status.invoiceId} (tenant ${status.tenantId})`,
    `State:      ${status.state}`,
    `Submitted:  ${status.submittedAt}`,
    ...(status.postedAt ? [`Posted:     ${status.postedAt}`] : []),
    ...(status.xledger.lineDbIds.length > 0
      ? [
          `Xledger:    lines ${status.xledger.lineDbIds.join(', ')}${status.xledger.transactionDbId ? `, transaction ${status.xledger.transactionDbId}` : ''}`,
        ]
      : []),
    ...status.reasons.map((reason) => `Reason:     ${reason}`),
    ...(status.lastError ? [`Last error: ${status.lastError}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
