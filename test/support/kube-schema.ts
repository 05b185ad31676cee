import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

/**
 * Whether `kubectl apply` would accept an object of kind Pod, Service, ConfigMap or Secret, as far
 * as Kubernetes' OpenAPI schema can tell: the kubernetes-models validators (generated from that
 * schema) check every value's type, but let unknown fields through, while the API server's field
 * validation (Strict, kubectl's default since 1.27) refuses them. So the unknown fields are found
 * here too, by walking the object against the package's TypeScript interfaces, which are generated
 * from the same schema and name every field.
 */
const MODELS = { Pod, Service, ConfigMap, Secret } as const;
export type SchemaKind = keyof typeof MODELS;

const ROOT = fileURLToPath(new URL('../../node_modules/kubernetes-models/v1/', import.meta.url));

let checker: { program: ts.Program; types: Map<SchemaKind, ts.Type> } | undefined;

/** One program over the four kinds' declarations, made once per process (about a second). */
function interfaces(): { program: ts.Program; types: Map<SchemaKind, ts.Type> } {
  if (checker) return checker;
  const files = Object.keys(MODELS).map((kind) => `${ROOT}${kind}.d.ts`);
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true, types: [] });
  const check = program.getTypeChecker();
  const types = new Map<SchemaKind, ts.Type>();
  for (const kind of Object.keys(MODELS) as SchemaKind[]) {
    const source = program.getSourceFile(`${ROOT}${kind}.d.ts`);
    const declaration = source?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
    if (!declaration) throw new Error(`kubernetes-models: no interface I${kind} in ${kind}.d.ts`);
    types.set(kind, check.getTypeAtLocation(declaration));
  }
  return (checker = { program, types });
}

/** The type a value of `type` must have, unwrapped from `undefined` and from the element type of arrays. */
function objectTypeOf(check: ts.TypeChecker, type: ts.Type): ts.Type | undefined {
  const defined = check.getNonNullableType(type);
  if (check.isArrayType(defined)) return objectTypeOf(check, check.getTypeArguments(defined as ts.TypeReference)[0]!);
  // IntOrString and other unions of primitives: the validator checks those.
  if (defined.isUnion()) return undefined;
  return defined.flags & ts.TypeFlags.Object ? defined : undefined;
}

/** `path: unknown field` for every field of `value` (and of everything in it) that `type` does not name. */
function unknownFields(check: ts.TypeChecker, type: ts.Type, value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownFields(check, type, item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  // A map (labels, data, resources.limits …): its keys are the user's, its values of one type.
  const mapped = check.getIndexInfoOfType(type, ts.IndexKind.String)?.type;
  return Object.entries(value).flatMap(([field, item]) => {
    const at = path ? `${path}.${field}` : field;
    if (mapped) {
      const inner = objectTypeOf(check, mapped);
      return inner ? unknownFields(check, inner, item, at) : [];
    }
    const property = type.getProperty(field);
    if (!property) return [`${at}: unknown field`];
    const inner = objectTypeOf(check, check.getTypeOfSymbol(property));
    return inner ? unknownFields(check, inner, item, at) : [];
  });
}

/** ajv's `/spec/containers/0/name` as the walk below writes it: `spec.containers[0].name`. */
const pathOf = (pointer: string) => pointer.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
  .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');

/** Every problem of `object` as a `kind`, one line each naming its path; none when Kubernetes would take it. */
export function schemaProblems(object: unknown): string[] {
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !(kind in MODELS)) return [`kind: ${String(kind)} is not one of ${Object.keys(MODELS).join(', ')}`];
  const problems: string[] = [];
  try {
    // The models' constructors take the object's own fields; validate() throws with ajv's errors.
    new MODELS[kind as SchemaKind](object as never).validate();
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw err;
    problems.push(...errors.map((e) => `${pathOf(e.instancePath)}: ${e.message ?? 'invalid'}`));
  }
  const { program, types } = interfaces();
  problems.push(...unknownFields(program.getTypeChecker(), types.get(kind as SchemaKind)!, object, ''));
  return problems;
}

/** Throws, listing every problem, unless `object` passes the schema check. */
export function assertKubernetesValid(object: unknown, what = 'object'): void {
  const problems = schemaProblems(object);
  if (problems.length) throw new Error(`${what} is not a valid Kubernetes object:\n  ${problems.join('\n  ')}`);
}
