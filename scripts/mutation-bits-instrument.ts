// The bitwise and literal mutants StrykerJS has no mutator for (most of the PTE helpers are masks
// and shifts): every `&`, `|`, `^`, `<<`, `>>`, `>>>` (and their compound assignments on a plain
// name), every `~x` and every numeric or bigint literal outside a type. The file is rewritten in
// mutant schemata: all mutants compiled in, one switched on at run time through `globalThis.__pm`
// (scripts/mutation-bits-worker.ts), each site also counting which vector reaches it.

import ts from 'typescript';
import { SWAP } from './mutation-bits-swap.ts';

interface Position {
  readonly line: number;
  readonly column: number;
}
/** A mutant of either instrumenter: `b<n>` ours, `s<n>` Stryker's (scripts/mutation-stryker.ts). */
export interface Mutant {
  readonly key: string;
  readonly file: string;
  /** 1-based, as in a Stryker report. */
  readonly start: Position;
  readonly end: Position;
  readonly mutator: string;
  readonly replacement: string;
}

const COMPOUND: Readonly<Record<string, string>> = {
  '&=': '&',
  '|=': '|',
  '^=': '^',
  '<<=': '<<',
  '>>=': '>>',
  '>>>=': '>>>',
};

function literalMutant(text: string): string {
  const big = text.endsWith('n');
  const body = (big ? text.slice(0, -1) : text).replace(/_/g, '');
  if (big) return `${(BigInt(body) + 1n).toString()}n`;
  const v = Number(body);
  return Number.isInteger(v) ? String(v + 1) : String(v * 2);
}

function inType(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if (ts.isTypeNode(p)) return true;
    if (ts.isStatement(p) || ts.isExpressionStatement(p)) return false;
  }
  return false;
}

/** The instrumented text of `source` and its mutants, numbered from `firstId`. */
export function instrument(
  file: string,
  source: string,
  firstId: number,
): { text: string; mutants: Mutant[] } {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const mutants: Mutant[] = [];
  const add = (n: ts.Node, mutator: string, replacement: string) => {
    const id = firstId + mutants.length;
    const at = (p: number): Position => {
      const lc = sf.getLineAndCharacterOfPosition(p);
      return { line: lc.line + 1, column: lc.character + 1 };
    };
    mutants.push({
      key: `b${id}`,
      file,
      start: at(n.getStart(sf)),
      end: at(n.getEnd()),
      mutator,
      replacement,
    });
    return id;
  };
  // Rewrites a node's text with its children's rewrites (innermost first).
  const emit = (n: ts.Node): string => {
    if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.getText(sf);
      if (SWAP[op] !== undefined) {
        const l = emit(n.left);
        const r = emit(n.right);
        const id = add(n.operatorToken, 'BitwiseOperator', SWAP[op]!);
        return `__pm.b(${id}, ${JSON.stringify(op)}, ${l}, ${r})`;
      }
      if (COMPOUND[op] !== undefined && ts.isIdentifier(n.left)) {
        const name = n.left.text;
        const r = emit(n.right);
        const base = COMPOUND[op];
        const id = add(n.operatorToken, 'BitwiseOperator', `${SWAP[base]!}=`);
        return `(${name} = __pm.b(${id}, ${JSON.stringify(base)}, ${name}, ${r}))`;
      }
    }
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.TildeToken) {
      const x = emit(n.operand);
      const id = add(n, 'BitwiseNot', n.operand.getText(sf));
      return `__pm.n(${id}, ${x})`;
    }
    if ((ts.isNumericLiteral(n) || ts.isBigIntLiteral(n)) && !inType(n)) {
      const p = n.parent;
      // A property's key, and an enum member's value (an internal tag of the model), are not code.
      const skip =
        ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p)) && p.name === n) ||
        ts.isEnumMember(p);
      if (!skip) {
        const text = n.getText(sf);
        const alt = literalMutant(text);
        const id = add(n, 'NumericLiteral', alt);
        return `(__pm.l(${id}) ? ${alt} : ${text})`;
      }
    }
    const kids = n.getChildren(sf);
    if (kids.length === 0) return n.getText(sf);
    let out = '';
    let pos = n.getStart(sf);
    for (const k of kids) {
      const ks = k.getStart(sf);
      out += source.slice(pos, ks) + emit(k);
      pos = k.getEnd();
    }
    return out;
  };
  // Leading trivia of the file (comments) is kept as is.
  const text = source.slice(0, sf.getStart(sf)) + emit(sf);
  return { text, mutants };
}
