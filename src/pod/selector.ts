import { PodError } from './errors.js';

/**
 * Equality-based label selectors, as `kubectl -l` takes them: `app=web,tier!=db,canary,!legacy`.
 * Set-based forms (`in`, `notin`) are refused with a clear message rather than misread.
 */
export type Requirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'exists' | '!exists' };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export class SelectorError extends PodError {
  override readonly name = 'SelectorError';
  constructor(message: string) {
    super('invalid', message);
  }
}

export function parseSelector(text: string): Requirement[] {
  if (!text.trim()) throw new SelectorError('empty selector: use key=value[,key=value...]');
  // Before splitting at commas: `app in (a,b)` has commas of its own, and a fragment would confuse.
  if (/\s(in|notin)\s/.test(text) || text.includes('(')) throw new SelectorError(`set-based selector "${text.trim()}" is not supported: use key=value, key!=value, key or !key`);
  return text.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^(!?)([^=!]+)(?:(==|=|!=)(.*))?$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector "${part}": use key=value, key!=value, key or !key`);
    // Blanks around the operator are allowed, as kubectl allows them (`app = web`).
    const [, not, key = '', op, value = ''] = m.map((group) => group?.trim());
    if (!KEY.test(key)) throw new SelectorError(`invalid label key "${key}" in selector`);
    if (op === undefined) return { key, op: not ? '!exists' : 'exists' };
    if (not) throw new SelectorError(`invalid selector "${part}": "!" goes only before a bare key`);
    if (!VALUE.test(value)) throw new SelectorError(`invalid label value "${value}" in selector`);
    return { key, op: op === '!=' ? '!=' : '=', value };
  });
}

export function matches(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    switch (r.op) {
      case 'exists': return r.key in l;
      case '!exists': return !(r.key in l);
      case '=': return l[r.key] === r.value;
      case '!=': return l[r.key] !== r.value;
    }
  });
}
