import type { DataTypeDefinition } from '../datatypes/datatype';
import type { ScheduledJob } from '../scheduled-jobs';
import { syncWorkflowId } from '../temporal/ids';
import { WorkflowType, type SyncDataTypeWorkflow } from '../workflows/definitions';

/** A data type's scheduled job: a sync run of it that decides for itself whether to read all or only changes. */
export function syncJobOf(type: DataTypeDefinition): ScheduledJob<SyncDataTypeWorkflow> {
  return {
    name: type.name,
    defaultIntervalMinutes: type.defaultIntervalMinutes,
    enabledFor: (options) => type.enabledFor(options),
    workflowType: WorkflowType.syncDataType,
    workflowId: (tenantId) => syncWorkflowId(tenantId, type.name),
    args: (tenantId) => [{ tenantId, dataType: type.name, mode: 'auto', trigger: 'schedule' }],
  };
}
