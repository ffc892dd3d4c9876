// Calls to the check-in registry API on the same origin. Every failure becomes an
// ApiError carrying the contract's error code, so pages can explain it.

export class ApiError extends Error {
  constructor(status, error = {}, requestId = '') {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || codeForStatus(status);
    this.fields = error.fields || {};
    this.retryAfterSeconds = error.retryAfterSeconds;
    this.attemptsRemaining = error.attemptsRemaining;
    // inboundAvailable: the code was refused, but a message from the contact can prove it.
    this.inboundAvailable = error.inboundAvailable === true;
    this.requestId = requestId;
  }
}

function codeForStatus(status) {
  switch (status) {
    case 0: return 'network';
    case 400: return 'invalid_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'not_received';
    case 410: return 'code_expired';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 428: return 'challenge_required';
    case 429: return 'rate_limited';
    case 503: return 'temporarily_unavailable';
    default: return status >= 500 ? 'internal' : 'unknown';
  }
}

async function send(path, { method = 'GET', body, token, accept = 'application/json' } = {}) {
  // API Gateway hands binary bodies (PNG, PDF) over as bytes only to a client whose
  // Accept header names their type; errors still come back as JSON.
  const headers = { Accept: accept === 'application/json' ? accept : `${accept}, application/json;q=0.5` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0);
  }
  if (resp.ok) return resp;
  let error = {};
  try {
    error = (await resp.json()).error || {};
  } catch { /* not JSON: a gateway or CDN error page */ }
  const header = Number(resp.headers.get('Retry-After'));
  if (error.retryAfterSeconds === undefined && header > 0) error.retryAfterSeconds = header;
  throw new ApiError(resp.status, error, resp.headers.get('X-Request-Id') || '');
}

// json calls the API and answers the decoded JSON body.
export async function json(path, opts) {
  const resp = await send(path, opts);
  return resp.status === 204 ? null : resp.json();
}

// blob calls the API and answers the body as a Blob (QR images, the poster).
export async function blob(path, opts) {
  return (await send(path, opts)).blob();
}
