import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of an Xledger webhook delivery: the one place that encodes what we know and what
 * we assume of it (README, "Push from Xledger"; xledger-api.md, "Webhooks").
 *
 * - (H, Xledger's Webhooks-CSharp sample, `ValidSignature`) HMAC-SHA256 over the UTF-8 of
 *   `"<Unix epoch seconds of the Date header>.<body>"`, compared in constant time; the header
 *   `X-XL-Webhook-Signature` holds it Base64Url-encoded.
 * - (H, same) the HMAC key is the API token's bytes Base64Url-decoded — not its UTF-8. Node's
 *   decoder skips characters outside the alphabet and bits past the last whole byte where
 *   .NET's would throw; for a real token (Base64Url by its look) the two agree. (A) that every
 *   real token decodes this way.
 * - (A) padding: we send none and accept the header with or without `=`.
 */
export const SIGNATURE_HEADER = 'x-xl-webhook-signature';

export function webhookSignature(token: string, dateSeconds: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', Buffer.from(token, 'base64url'));
  hmac.update(`${dateSeconds}.`, 'utf8');
  hmac.update(body);
  return hmac.digest('base64url');
}

/** Whether `header` is the delivery's signature (constant time; false for anything malformed). */
export function webhookSignatureMatches(
  token: string,
  header: string,
  dateSeconds: number,
  body: Buffer,
): boolean {
  const provided = Buffer.from(header.trim().replace(/=+$/, ''), 'base64url');
  const expected = Buffer.from(webhookSignature(token, dateSeconds, body), 'base64url');
  return provided.length === expected.length && timingSafeEqual(provided, expected);
}
