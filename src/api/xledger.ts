import { xledgerCheckInputSchema, type XledgerCheckInput } from '../client';
import type { ApiRoutes } from './plugin';
import { problems, schemaCheckReportSchema } from './schemas';

/** `xledger check` over HTTP: an endpoint and token checked against Xledger before onboarding. */
export const xledgerRoutes: ApiRoutes = async (app, { client }) => {
  app.post('/v1/xledger/check', {
    config: { scope: 'write' },
    schema: {
      operationId: 'checkXledger',
      summary: 'The live schema check of an endpoint and token (and an owner) before onboarding',
      tags: ['xledger'],
      body: xledgerCheckInputSchema,
      response: { 200: schemaCheckReportSchema, ...problems(422) },
    },
    // The body as sent: the client validates it again, as for any caller.
    handler: async (request) => client.checkXledger(request.sentBody as XledgerCheckInput),
  });
};
