/**
 * A validator for the part of JSON Schema (draft-07) the nbsec protocol table uses, interpreting
 * the same `protocol.schema.json` the kernel interprets (`nbsec/kernel/protocol.py`), so both
 * ends accept exactly the same messages.
 *
 * Supported: `type` (one or a list), `enum`, `const`, `properties`, `required`,
 * `additionalProperties` (false or a schema), `pattern`, `minLength`, `maxLength`, `minimum`,
 * `maximum`, `items`, `maxItems`, `maxProperties`, `$ref` to `#/...`, `oneOf`, `anyOf`. Lengths
 * count characters (code points), as JSON Schema and Python do; booleans are never numbers. The
 * unit tests check it agrees with an independent validator on the shared examples and on
 * thousands of altered messages.
 */

/** A schema node, as read from JSON. */
export type SchemaNode = { readonly [key: string]: unknown };

/**
 * Checks `value` against `node` (resolving `$ref`s in `root`); returns null when it conforms,
 * else a one-line description of the first problem and where it is.
 */
export function checkSchema(
  node: SchemaNode,
  value: unknown,
  root: SchemaNode,
  where = 'message'
): string | null {
  if (typeof node.$ref === 'string') {
    // draft-07: keywords beside $ref are ignored
    return checkSchema(resolveRef(node.$ref, root), value, root, where);
  }
  if ('type' in node) {
    const kinds = Array.isArray(node.type) ? node.type : [node.type];
    if (!kinds.some(kind => hasType(value, String(kind)))) {
      return `${where}: expected ${kinds.join(' or ')}`;
    }
  }
  if (Array.isArray(node.enum)) {
    if (!node.enum.some(option => sameJson(option, value))) {
      return `${where}: not one of the allowed values`;
    }
  }
  if ('const' in node && !sameJson(node.const, value)) {
    return `${where}: not the expected value`;
  }
  if (typeof value === 'string') {
    const problem = checkString(node, value, where);
    if (problem !== null) {
      return problem;
    }
  }
  if (typeof value === 'number') {
    if (typeof node.minimum === 'number' && value < node.minimum) {
      return `${where}: below ${node.minimum}`;
    }
    if (typeof node.maximum === 'number' && value > node.maximum) {
      return `${where}: above ${node.maximum}`;
    }
  }
  if (Array.isArray(value)) {
    if (typeof node.maxItems === 'number' && value.length > node.maxItems) {
      return `${where}: more than ${node.maxItems} items`;
    }
    if (isNode(node.items)) {
      for (let index = 0; index < value.length; index++) {
        const problem = checkSchema(
          node.items,
          value[index],
          root,
          `${where}[${index}]`
        );
        if (problem !== null) {
          return problem;
        }
      }
    }
  }
  if (isObject(value)) {
    const problem = checkObject(node, value, root, where);
    if (problem !== null) {
      return problem;
    }
  }
  if (Array.isArray(node.oneOf)) {
    const matching = node.oneOf.filter(
      option =>
        isNode(option) && checkSchema(option, value, root, where) === null
    ).length;
    if (matching !== 1) {
      return `${where}: matches ${matching} of the allowed shapes, not exactly one`;
    }
  }
  if (Array.isArray(node.anyOf)) {
    if (
      !node.anyOf.some(
        option =>
          isNode(option) && checkSchema(option, value, root, where) === null
      )
    ) {
      return `${where}: matches none of the allowed shapes`;
    }
  }
  return null;
}

function checkString(
  node: SchemaNode,
  value: string,
  where: string
): string | null {
  const length = Array.from(value).length;
  if (typeof node.minLength === 'number' && length < node.minLength) {
    return `${where}: shorter than ${node.minLength}`;
  }
  if (typeof node.maxLength === 'number' && length > node.maxLength) {
    return `${where}: longer than ${node.maxLength}`;
  }
  if (typeof node.pattern === 'string' && !compiled(node.pattern).test(value)) {
    return `${where}: does not match its pattern`;
  }
  return null;
}

function checkObject(
  node: SchemaNode,
  value: Record<string, unknown>,
  root: SchemaNode,
  where: string
): string | null {
  const keys = Object.keys(value);
  if (
    typeof node.maxProperties === 'number' &&
    keys.length > node.maxProperties
  ) {
    return `${where}: more than ${node.maxProperties} keys`;
  }
  if (Array.isArray(node.required)) {
    for (const name of node.required) {
      if (
        typeof name === 'string' &&
        !Object.prototype.hasOwnProperty.call(value, name)
      ) {
        return `${where}: '${name}' is missing`;
      }
    }
  }
  const properties = isNode(node.properties) ? node.properties : {};
  for (const key of keys) {
    const child = `${where}.${key.length <= 40 ? key : key.slice(0, 40) + '…'}`;
    if (Object.prototype.hasOwnProperty.call(properties, key)) {
      const schema = properties[key];
      if (isNode(schema)) {
        const problem = checkSchema(schema, value[key], root, child);
        if (problem !== null) {
          return problem;
        }
      }
    } else if (node.additionalProperties === false) {
      return `${child}: not allowed here`;
    } else if (isNode(node.additionalProperties)) {
      const problem = checkSchema(
        node.additionalProperties,
        value[key],
        root,
        child
      );
      if (problem !== null) {
        return problem;
      }
    }
  }
  return null;
}

function hasType(value: unknown, kind: string): boolean {
  switch (kind) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return false;
  }
}

/** JSON equality: objects and arrays by content, booleans never equal to numbers. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every(
        key =>
          Object.prototype.hasOwnProperty.call(b, key) &&
          sameJson(a[key], b[key])
      )
    );
  }
  return false;
}

function resolveRef(ref: string, root: SchemaNode): SchemaNode {
  if (!ref.startsWith('#/')) {
    throw new Error(`only local $ref are supported, not ${ref}`);
  }
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  if (!isNode(node)) {
    throw new Error(`${ref} does not name a schema`);
  }
  return node;
}

const patterns = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    patterns.set(pattern, regex);
  }
  return regex;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNode(value: unknown): value is SchemaNode {
  return isObject(value);
}
