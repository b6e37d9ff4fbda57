import { logger } from '../logger';

export const devstackLog = logger.child({ component: 'devstack' });
