import { parseArgs } from 'node:util';
import type { Pods } from '../pod/index.js';
import type { SecretObject } from '../pod/secrets.js';
import { configMapManifest, podManifest, secretManifest, serviceManifest, type GenerateOptions, type Generated } from '../kube/generate.js';
import { KIND_NAMES, type Kind } from './get-commands.js';
import { NAMESPACE_OPTION, namespaceFlag } from './namespace-flag.js';
import { toYaml } from './print.js';
import { UsageError } from './usage.js';

export interface ObjectRef { kind: Kind; name: string }

/** `NAME` (a pod, as `podman kube generate` takes one) or `KIND/NAME`. */
export function parseRef(text: string): ObjectRef {
  const slash = text.indexOf('/');
  if (slash < 0) return { kind: 'pods', name: text };
  // kubectl's names for the kinds, short and plural forms included, as `get` takes them.
  const word = text.slice(0, slash).toLowerCase();
  // Own keys only: `constructor/x` names no kind.
  const kind = Object.hasOwn(KIND_NAMES, word) ? KIND_NAMES[word] : undefined;
  const name = text.slice(slash + 1);
  if (!kind) throw new UsageError(`${text}: not a kind kube generate writes (pod, service, configmap or secret)`);
  if (!name || name.includes('/')) throw new UsageError(`${text}: KIND/NAME names one object`);
  return { kind, name };
}

async function generateOne(pods: Pods, ref: ObjectRef, namespace: string | undefined, options: GenerateOptions): Promise<Generated> {
  switch (ref.kind) {
    case 'pods': return podManifest(await pods.get(ref.name, { namespace }), options);
    case 'services': return serviceManifest(await pods.getService(ref.name, { namespace }), options);
    case 'configmaps': return configMapManifest(await pods.getConfigMap(ref.name, { namespace }), options);
    // Its values are read only here, for a Secret named on the command line (see the help).
    case 'secrets': return secretManifest(await pods.getSecret(ref.name, { namespace, reveal: true }) as SecretObject & { data: Record<string, string> }, options);
  }
}

/** `podling kube generate OBJECT...`: Kubernetes manifests of existing objects, as multi-document YAML on stdout. */
export async function kubeGenerate(pods: Pods, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...NAMESPACE_OPTION, 'keep-podling': { type: 'boolean' } } });
  const namespace = namespaceFlag(values.namespace);
  if (!positionals.length) throw new UsageError('kube generate needs at least one POD, service/NAME, configmap/NAME or secret/NAME');
  // Every name is checked before the first read, so a typo costs no engine request.
  const refs = positionals.map(parseRef);
  const options = { keepPodling: values['keep-podling'] === true };
  const documents: string[] = [];
  // One after another: the documents come out in the order they were named.
  for (const ref of refs) documents.push(await toYaml(await generateOne(pods, ref, namespace, options)));
  console.log(documents.join('\n---\n'));
  return 0;
}
