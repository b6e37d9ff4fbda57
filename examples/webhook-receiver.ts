/**
 * A receiver of xledger-sync's webhooks, as SEMINE's backend would run one (README, "Events for
 * SEMINE's backend"). Each delivery is verified over its raw body before anything is parsed,
 * de-duplicated by its id (delivery is at least once), handled by type, and answered 2xx only
 * once handled: any other answer makes xledger-sync deliver it again later, in order.
 *
 *   WEBHOOK_SECRET=whsec_… PORT=8080 node webhook-receiver.js
 *
 * It prints one JSON line per event it handles. Type-checked and run against signed deliveries
 * from the packed package in test/build/package.test.ts.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from '@semine/xledger-sync';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('WEBHOOK_SECRET is required (the whsec_… secret given to xledger-sync for this endpoint)');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);

/** Ids already handled. A real receiver keeps them in its database, beside what it changed. */
const handled = new Set<string>();

/** What SEMINE does with each event; a switch on the type narrows `event.data`. */
function describe(event: WebhookEvent): string {
  switch (event.type) {
    case 'invoice.posted':
      return `invoice ${event.data.invoiceId} posted`;
    case 'invoice.rejected':
      return `invoice ${event.data.invoiceId} rejected: ${event.data.reasons.join('; ')}`;
    case 'sync.completed':
      return `${event.data.dataType} synced; changes through ${event.data.changes.through}`;
    default:
      return event.type;
  }
}

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  void rawBody(req).then((body) => {
    let event: WebhookEvent;
    try {
      event = verifyWebhook(body, req.headers, secret);
    } catch (error) {
      // Not from xledger-sync (or replayed, or tampered with): refuse, and never act on it.
      const status = error instanceof WebhookVerificationError ? 400 : 500;
      res.writeHead(status).end();
      console.log(JSON.stringify({ refused: status, why: (error as Error).message }));
      return;
    }
    if (!handled.has(event.id)) {
      handled.add(event.id);
      console.log(
        JSON.stringify({
          handled: event.id,
          type: event.type,
          tenant: event.tenantId,
          what: describe(event),
        }),
      );
    }
    res.writeHead(204).end();
  });
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ listening: typeof address === 'object' && address ? address.port : port }));
});
