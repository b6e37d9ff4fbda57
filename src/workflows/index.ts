export { syncDataTypeWorkflow } from './sync-data-type';
export { tenantWorkflow } from './tenant';
