/**
 * Kubernetes manifests in and out, above the pod layer: load and check them (manifest.ts), apply
 * them as kubectl does (apply.ts: a pure plan and its executor), and write them back (generate.ts).
 */
export { loadManifests, parseManifests, inNamespace, ManifestError, KINDS, type Manifest, type ManifestKind } from './manifest.js';
export {
  planApply, observeForApply, executeApply, deleteManifests, appliedDigest, ANNOTATION_LAST_APPLIED,
  type ApplyAction, type ApplyVerb, type ApplyOptions, type Current,
} from './apply.js';
export { podManifest, serviceManifest, configMapManifest, secretManifest, type Generated, type GenerateOptions } from './generate.js';
export { podNotices, FIELDS, type FieldGroup, type FieldRule } from '../pod/fields.js';
