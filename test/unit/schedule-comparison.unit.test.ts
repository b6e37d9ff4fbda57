/**
 * sameSchedule decides whether upsert updates a tenant's schedule: a false "different" rewrites
 * every schedule on every tenant save, a false "same" leaves a changed interval unapplied.
 * Here against descriptions shaped as the SDK decodes them (durations in ms, search attributes
 * as TypedSearchAttributes, arguments decoded from JSON); test/tenants/lifecycle.test.ts checks
 * upsert against a real Temporal server.
 */
import { ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { sameSchedule } from '../../src/temporal/schedules';
import { DataTypeKey, TenantIdKey, TriggerKey } from '../../src/temporal/search-attributes';
import { postPendingInvoicesWorkflow, syncDataTypeWorkflow } from '../../src/workflows';

/** What upsert sets for acme's suppliers, every 30 minutes at offset 7. */
function wanted(overrides: { every?: number; offset?: number; args?: unknown[]; paused?: boolean } = {}) {
  return {
    scheduleId: 'schedule:acme:suppliers',
    spec: {
      intervals: [{ every: (overrides.every ?? 30) * 60_000, offset: (overrides.offset ?? 7) * 60_000 }],
      jitter: 60_000,
    },
    action: {
      type: 'startWorkflow',
      workflowType: syncDataTypeWorkflow as typeof syncDataTypeWorkflow | typeof postPendingInvoicesWorkflow,
      workflowId: 'sync:acme:suppliers',
      taskQueue: 'xledger-sync',
      args: overrides.args ?? [
        { tenantId: 'acme', dataType: 'suppliers', mode: 'auto', trigger: 'schedule' },
      ],
      typedSearchAttributes: [
        { key: TenantIdKey, value: 'acme' },
        { key: DataTypeKey, value: 'suppliers' },
        { key: TriggerKey, value: 'schedule' },
      ],
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP as ScheduleOverlapPolicy,
      catchupWindow: 30 * 60_000,
      pauseOnFailure: false,
    },
    state: { paused: overrides.paused ?? false, note: 'every 30 min' },
    memo: { tenantId: 'acme', dataType: 'suppliers' },
  } satisfies ScheduleOptions;
}

/** The schedule as describe() answers once the server holds `options`. */
function described(options: ScheduleOptions): ScheduleDescription {
  const action = options.action as ReturnType<typeof wanted>['action'];
  return {
    scheduleId: options.scheduleId,
    spec: options.spec,
    action: {
      ...action,
      // Upsert names the workflow by its function; the server describes it by its type name.
      workflowType: action.workflowType.name,
      args: JSON.parse(JSON.stringify(action.args)) as unknown[],
      memo: undefined,
      typedSearchAttributes: new TypedSearchAttributes(action.typedSearchAttributes),
    },
    policies: { ...options.policies },
    state: { paused: options.state?.paused === true, note: options.state?.note },
    memo: options.memo,
  } as unknown as ScheduleDescription;
}

describe('sameSchedule: does the server’s schedule already do what upsert would set?', () => {
  it('the schedule upsert created is the same, whatever order the decoded keys come in', () => {
    expect(sameSchedule(described(wanted()), wanted())).toBe(true);
    const reordered = described(wanted());
    const [arg] = reordered.action.args as [Record<string, unknown>];
    (reordered.action as { args: unknown[] }).args = [Object.fromEntries(Object.entries(arg).reverse())];
    expect(sameSchedule(reordered, wanted())).toBe(true);
  });

  it('an interval, offset or jitter that changed is different', () => {
    expect(sameSchedule(described(wanted()), wanted({ every: 60 }))).toBe(false);
    expect(sameSchedule(described(wanted()), wanted({ offset: 8 }))).toBe(false);
    const jitter = wanted();
    jitter.spec.jitter = 30_000;
    expect(sameSchedule(described(wanted()), jitter)).toBe(false);
  });

  it('an interval set without an offset is the same as one the server describes at offset 0', () => {
    const current = described(wanted({ offset: 0 }));
    const withoutOffset: ScheduleOptions = {
      ...wanted(),
      spec: { intervals: [{ every: 30 * 60_000 }], jitter: 60_000 },
    };
    expect(current.spec.intervals).toEqual([{ every: 30 * 60_000, offset: 0 }]);
    expect(sameSchedule(current, withoutOffset)).toBe(true);
  });

  it('workflow arguments, workflow id or task queue that changed are different', () => {
    const args = [{ tenantId: 'acme', dataType: 'suppliers', mode: 'full', trigger: 'schedule' }];
    expect(sameSchedule(described(wanted()), wanted({ args }))).toBe(false);
    const moved = wanted();
    moved.action.taskQueue = 'xledger-sync-2';
    expect(sameSchedule(described(wanted()), moved)).toBe(false);
    const renamed = wanted();
    renamed.action.workflowId = 'sync:acme:suppliers:2';
    expect(sameSchedule(described(wanted()), renamed)).toBe(false);
    const otherWorkflow = wanted();
    otherWorkflow.action.workflowType = postPendingInvoicesWorkflow;
    expect(sameSchedule(described(wanted()), otherWorkflow)).toBe(false);
  });

  it('a search attribute value or a policy that changed is different', () => {
    const tagged = wanted();
    tagged.action.typedSearchAttributes[2] = { key: TriggerKey, value: 'resync' };
    expect(sameSchedule(described(wanted()), tagged)).toBe(false);
    const overlap = wanted();
    overlap.policies.overlap = ScheduleOverlapPolicy.BUFFER_ONE;
    expect(sameSchedule(described(wanted()), overlap)).toBe(false);
    const catchup = wanted();
    catchup.policies.catchupWindow = 10 * 60_000;
    expect(sameSchedule(described(wanted()), catchup)).toBe(false);
  });

  it('pause state is not compared: upsert keeps it', () => {
    expect(sameSchedule(described(wanted({ paused: true })), wanted({ paused: false }))).toBe(true);
  });
});
