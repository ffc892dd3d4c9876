// Proof of work with the ALTCHA widget, only when the service asks for it: call
// withChallenge(attempt), where attempt(altcha) makes the request, with altcha
// undefined the first time. On 428 challenge_required the widget fetches
// GET /v1/challenge, solves it in Web Workers, and the request is made again with
// the solution. The widget (vendor/altcha/, copied from node_modules by the
// build) is loaded on first need, so most visitors never download it.
import { ApiError } from './api.js';

let ready;

function load() {
  ready ??= (async () => {
    await import('/vendor/altcha/altcha.js');
    // The "external" build ships no inline workers or styles (strict CSP): register
    // the SHA-256 worker, which is a same-origin file.
    globalThis.$altcha.algorithms.set('SHA-256', () => new Worker('/vendor/altcha/sha.js'));
    const widget = document.createElement('altcha-widget');
    widget.setAttribute('challenge', '/v1/challenge');
    widget.setAttribute('auto', 'off');
    widget.setAttribute('name', 'altcha');
    widget.hidden = true;
    widget.className = 'pow-widget';
    document.body.append(widget);
    await customElements.whenDefined('altcha-widget');
    if (typeof widget.verify !== 'function') {
      await new Promise((resolve) => widget.addEventListener('load', resolve, { once: true }));
    }
    return widget;
  })();
  ready.catch(() => { ready = undefined; });
  return ready;
}

// solve answers a fresh ALTCHA payload.
export async function solve() {
  const widget = await load();
  return new Promise((resolve, reject) => {
    const done = (ev) => {
      const { state, payload } = ev.detail || {};
      if (state === 'verified' && payload) {
        widget.removeEventListener('statechange', done);
        resolve(payload);
      } else if (state === 'error' || state === 'expired') {
        widget.removeEventListener('statechange', done);
        reject(new Error(`altcha ${state}`));
      }
    };
    widget.addEventListener('statechange', done);
    widget.reset();
    widget.verify();
  });
}

// withChallenge runs attempt(), and when the service answers challenge_required,
// solves a challenge (onSolving tells the user) and tries again, twice at most.
export async function withChallenge(attempt, onSolving = () => {}) {
  for (let i = 0; ; i++) {
    try {
      return await attempt(i === 0 ? undefined : await solveOrFail(onSolving));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'challenge_required' || i >= 2) throw err;
    }
  }
}

async function solveOrFail(onSolving) {
  onSolving();
  try {
    return await solve();
  } catch {
    throw new ApiError(428, { code: 'challenge_required' });
  }
}
