/** Dockerfile-level variable substitution (FROM, COPY --from, ARG/ENV values), as BuildKit's shell-lex does it. */
import type { Span } from '../util/text';

/** Where a variable's current value comes from. `value` undefined: declared without a known value. */
export interface VarDef {
  name: string;
  kind: 'arg' | 'env';
  value: string | undefined;
  /** Range of the value text in the Dockerfile (the ARG default or ENV value), when there is one. */
  valueSpan?: Span;
  /** Set by BuildKit for each build (TARGETARCH, BUILDPLATFORM, …): its value is not known when linting. */
  automatic?: boolean;
}

/**
 * The ARGs BuildKit defines itself (dockerfile2llb `defaultArgs`): the build and target platforms and the
 * target stage. They are in the global scope, so FROM can use them undeclared; a stage sees them only
 * after `ARG TARGETARCH` without a value. Their values depend on the machine and `--platform`/`--target`.
 */
export const AUTOMATIC_ARGS: ReadonlySet<string> = new Set([
  'BUILDPLATFORM', 'BUILDOS', 'BUILDOSVERSION', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETOSVERSION', 'TARGETARCH', 'TARGETVARIANT', 'TARGETSTAGE',
]);

/** The definition BuildKit gives an automatic ARG (value unknown here), or undefined for other names. */
export function automaticArg(name: string): VarDef | undefined {
  return AUTOMATIC_ARGS.has(name) ? { name, kind: 'arg', value: undefined, automatic: true } : undefined;
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
  /** Why BuildKit would refuse the word (an unterminated quote); `value` is then undefined. */
  error?: string;
}

export interface ExpandOptions {
  /**
   * Process quotes as BuildKit's shell-word lexer does for image references (`FROM alpine:"${TAG}"`): single
   * quotes keep their text literally, double quotes expand `$` and let the escape character quote `"`, `$` and
   * itself, and outside quotes the escape character quotes any character. The quotes are not in the value.
   */
  quotes?: boolean;
}

/** Expands `$X`, `${X}`, `${X:-d}`, `${X-d}`, `${X:+a}`, `${X+a}`; `escape` before `$` keeps it literal. */
export function expandVars(text: string, scope: Scope, escape = '\\', options: ExpandOptions = {}): Expansion {
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
  /** The expansion at `text[i] === '$'`: appends its value and moves `i` past it. */
  const dollar = (): void => {
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) {
        value += text.slice(i);
        i = text.length;
        return;
      }
      const body = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(body);
      i = close + 1;
      if (!m) {
        known = false;
        return;
      }
      const [, name, op, word = ''] = m;
      const v = resolve(name, !op);
      if (!op) {
        if (v === undefined) known = false;
        else value += v ?? '';
        return;
      }
      const isSet = op.startsWith(':') ? v !== null && v !== '' : v !== null;
      if (v === undefined) {
        known = false;
        return;
      }
      if (op.endsWith('-')) value += isSet ? v : expandVars(word, scope, escape).value ?? '';
      else value += isSet ? word : '';
      return;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      value += '$';
      i++;
      return;
    }
    const v = resolve(m[0], true);
    if (v === undefined) known = false;
    else value += v ?? '';
    i += 1 + m[0].length;
  };
  while (i < text.length) {
    const c = text[i];
    if (options.quotes && c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) return { ...out, error: 'unterminated single quote' };
      value += text.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (options.quotes && c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '$') dollar();
        else if (text[i] === escape && (text[i + 1] === '"' || text[i + 1] === '$' || text[i + 1] === escape)) {
          value += text[i + 1];
          i += 2;
        } else value += text[i++];
      }
      if (i >= text.length) return { ...out, error: 'unterminated double quote' };
      i++;
      continue;
    }
    if (c === escape && (text[i + 1] === '$' || (options.quotes && i + 1 < text.length))) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '$') dollar();
    else {
      value += c;
      i++;
    }
  }
  out.value = known ? value : undefined;
  return out;
}
