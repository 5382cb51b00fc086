/**
 * The SQL layer: text or tagged template → checked, cached statement, and
 * expressions → compiled closures. The engine imports from here only.
 *
 * @module
 */

export type {
  BinaryOp,
  ColumnDef,
  ColumnType,
  Expr,
  OrderTerm,
  Prepared,
  SelectItem,
  ShowStatement,
  Statement,
  UnaryOp,
  Value,
} from "./ast.ts";
export { compileExpr, queueFunctionNames } from "./compile.ts";
export { compareForOrder, compareOrderKeys, isTruthy } from "./operators.ts";
export type { CompileScope, RowAccessor, StaticKind, StaticNumeric } from "./compile.ts";
export { ident, Identifier } from "./identifier.ts";
export { parseExpression, parseStatement } from "./parser.ts";
export { openExecutableComments, utf8Length } from "./lexer.ts";
export type { ParseResult } from "./parser.ts";
export { bindParams, prepareBoundText, prepareTemplate, prepareText } from "./template.ts";
export type { BoundTemplate, BoundText } from "./template.ts";
export { bindValue, checkValue } from "./values.ts";
export { outputValue } from "./convert.ts";
export { Decimal } from "./decimal.ts";
export { now, Temporal } from "./temporal.ts";
export { Member, memberOfText } from "./member.ts";
export { exprReadsClock } from "./typed_ops.ts";
export * from "./names.ts";
export { prepareLargeInsert } from "./large_insert.ts";
