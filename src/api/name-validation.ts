// Kubernetes' name rules as Knative's webhooks word them: the older apimachinery messages (src/kube/names.ts
// with the 'knative' wording) and their "not a DNS 1035 label" error.

import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName as qualifiedName, nameIsDNS1035Label } from '../kube/names.ts';

export { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain };

/** validation.IsQualifiedName as the apimachinery Knative is built with words it. */
export const isQualifiedName = (value: string): string[] => qualifiedName(value, 'knative');

/** fmt.Sprint of a []string: "[a b]". */
export const goList = (msgs: string[]): string => `[${msgs.join(' ')}]`;

/**
 * apimachinery NameIsDNS1035Label as knative/pkg apis/metadata_validation.go ValidateObjectMetadata and
 * knative/serving pkg/apis/serving/v1/revision_validation.go validateRevisionName word it: "not a DNS 1035 label[ prefix]: [...]", or null when valid. In prefix mode (generateName)
 * one trailing '-' is allowed, masked as Go's maskTrailingDash does.
 */
export function notDNS1035Label(name: string, prefix: boolean): string | null {
  const msgs = nameIsDNS1035Label(name, prefix);
  return msgs.length === 0 ? null : `not a DNS 1035 label${prefix ? ' prefix' : ''}: ${goList(msgs)}`;
}
