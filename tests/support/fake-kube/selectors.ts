/**
 * Label and field selectors as kube-apiserver parses them (`k8s.io/apimachinery/pkg/labels`
 * and `fields`), enough for the selectors the control plane and kubectl send.
 */

/** A selector string the server refuses; answered as HTTP 400 BadRequest. */
export class SelectorError extends Error {}

type Requirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'in' | 'notIn'; values: string[] };

export type Selector = (labels: Record<string, string> | undefined) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas that are not inside a `(a,b)` value set. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value))
    throw new SelectorError(`unable to parse requirement: invalid label value "${value}"`);
  return value;
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(set[1]!), op: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const values = [checkValue(cmp[3]!)];
    return { key: checkKey(cmp[1]!), op: cmp[2] === '!=' ? 'notIn' : 'in', values };
  }
  if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'notExists' };
  return { key: checkKey(term), op: 'exists' };
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  switch (req.op) {
    case 'exists':
      return has;
    case 'notExists':
      return !has;
    case 'in':
      return has && req.values.includes(labels[req.key]!);
    case 'notIn':
      // Like the real server, `k!=v` and `k notin (...)` also match objects without the label.
      return !has || !req.values.includes(labels[req.key]!);
  }
}

/** Parses `a=b,c!=d,e,!f,g in (h,i),j notin (k)`; an empty or missing selector matches everything. */
export function parseLabelSelector(selector: string | null | undefined): Selector {
  const reqs = splitTerms(selector ?? '').map(parseTerm);
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

export type FieldSelector = (fields: Record<string, string>) => boolean;

/**
 * Parses `metadata.name=x,status.phase!=Running`; `supported` lists the field labels this kind
 * allows (the real server answers 400 for others).
 */
export function parseFieldSelector(selector: string | null | undefined, supported: string[]): FieldSelector {
  const reqs = splitTerms(selector ?? '').map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const field = m[1]!;
    if (!supported.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: m[3]!.trim() };
  });
  return (fields) => reqs.every((r) => (fields[r.field] === r.value) !== r.negate);
}
