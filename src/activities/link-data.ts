import type { LinkName } from '../datatypes/datatype';
import { runLink } from '../store/links';
import type { LinkFigures } from '../domain/figures';
import type { ActivityDeps } from './deps';

export function createLinkData(deps: ActivityDeps) {
  return async function linkData(input: { tenantId: string; link: LinkName }): Promise<LinkFigures> {
    return runLink(deps.db, input.tenantId, input.link);
  };
}
