/**
 * The JSON functions: JSON_EXTRACT (also `col->'path'`), JSON_UNQUOTE (also
 * `col->>'path'`), JSON_TYPE, JSON_VALID, JSON_LENGTH, JSON_CONTAINS_PATH.
 * Documents are JSON text (a JSON column's value, or any string); results
 * are JSON text in MySQL's form (json.ts). Invalid JSON in a document
 * argument is ER_INVALID_JSON_TEXT_IN_PARAM and a bad path
 * ER_INVALID_JSON_PATH, as MySQL (MariaDB answers NULL with a warning).
 *
 * @module
 */

import { defined, QueueError } from "../errors.ts";
import type { Value } from "./ast.ts";
import { bytesToText, valueToText } from "./convert.ts";
import { type Arg, arityChecked, type FunctionSpec, strictBuild } from "./function_support.ts";
import {
  isJsonObject,
  jsonToText,
  jsonTypeName,
  type JsonValue,
  parseJsonArgument,
  tryParseJson,
} from "./json.ts";
import { evaluateJsonPath, type JsonPath, parseJsonPath } from "./json_path.ts";

type NonNull = Exclude<Value, null>;

function textOf(value: NonNull): string {
  return value instanceof Uint8Array ? bytesToText(value) : valueToText(value);
}

/**
 * A document argument's parsed value, remembering the last text: a
 * condition reads the same row's document once per `->` in it.
 */
function documentReader(argument: number, name: string): (value: NonNull) => JsonValue {
  let lastText: string | null = null;
  let lastValue: JsonValue = null;
  return (value) => {
    const text = textOf(value);
    if (text !== lastText) {
      lastValue = parseJsonArgument(text, argument, name);
      lastText = text;
    }
    return lastValue;
  };
}

/** A path argument's parsed form, remembering the last text (paths are nearly always constant). */
function pathReader(): (value: NonNull) => JsonPath {
  let lastText: string | null = null;
  let lastPath: JsonPath = { legs: [], wildcard: false };
  return (value) => {
    const text = textOf(value);
    if (text !== lastText) {
      lastPath = parseJsonPath(text);
      lastText = text;
    }
    return lastPath;
  };
}

function noWildcard(path: JsonPath, text: string): void {
  if (path.wildcard) {
    throw new QueueError(
      "ER_INVALID_JSON_PATH_WILDCARD",
      `In this situation, path expressions may not contain the * and ** tokens ('${text}')`,
    );
  }
}

/** JSON_EXTRACT(doc, path, …): the match, or an array of the matches when more may match. */
function extract(args: Arg[]): Arg {
  const readDocument = documentReader(1, "json_extract");
  const readPaths = args.slice(1).map(() => pathReader());
  const [documentArg, ...pathArgs] = arityChecked(args, 2);
  return (row, params) => {
    const documentValue = documentArg(row, params);
    if (documentValue === null) return null;
    const matches: JsonValue[] = [];
    let wrap = pathArgs.length > 1;
    const paths: JsonPath[] = [];
    for (let i = 0; i < pathArgs.length; i++) {
      const pathValue = defined(pathArgs[i], "i < length")(row, params);
      if (pathValue === null) return null;
      paths.push(defined(readPaths[i], "a reader per path")(pathValue));
    }
    const document = readDocument(documentValue);
    for (const path of paths) {
      if (path.wildcard) wrap = true;
      matches.push(...evaluateJsonPath(document, path));
    }
    const [match] = matches;
    if (match === undefined) return null;
    return jsonToText(wrap ? matches : match);
  };
}

/** JSON_UNQUOTE: a JSON string literal's contents; any other text as it is. */
function unquote(value: NonNull): Value {
  const text = textOf(value);
  if (text.length < 2 || text[0] !== '"' || text[text.length - 1] !== '"') return text;
  const parsed = parseJsonArgument(text, 1, "json_unquote");
  return typeof parsed === "string" ? parsed : text;
}

/** The JSON functions, by lower-case name (merged into functions.ts' table). */
export const jsonFunctions: Record<string, FunctionSpec> = {
  json_extract: { min: 2, max: Infinity, numeric: false, build: extract, textResult: "string" },
  json_unquote: {
    min: 1,
    max: 1,
    numeric: false,
    textResult: "string",
    build: (args) => strictBuild(args, 1, ([value]) => unquote(value)),
  },
  json_type: {
    min: 1,
    max: 1,
    numeric: false,
    textResult: "string",
    build: (args) => {
      const read = documentReader(1, "json_type");
      return strictBuild(args, 1, ([value]) => jsonTypeName(read(value)));
    },
  },
  json_valid: {
    min: 1,
    max: 1,
    numeric: true,
    build: (args) => strictBuild(args, 1, ([value]) => tryParseJson(textOf(value)).ok ? 1 : 0),
  },
  json_length: {
    min: 1,
    max: 2,
    numeric: true,
    build: (args) => {
      const read = documentReader(1, "json_length");
      const readPath = pathReader();
      return strictBuild(args, 1, (values) => {
        let target = read(values[0]);
        const pathValue = values[1];
        if (pathValue !== undefined) {
          const path = readPath(pathValue);
          noWildcard(path, textOf(pathValue));
          const [match] = evaluateJsonPath(target, path);
          if (match === undefined) return null;
          target = match;
        }
        if (Array.isArray(target)) return target.length;
        if (isJsonObject(target)) return target.size;
        return 1;
      });
    },
  },
  json_contains_path: {
    min: 3,
    max: Infinity,
    numeric: true,
    build: (args) => {
      const read = documentReader(1, "json_contains_path");
      const readPaths = args.slice(2).map(() => pathReader());
      return strictBuild(args, 3, ([documentValue, modeValue, ...pathValues]) => {
        const mode = textOf(modeValue).toLowerCase();
        if (mode !== "one" && mode !== "all") {
          throw new QueueError(
            "ER_WRONG_ARGUMENTS",
            "The oneOrAll argument to json_contains_path may take these values: 'one' or 'all'",
          );
        }
        const document = read(documentValue);
        const paths = pathValues.map((value, i) =>
          defined(readPaths[i], "a reader per path")(value)
        );
        for (const path of paths) {
          const found = evaluateJsonPath(document, path).length > 0;
          if (found && mode === "one") return 1;
          if (!found && mode === "all") return 0;
        }
        return mode === "all" ? 1 : 0;
      });
    },
  },
};
