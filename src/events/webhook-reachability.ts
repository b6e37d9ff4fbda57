import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { guardedLookup, literalAddressProblem } from '../security/webhook-connection';
import { webhookEndpointProblem, type WebhookEndpointPolicy } from '../security/webhook-policy';

/**
 * Whether a webhook URL can be reached the way a delivery reaches it — the endpoint policy, then
 * a connection through the same SSRF guard (security/webhook-connection.ts), and for https the
 * TLS handshake with the certificate checked — without sending a request: the receiver's
 * handler sees nothing (`xledger-sync doctor --tenant`). Texts name the URL's origin only.
 */
export async function probeWebhook(
  url: string,
  options: { policy: WebhookEndpointPolicy; timeoutMs: number },
): Promise<{ ok: true; detail: string } | { ok: false; detail: string }> {
  const problem = webhookEndpointProblem(url, options.policy);
  if (problem) return { ok: false, detail: `the webhook URL ${problem}` };
  const parsed = new URL(url);
  const where = parsed.origin;
  const host = parsed.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const checked = !options.policy.insecureHosts.includes(host);
  const literal = checked ? literalAddressProblem(host) : null;
  if (literal) return { ok: false, detail: `${where} refused: ${literal}` };
  const https = parsed.protocol === 'https:';
  const port = Number(parsed.port || (https ? 443 : 80));
  const lookup = checked ? { lookup: guardedLookup() } : {};
  return new Promise((resolve) => {
    const done = (result: { ok: boolean; detail: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result as { ok: true; detail: string } | { ok: false; detail: string });
    };
    const timer = setTimeout(
      () => done({ ok: false, detail: `${where} did not answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const connected = () =>
      done({ ok: true, detail: `${where} accepts connections${https ? ' (TLS certificate valid)' : ''}` });
    // Created last: `done` (called only once it exists) closes it.
    const socket: Socket = https
      ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...lookup }, connected)
      : connectTcp({ host, port, ...lookup }, connected);
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done({
        ok: false,
        detail:
          error.name === 'BlockedAddressError'
            ? `${where} refused: ${error.message}`
            : `${where} could not be reached: ${error.code ?? error.message}`,
      }),
    );
  });
}
