/**
 * src/temporal/definitions.ts names each workflow by its type name, and the starters, the
 * schedules and the client start it by that name: the names must be the functions the worker
 * registers (src/workflows/index.ts), with the signatures the definitions promise.
 */
import { describe, expect, it } from 'vitest';
import { dataTypes } from '../../src/datatypes/registry';
import { masterDataTypeNames, scheduledJobNames } from '../../src/domain/data-types';
import {
  WorkflowType,
  type DeliverTenantEventsWorkflow,
  type PostInvoiceWorkflow,
  type PostPendingInvoicesWorkflow,
  type SweepEventDeliveryWorkflow,
  type SyncDataTypeWorkflow,
  type TenantWorkflow,
} from '../../src/temporal/definitions';
import { scheduledJobs } from '../../src/temporal/scheduled-jobs';
import * as workflows from '../../src/workflows';

/** Compiles only while each workflow has the signature its definition promises. */
const typed: {
  syncDataTypeWorkflow: SyncDataTypeWorkflow;
  tenantWorkflow: TenantWorkflow;
  postInvoiceWorkflow: PostInvoiceWorkflow;
  postPendingInvoicesWorkflow: PostPendingInvoicesWorkflow;
  deliverTenantEventsWorkflow: DeliverTenantEventsWorkflow;
  sweepEventDeliveryWorkflow: SweepEventDeliveryWorkflow;
} = workflows;

describe('workflow definitions', () => {
  it('name exactly the workflows the worker registers', () => {
    expect(Object.values(WorkflowType).sort()).toEqual(Object.keys(typed).sort());
    expect(Object.keys(workflows).sort()).toEqual(Object.values(WorkflowType).sort());
    for (const name of Object.values(WorkflowType)) expect(typeof workflows[name]).toBe('function');
  });

  it('the domain names the data types and jobs that the registry and the scheduled jobs define', () => {
    expect(dataTypes.map((type) => type.name)).toEqual(masterDataTypeNames);
    expect(scheduledJobs.map((job) => job.name)).toEqual(scheduledJobNames);
  });
});
