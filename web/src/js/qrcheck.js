// Checks a check-in registry QR payload as docs/qr-format.md specifies, with
// WebCrypto: in the browser (the check page) and in node (the vector test).
// No DOM, no network: the caller passes the key set.

const PREFIX = 'CKR2:';
// Format 1 ('CKR1:', no serial) is still on printed posters: it verifies, with no serial.
const LEGACY_PREFIX = 'CKR1:';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// n / 2 for P-256: a signature's s must not exceed it.
const HALF_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n;

// CHECK_PATH is the check page: a code holds origin + CHECK_PATH + '#' + payload.
export const CHECK_PATH = '/c.html';

// fromFragment is the payload a URL fragment (without '#') carries: '+' is a
// space, %XX a byte of UTF-8. null where it does not decode.
export function fromFragment(fragment) {
  try {
    return decodeURIComponent(fragment.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

// base64url decodes canonical unpadded base64url, or answers null.
function base64url(s) {
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const c of s) {
    const v = B64.indexOf(c);
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6 || (acc & ((1 << bits) - 1)) !== 0) return null; // leftover bits must be zero
  return new Uint8Array(out);
}

function validName(name) {
  const n = [...name].length;
  // No control (Cc) or format (Cf) characters, no line or paragraph separators,
  // no space at either end, normalisation form C.
  return n >= 1 && n <= 100 && name === name.trim() && name === name.normalize('NFC') &&
    !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(name);
}

// parse splits a payload into its fields, or answers null. A format 1 payload
// has no serial (undefined).
export function parse(payload) {
  if (typeof payload !== 'string' || [...payload].length > 300) return null;
  const legacy = payload.startsWith(LEGACY_PREFIX);
  if (!legacy && !payload.startsWith(PREFIX)) return null;
  const cut = payload.lastIndexOf(':');
  const input = payload.slice(0, cut);
  const sig = base64url(payload.slice(cut + 1));
  const m = legacy
    ? /^CKR1:([A-Za-z0-9_-]{12}):([a-z2-7]{26}):()(.*)$/su.exec(input)
    : /^CKR2:([A-Za-z0-9_-]{12}):([a-z2-7]{26}):([1-9][0-9]{0,9}):(.*)$/su.exec(input);
  if (!sig || sig.length !== 64 || !m || base64url(m[1]) === null) return null;
  const serial = legacy ? undefined : Number(m[3]);
  if (serial > 0xffffffff || !validName(m[4])) return null;
  return { kid: m[1], venueId: m[2], serial, businessName: m[4], input, sig };
}

// verify checks payload against a JWKS ({keys: [...]}) and answers
// {valid: true, venueId, serial, businessName} (no serial for format 1) or
// {valid: false, reason}.
export async function verify(payload, jwks) {
  const p = parse(payload);
  if (!p) return { valid: false, reason: 'malformed' };
  const jwk = (jwks && Array.isArray(jwks.keys) ? jwks.keys : []).find(
    (k) => k.kid === p.kid && k.kty === 'EC' && k.crv === 'P-256' && (!k.alg || k.alg === 'ES256'));
  if (!jwk) return { valid: false, reason: 'unknown_key' };
  let s = 0n;
  for (const b of p.sig.subarray(32)) s = (s << 8n) | BigInt(b);
  if (s > HALF_N) return { valid: false, reason: 'invalid_signature' };
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
    { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, p.sig, new TextEncoder().encode(p.input));
  if (!ok) return { valid: false, reason: 'invalid_signature' };
  if (p.serial === undefined) return { valid: true, venueId: p.venueId, businessName: p.businessName };
  return { valid: true, venueId: p.venueId, serial: p.serial, businessName: p.businessName };
}

// verifyScanned takes what a scanner read: a URL of the check page on origin,
// or a bare payload.
export async function verifyScanned(text, jwks, origin) {
  if (/^https?:\/\//.test(text)) {
    const prefix = origin + CHECK_PATH + '#';
    if (!text.startsWith(prefix)) return { valid: false, reason: 'wrong_origin' };
    const payload = fromFragment(text.slice(prefix.length));
    if (payload === null) return { valid: false, reason: 'malformed' };
    return verify(payload, jwks);
  }
  return verify(text, jwks);
}
