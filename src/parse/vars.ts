/** Dockerfile-level variable substitution (FROM, COPY --from, ARG/ENV values), as BuildKit's shell-lex does it. */
import type { Span } from '../util/text';

/** Where a variable's current value comes from. `value` undefined: declared without a known value. */
export interface VarDef {
  name: string;
  kind: 'arg' | 'env';
  value: string | undefined;
  /** Range of the value text in the Dockerfile (the ARG default or ENV value), when there is one. */
  valueSpan?: Span;
}

export type Scope = Map<string, VarDef>;

export interface Expansion {
  /** The expanded text; undefined when some variable has no known value. */
  value: string | undefined;
  /** Definitions the value was built from. */
  used: VarDef[];
  /** Variables referenced with no known value (declared without default). */
  unknown: string[];
  /** Variables used plainly (`$X`, `${X}`) but never declared (BuildKit substitutes '' and warns). */
  undeclared: string[];
}

/** Expands `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}`; `escape` before `$` keeps it literal. */
export function expandVars(text: string, scope: Scope, escape = '\\'): Expansion {
  const out: Expansion = { value: undefined, used: [], unknown: [], undeclared: [] };
  let value = '';
  let known = true;
  let i = 0;
  /** `plain`: a use without a default modifier, where an undeclared variable is a likely mistake. */
  const resolve = (name: string, plain: boolean): string | undefined | null => {
    const def = scope.get(name);
    if (!def) {
      if (plain) out.undeclared.push(name);
      return null;
    }
    out.used.push(def);
    if (def.value === undefined) out.unknown.push(name);
    return def.value;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === escape && text[i + 1] === '$') {
      value += '$';
      i += 2;
      continue;
    }
    if (c !== '$') {
      value += c;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) {
        value += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(body);
      i = close + 1;
      if (!m) {
        known = false;
        continue;
      }
      const [, name, op, word = ''] = m;
      const v = resolve(name, !op);
      if (!op) {
        if (v === undefined) known = false;
        else value += v ?? '';
        continue;
      }
      const isSet = op.startsWith(':') ? v !== null && v !== '' : v !== null;
      if (v === undefined) {
        known = false;
        continue;
      }
      if (op.endsWith('-')) value += isSet ? v : expandVars(word, scope, escape).value ?? '';
      else value += isSet ? word : '';
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      value += c;
      i++;
      continue;
    }
    const v = resolve(m[0], true);
    if (v === undefined) known = false;
    else value += v ?? '';
    i += 1 + m[0].length;
  }
  out.value = known ? value : undefined;
  return out;
}
