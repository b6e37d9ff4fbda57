export { syncDataTypeWorkflow } from './sync-data-type';
