import { oneLine } from './outcome.js';

/**
 * A short, fixed-form reason for a failed connection or exchange: `connect ECONNREFUSED`,
 * `TLS handshake failed: wrong version number`. Built from the error's code, not its message, so
 * nothing the probe sent (its headers) or the server answered can end up in a log.
 */
export function transportReason(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; syscall?: unknown; reason?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_') || code === 'EPROTO') {
    // OpenSSL's own reason (`...:SSL routines:ssl3_get_record:wrong version number:...`).
    const openssl = typeof e.message === 'string' ? /SSL routines:[^:]*:([^:]+):/.exec(e.message)?.[1] : undefined;
    const what = typeof e.reason === 'string' ? e.reason : openssl ?? code.replace(/^ERR_(SSL|TLS)_/, '').toLowerCase().replace(/_/g, ' ');
    return `TLS handshake failed: ${oneLine(what, 60)}`;
  }
  // llhttp's codes (HPE_INVALID_HEADER_TOKEN ...): the answer was not HTTP; its bytes are not repeated.
  if (code?.startsWith('HPE_')) return `invalid HTTP answer (${code})`;
  if (code === 'ECONNRESET' && e.message === 'socket hang up') return 'connection closed without an answer (socket hang up)';
  if (code) return typeof e.syscall === 'string' ? `${e.syscall} ${code}` : code;
  return 'connection failed';
}
