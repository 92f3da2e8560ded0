// The flag groups many commands share (kn's AddNamespaceFlags, print flags, wait flags, --target), used by the
// Serving command table (commands.ts) and the Eventing one (eventing/commands.ts).

import type { FlagSpec } from './flags.ts';


export function namespaceFlags(allowAll: boolean): FlagSpec[] {
  const flags: FlagSpec[] = [{ name: 'namespace', short: 'n', type: 'string', usage: 'Specify the namespace to operate in.' }];
  if (allowAll) {
    flags.push({
      name: 'all-namespaces',
      short: 'A',
      type: 'boolean',
      usage: 'If present, list the requested object(s) across all namespaces. Namespace in current context is ignored even if specified with --namespace.',
    });
  }
  return flags;
}

export const TEMPLATE_FORMATS = 'go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file';

/** kubectl's template printer flags (kn adds them wherever -o is accepted). */
export const TEMPLATE_FLAGS: FlagSpec[] = [
  {
    name: 'template',
    type: 'string',
    usage: 'Template string or path to template file to use when -o=go-template, -o=go-template-file. The template format is golang templates [http://golang.org/pkg/text/template/#pkg-overview].',
  },
  {
    name: 'allow-missing-template-keys',
    type: 'boolean',
    default: true,
    usage: 'If true, ignore any errors in templates when a field or map key is missing in the template. Only applies to golang and jsonpath output formats.',
  },
  { name: 'show-managed-fields', type: 'boolean', usage: 'If true, keep the managedFields when printing objects in JSON or YAML format.' },
];

export const LIST_PRINT_FLAGS: FlagSpec[] = [
  { name: 'no-headers', type: 'boolean', usage: "When using the default output format, don't print headers (default: print headers)." },
  { name: 'output', short: 'o', type: 'string', usage: `Output format. One of: json|yaml|name|${TEMPLATE_FORMATS}.` },
  ...TEMPLATE_FLAGS,
];

export function describeFlags(withUrl: boolean): FlagSpec[] {
  return [
    ...namespaceFlags(false),
    { name: 'output', short: 'o', type: 'string', usage: `Output format. One of: json|yaml|name|${TEMPLATE_FORMATS}${withUrl ? '|url' : ''}.` },
    ...TEMPLATE_FLAGS,
    { name: 'verbose', short: 'v', type: 'boolean', usage: 'More output.' },
  ];
}

/** kn's AddGitOpsFlags: offline mode on local files (offline.ts). */
export const TARGET_FLAG: FlagSpec = { name: 'target', type: 'string', usage: 'Work on local directory instead of a remote cluster (experimental)' };

export function waitFlags(action: string, what: string, until: string): FlagSpec[] {
  return [
    { name: 'wait', type: 'boolean', paired: true, default: action !== 'delete', usage: `Wait for '${what} ${action}' operation to be completed.` },
    { name: 'wait-timeout', type: 'int', default: 600, usage: `Seconds to wait before giving up on waiting for ${what} to be ${until}.` },
    { name: 'wait-window', type: 'int', default: 2, usage: `Seconds to wait for ${what} to be ${until} after a false ready condition is returned` },
  ];
}
